"""The Restore old photo panel: detect damage into the mask, review it with a live
sensitivity slider, Fill on the gray photo, Colorize, or all three with one click.

Detection runs on the inference thread (EngineJobs.detect); the confidence map it returns is
kept, so the slider re-thresholds it without running the detector again.

Undo: the detection is ONE step ("Detect damage"). While it is still the newest step, moving
the slider amends that step in place (one undo takes the mask back to before the detection,
whatever the slider did meanwhile). Once something else happened (a brush correction, a
Fill), a slider change is its own step ("Damage sensitivity"), which in turn the slider amends
while it stays the newest; it changes only the pixels whose verdict the threshold change
flips, so brush corrections elsewhere survive. Fill and Colorize are one step each, so the
one-click Restore makes three steps (Detect, Fill, Colorize).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from inpaint_desktop.commands import EditCommand
from inpaint_desktop.document import Document, PixelEdit, diff_tiles
from inpaint_desktop.document.masking import ADD, REPLACE
from inpaint_desktop.widgets.engine_jobs import EngineJobs

SLIDER_STEPS = 100  # the slider's integer positions for sensitivity 0..1
RESTORE = "restore"  # tag of the one-click Restore's jobs


@dataclass(eq=False)
class Detection:
    """One detector run on one document: the confidence map and how it was applied."""

    doc: Document
    confidence: np.ndarray  # uint8 H x W, 255 = surely damaged
    engine: str
    grow_px: int
    mode: str = REPLACE  # REPLACE the mask, or ADD to it (Shift held)
    _cache: dict = field(default_factory=dict)

    def mask(self, sensitivity: float) -> np.ndarray:
        """The damage at `sensitivity`, grown as the CLI's restore grows it before filling."""
        key = round(sensitivity, 4)
        if key not in self._cache:
            from models.engine import damage_mask
            from models.restore import grow

            if len(self._cache) >= 3:  # the slider needs two: before and now
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = grow(damage_mask(self.confidence, sensitivity), self.grow_px)
        return self._cache[key]


class DamageCommand(EditCommand):
    """A mask step made from a Detection that the sensitivity slider may amend.

    `reference` is None for the detection itself (the mask becomes the damage, or gains it);
    otherwise the sensitivity shown before this step, and the step flips only the pixels whose
    verdict differs between the two thresholds."""

    def __init__(self, doc: Document, edit: PixelEdit, detection: Detection,
                 sensitivity: float, reference: float | None):
        super().__init__(doc, edit, "Detect damage" if reference is None else
                         "Damage sensitivity")
        self.detection = detection
        self.sensitivity = sensitivity
        self.reference = reference

    def target(self, base: np.ndarray, sensitivity: float) -> np.ndarray:
        """The mask this step makes from `base` (the mask before it) at `sensitivity`."""
        det = self.detection
        new = det.mask(sensitivity)
        if self.reference is None:
            return new.copy() if det.mode == REPLACE else np.maximum(base, new)
        old = det.mask(self.reference)
        out = base.copy()
        flip = old != new
        out[flip] = new[flip]
        return out

    def amend(self, sensitivity: float) -> None:
        """Redo this (newest, applied) step at another sensitivity."""
        doc = self.doc
        base = doc.mask.copy()
        for p in reversed(self.edit.patches):
            p.revert(base)
        new = self.target(base, sensitivity)
        step = diff_tiles(doc.mask, new)
        if step:  # current -> new in one notification
            PixelEdit(doc.MASK, step).apply(doc)
        self.sensitivity = sensitivity
        self.edit = PixelEdit(doc.MASK, diff_tiles(base, new), label=self.text())


def _share(mask: np.ndarray) -> str:
    return f"{np.count_nonzero(mask) / mask.size:.2%}"


