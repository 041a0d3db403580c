"""The tool options bar: brush size and hardness, mask colour, opacity and visibility."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QColorDialog, QLabel, QSlider, QSpinBox, QToolBar, QToolButton

from inpaint_desktop.canvas.view import CanvasView

DEFAULT_MASK_COLOR = QColor(255, 40, 90)
DEFAULT_MASK_OPACITY = 0.5


def _swatch(color: QColor) -> QIcon:
    pm = QPixmap(16, 16)
    pm.fill(color)
    return QIcon(pm)


class ToolOptionsBar(QToolBar):
    """Keeps its controls and the canvas in sync both ways (the [ and ] keys change the
    size on the canvas; the spin box follows)."""

    maskColorChanged = Signal(QColor)

    def __init__(self, canvas: CanvasView, parent=None):
        super().__init__("Tool options", parent)
        self.setObjectName("tool-options")
        self.canvas = canvas

        self.addWidget(QLabel(" Size "))
        self.size_box = QSpinBox()
        self.size_box.setRange(1, 2000)
        self.size_box.setSuffix(" px")
        self.size_box.setToolTip("Brush diameter in image pixels ([ and ] change it)")
        self.size_box.setValue(canvas.brush_size())
        self.size_box.valueChanged.connect(canvas.set_brush_size)
        self.addWidget(self.size_box)

        self.addWidget(QLabel(" Hardness "))
        self.hardness = QSlider(Qt.Horizontal)
        self.hardness.setRange(0, 100)
        self.hardness.setFixedWidth(100)
        self.hardness.setToolTip("Brush hardness: 0 % is a soft airbrush edge, 100 % a hard edge")
        self.hardness.setValue(round(canvas.brush_hardness() * 100))
        self.hardness.valueChanged.connect(lambda v: canvas.set_brush_hardness(v / 100.0))
        self.addWidget(self.hardness)
        self.addSeparator()

        self.addWidget(QLabel(" Mask "))
        self.color_button = QToolButton()
        self.color_button.setToolTip("Mask overlay colour")
        self.color_button.clicked.connect(self._pick_color)
        self.addWidget(self.color_button)
        self.opacity = QSlider(Qt.Horizontal)
        self.opacity.setRange(5, 100)
        self.opacity.setFixedWidth(90)
        self.opacity.setToolTip("Mask overlay opacity")
        self.opacity.valueChanged.connect(lambda v: canvas.set_mask_opacity(v / 100.0))
        self.addWidget(self.opacity)

        self.addSeparator()
        self.addWidget(QLabel(" Hint colour "))
        self.hint_button = QToolButton()
        self.hint_button.setToolTip("Colour of new colour hints, or of the selected hint "
                                    "(Alt+click on the picture picks a colour from it)")
        self.hint_button.clicked.connect(self._pick_hint_color)
        self.hint_button.setIcon(_swatch(canvas.hint_color()))
        canvas.hintColorChanged.connect(self._on_hint_color)
        self.addWidget(self.hint_button)

        canvas.brushChanged.connect(self._on_brush_changed)
        self.set_mask_color(DEFAULT_MASK_COLOR)
        self.opacity.setValue(round(DEFAULT_MASK_OPACITY * 100))

    def mask_color(self) -> QColor:
        return self._color

    def set_mask_color(self, color: QColor) -> None:
        self._color = QColor(color)
        self.color_button.setIcon(_swatch(self._color))
        self.canvas.set_mask_color(self._color)
        self.maskColorChanged.emit(self._color)

    def _pick_color(self) -> None:
        color = QColorDialog.getColor(self._color, self, "Mask colour")
        if color.isValid():
            self.set_mask_color(color)

    def _pick_hint_color(self) -> None:
        color = QColorDialog.getColor(self.canvas.hint_color(), self, "Hint colour")
        if color.isValid():
            self.canvas.set_hint_color(color)

    def _on_hint_color(self, color: QColor) -> None:
        self.hint_button.setIcon(_swatch(color))

    def _on_brush_changed(self, diameter: int, hardness: float) -> None:
        for widget, value in ((self.size_box, diameter), (self.hardness, round(hardness * 100))):
            if widget.value() != value:
                widget.blockSignals(True)
                widget.setValue(value)
                widget.blockSignals(False)
