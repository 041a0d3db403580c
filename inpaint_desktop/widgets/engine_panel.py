"""The Erase & Colorize panel: engine pickers, high-resolution options, the two buttons.

"Grow selection by N px before erasing" widens the mask handed to the inpainter (not the mask
layer the user sees): a selection that follows an object's edge exactly, as Object selection
and the magic wand make, leaves the object's soft rim and its shadow line behind otherwise.
It is kept in the settings (erase/grow_px); 0 turns it off."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from inpaint_desktop.settings import settings
from inpaint_desktop.widgets.engine_jobs import EngineJobs, models_changed

DEFAULT_GROW_PX = 8
GROW_KEY = "erase/grow_px"

HD_STRATEGIES = (
    ("crop", "Crop around each masked area (fast, full detail)"),
    ("resize", "Resize the whole photo (large masks)"),
    ("original", "Whole photo at full size (slow)"),
)


class EnginePanel(QWidget):
    def __init__(self, jobs: EngineJobs, erase_action, colorize_action, parent=None):
        super().__init__(parent)
        import models  # the classical engines register on import; no torch here

        self.jobs = jobs
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)

        self.inpainter = QComboBox()
        self._fill(self.inpainter, models.inpainters())
        self.inpainter.currentIndexChanged.connect(self._sync)
        form.addRow("Erase with", self.inpainter)

        self.hd = QComboBox()
        for key, label in HD_STRATEGIES:
            self.hd.addItem(label, key)
        self.hd.currentIndexChanged.connect(self._sync)
        form.addRow("Large photos", self.hd)

        self.margin = QSpinBox()
        self.margin.setRange(0, 2048)
        self.margin.setValue(128)
        self.margin.setSuffix(" px")
        self.margin.setToolTip("Context around each masked area that the engine looks at")
        self.margin.valueChanged.connect(self._sync)
        form.addRow("Context margin", self.margin)

        self.grow = QSpinBox()
        self.grow.setRange(0, 64)
        self.grow.setSuffix(" px")
        self.grow.setSpecialValueText("off")
        self.grow.setToolTip("Erase a little more than the mask: its edge grown by this many "
                             "pixels, so an object's soft rim goes too (the mask you see stays "
                             "as it is; 0 = off)")
        try:
            grow = int(settings().value(GROW_KEY, DEFAULT_GROW_PX))
        except (TypeError, ValueError):
            grow = DEFAULT_GROW_PX
        self.grow.setValue(grow)
        self.grow.valueChanged.connect(self._sync)
        self.grow.valueChanged.connect(lambda v: settings().setValue(GROW_KEY, v))
        form.addRow("Grow selection by", self.grow)

        self.texture = QCheckBox("Copy texture into large holes")
        self.texture.setChecked(True)
        self.texture.setToolTip(
            "Learned engines: after the network's fill, copy grass, wood or fabric from the "
            "photo's own pixels into object-sized holes (off: the network's smoother fill)")
        self.texture.toggled.connect(self._sync)
        form.addRow(self.texture)

        self.fsr_mix = QCheckBox("Mix FSR into strokes and scratches")
        self.fsr_mix.setChecked(True)
        self.fsr_mix.setToolTip(
            "Learned engines: average the network's fill of narrow holes with the classical "
            "FSR fill, which errs differently (about 0.2 dB better and smoother seams, but 2-3x "
            "the time on strokes and scratches; off: the network alone)")
        self.fsr_mix.toggled.connect(self._sync)
        form.addRow(self.fsr_mix)

        self.colorizer = QComboBox()
        self._fill(self.colorizer, models.colorizers())
        self.colorizer.currentIndexChanged.connect(self._sync)
        form.addRow("Colorize with", self.colorizer)

        self.live = QCheckBox("Update colours as hints change")
        self.live.setChecked(True)
        self.live.toggled.connect(self._sync)
        form.addRow(self.live)

        self.erase_button = QPushButton(erase_action.text().replace("&", ""))
        self.erase_button.setToolTip(erase_action.toolTip())
        self.erase_button.clicked.connect(erase_action.trigger)
        self.colorize_button = QPushButton(colorize_action.text().replace("&", ""))
        self.colorize_button.clicked.connect(colorize_action.trigger)
        layout.addWidget(self.erase_button)
        layout.addWidget(self.colorize_button)
        layout.addStretch(1)
        self._sync()

    @staticmethod
    def _fill(combo: QComboBox, infos) -> None:
        """List the engines, keeping the chosen one if it is still there."""
        keep = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for info in infos:
            combo.addItem(info.label or info.name, info.name)
            combo.setItemData(combo.count() - 1, info.description, 0x03)  # Qt.ToolTipRole
        combo.setCurrentIndex(max(combo.findData(keep), 0) if keep is not None else 0)
        combo.blockSignals(False)

    def refresh_engines(self) -> None:
        """The registry changed (a model was trained, renamed or deleted): list it anew."""
        import models

        models_changed()  # engines built before are built again on next use
        self._fill(self.inpainter, models.inpainters())
        self._fill(self.colorizer, models.colorizers())
        self._sync()

    def select_inpainter(self, name: str) -> None:
        self.inpainter.setCurrentIndex(self.inpainter.findData(name))

    def _sync(self, *_) -> None:
        c = self.jobs.choice
        # The first entry is the default: ask for "the default" (None) so that a learned
        # default whose weights fail to load falls back to a classical engine.
        c.inpainter = None if self.inpainter.currentIndex() <= 0 else self.inpainter.currentData()
        c.colorizer = None if self.colorizer.currentIndex() <= 0 else self.colorizer.currentData()
        c.hd_strategy = self.hd.currentData()
        c.crop_margin = self.margin.value()
        c.texture = self.texture.isChecked()
        c.fsr_mix = self.fsr_mix.isChecked()
        c.grow_px = self.grow.value()
        self.margin.setEnabled(c.hd_strategy == "crop")
        self.jobs.live_colorize = self.live.isChecked()