class RestorePanel(QWidget):
    """Image > Restore old photo... (and Mask > Detect damage through `detect`)."""

    statusMessage = Signal(str)

    def __init__(self, jobs: EngineJobs, parent=None):
        super().__init__(parent)
        from models.engine import DEFAULT_SENSITIVITY

        self.jobs = jobs
        self.detection: Detection | None = None  # the kept confidence map
        self._chain: list[str] | None = None  # steps left of a one-click Restore
        self.last_message = ""

        layout = QVBoxLayout(self)
        # The bundled detector first (the default), then the user's fine-tuned ones
        # (Train > Fine-tune on my photos > Damage detection) and the classical one.
        self.detector = QComboBox()
        self.detector.setToolTip("The damage detector of Restore and Mask > Detect damage")
        self.refresh_detectors()
        self.detector.currentIndexChanged.connect(self._sync_detector)
        row = QHBoxLayout()
        row.addWidget(QLabel("Detect with"))
        row.addWidget(self.detector, 1)
        layout.addLayout(row)

        self.restore_button = QPushButton("Restore")
        self.restore_button.clicked.connect(self.restore)
        self.colorize_check = QCheckBox("Colorize too")
        self.colorize_check.setChecked(True)
        self.colorize_check.setToolTip("Restore ends with Colorize (your colour hints steer it)")
        row = QHBoxLayout()
        row.addWidget(self.restore_button, 1)
        row.addWidget(self.colorize_check)
        layout.addLayout(row)

        line = QFrame()
        line.setFrameShape(QFrame.HLine)
        layout.addWidget(line)
        layout.addWidget(QLabel("Step by step:"))

        self.restore_button.setToolTip("Detect damage, Fill it on the gray photo, Colorize "
                                       "(if ticked): three undo steps")
        self.detect_button = QPushButton("1. Detect damage")
        self.detect_button.setToolTip("Mark the damage in the mask (Shift adds to the mask)")
        self.detect_button.clicked.connect(lambda: self.detect())
        layout.addWidget(self.detect_button)

        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setValue(round(DEFAULT_SENSITIVITY * SLIDER_STEPS))
        self.slider.setToolTip("How faint a defect still counts as damage (live, no re-run)")
        self.slider.valueChanged.connect(self._on_slider)
        self.sensitivity_label = QLabel(f"{self.sensitivity:.2f}")
        self.sensitivity_label.setMinimumWidth(self.sensitivity_label.sizeHint().width() + 4)
        row = QHBoxLayout()
        row.addWidget(QLabel("Sensitivity"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.sensitivity_label)
        layout.addLayout(row)

        self.fill_button = QPushButton("2. Fill")
        self.fill_button.setToolTip("Fill the masked damage on the gray photo (a new layer)")
        self.fill_button.clicked.connect(self.fill)
        self.colorize_button = QPushButton("3. Colorize")
        self.colorize_button.setToolTip("Colorize the filled photo (a new layer)")
        self.colorize_button.clicked.connect(self.colorize)
        row = QHBoxLayout()
        row.addWidget(self.fill_button)
        row.addWidget(self.colorize_button)
        layout.addLayout(row)

        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running step (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(self.cancel_button)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        layout.addStretch(1)

        jobs.detected.connect(self._on_detected)
        jobs.ended.connect(self._on_ended)
        jobs.workingChanged.connect(self._update_enabled)  # a colour palette may run beside
        self._update_enabled()

    # --- state ---------------------------------------------------------------------
    def refresh_detectors(self) -> None:
        """List the registered detectors anew (a model was trained, renamed or deleted),
        keeping the chosen one while it is still there."""
        import models

        combo = self.detector
        keep = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for info in models.detectors():
            combo.addItem(info.label or info.name, info.name)
            combo.setItemData(combo.count() - 1, info.description, Qt.ToolTipRole)
        combo.setCurrentIndex(max(combo.findData(keep), 0) if keep is not None else 0)
        combo.blockSignals(False)
        self._sync_detector()

    def select_detector(self, name: str) -> bool:
        index = self.detector.findData(name)
        if index >= 0:
            self.detector.setCurrentIndex(index)
        return index >= 0

    def _sync_detector(self, *_) -> None:
        # The first entry is the default: ask for "the default" (None), so that a learned
        # default whose weights fail to load falls back to the classical detector.
        combo = self.detector
        self.jobs.choice.detector = None if combo.currentIndex() <= 0 else combo.currentData()

    @property
    def sensitivity(self) -> float:
        return self.slider.value() / SLIDER_STEPS

    def set_document(self, doc: Document | None) -> None:
        """Another photo: the kept detection belongs to the old one."""
        self.detection = None
        self._chain = None
        self.status_label.clear()
        self._update_enabled()

    def _doc_stack(self) -> tuple[Document | None, QUndoStack | None]:
        return self.jobs.doc, self.jobs.stack

    def _say(self, text: str) -> None:
        self.last_message = text
        self.status_label.setText(text)
        self.statusMessage.emit(text)

    def _update_enabled(self, *_) -> None:
        has, busy = self.jobs.doc is not None, self.jobs.is_working()
        for b in (self.restore_button, self.detect_button, self.fill_button,
                  self.colorize_button):
            b.setEnabled(has and not busy)
        self.cancel_button.setEnabled(busy)

    def _ready(self) -> bool:
        if self.jobs.doc is None:
            self._say("Open a photo first")
            return False
        if self.jobs.is_working():
            self._say("Wait for the running job to finish, or press Esc")
            return False
        return True

    # --- the steps ---------------------------------------------------------------------
    def detect(self, add: bool | None = None, tag: str | None = None) -> bool:
        """Detect damage into the mask: replaces it, or adds to it (`add`; None = Shift held)."""
        if self.jobs.doc is None:
            self._say("Open a photo first")
            return False
        if add is None:
            add = bool(QApplication.keyboardModifiers() & Qt.ShiftModifier)
        if not self.jobs.detect(tag=tag, mode=ADD if add else REPLACE):
            return False
        self._say("Looking for damage... (Esc cancels)")
        return True

    def fill(self, tag: str | None = None) -> bool:
        """Fill the masked damage on the gray photo: one result layer, one undo step."""
        if tag is None and not self._ready():
            return False
        doc = self.jobs.doc
        if not doc.mask.any():
            self._say("No damage marked: Detect damage, or paint it with the brush")
            return False
        if not self.jobs.erase(gray=True, tag=tag):
            return False
        self._say("Filling the damage on the gray photo... (Esc cancels)")
        return True

    def colorize(self, tag: str | None = None) -> bool:
        if tag is None and not self._ready():
            return False
        if not self.jobs.colorize(tag=tag):
            return False
        self._say("Colorizing... (Esc cancels)")
        return True

    def restore(self) -> bool:
        """Detect -> Fill -> Colorize (if ticked) with the defaults, each its own undo step."""
        if not self._ready():
            return False
        self._chain = ["fill"] + (["colorize"] if self.colorize_check.isChecked() else [])
        if not self.detect(add=False, tag=RESTORE):
            self._chain = None
            return False
        return True

    def cancel(self) -> None:
        self._chain = None
        self.jobs.cancel()

    # --- results -----------------------------------------------------------------------
    def _on_detected(self, job, engine: str, confidence: np.ndarray) -> None:
        doc, stack = self._doc_stack()
        if job.doc is not doc or stack is None:
            return
        from models.restore import grow_pixels

        self.detection = Detection(doc, confidence, engine, grow_pixels(doc.width, doc.height),
                                   job.mode)
        self._push_step(None)

    def _push_step(self, reference: DamageCommand | None) -> None:
        """A new mask step from the kept detection at the slider's sensitivity."""
        doc, stack = self._doc_stack()
        det, s = self.detection, self.sensitivity
        if reference is None and not det.mask(s).any():
            self._say(f"No damage found at sensitivity {s:.2f}: raise the sensitivity, "
                      "or paint the damage with the brush")
            return
        probe = DamageCommand(doc, PixelEdit(doc.MASK, []), det, s,
                              None if reference is None else reference.sensitivity)
        new = probe.target(doc.mask, s)
        patches = diff_tiles(doc.mask, new)
        if not patches:
            self._report(det)
            return
        probe.edit = PixelEdit(doc.MASK, patches, label=probe.text())
        stack.push(probe)
        self._report(det)

    def _report(self, det: Detection) -> None:
        self._say(f"{det.engine} found {_share(det.mask(self.sensitivity))} of the photo "
                  "damaged. Adjust Sensitivity, correct with the brush (B) and eraser (E), "
                  "then Fill.")

    def _applied_step(self) -> DamageCommand | None:
        """The newest step of the kept detection that is done (not undone), if any."""
        stack = self.jobs.stack
        for i in range(stack.index() - 1, -1, -1):
            cmd = stack.command(i)
            if isinstance(cmd, DamageCommand) and cmd.detection is self.detection:
                return cmd
        return None

    def _on_slider(self, value: int) -> None:
        s = value / SLIDER_STEPS
        self.sensitivity_label.setText(f"{s:.2f}")
        doc, stack = self._doc_stack()
        det = self.detection
        if det is None or stack is None or det.doc is not doc:
            return  # used by the next detection
        applied = self._applied_step()
        n = stack.index()
        top = stack.command(n - 1) if n > 0 else None
        if applied is not None and top is applied and n == stack.count() \
                and not stack.isClean():
            applied.amend(s)  # the slider fine-tunes the newest step: still one undo step
            if det.mask(s).any():
                self._report(det)
            else:
                self._say(f"No damage found at sensitivity {s:.2f}")
        else:
            self._push_step(applied)

    def _on_ended(self, job, ok: bool) -> None:
        self._update_enabled()
        if getattr(job, "tag", None) != RESTORE or self._chain is None:
            return
        doc = self.jobs.doc
        if not ok or doc is None or job.doc is not doc:
            self._chain = None
            self._say(f"Restore stopped: {job.title} did not finish")
            return
        if not self._chain:
            self._chain = None
            self._say("Restored: Detect, Fill and Colorize are separate undo steps"
                      if job.kind == "colorize" else
                      "Restored: Detect and Fill are separate undo steps")
            return
        step = self._chain.pop(0)
        if step == "fill" and not doc.mask.any():
            self._chain = None
            return  # "no damage found" is already said
        started = self.fill(tag=RESTORE) if step == "fill" else self.colorize(tag=RESTORE)
        if not started:
            self._chain = None
        self._update_enabled()
