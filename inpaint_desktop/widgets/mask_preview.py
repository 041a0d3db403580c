"""Grow, shrink and feather the mask with a live preview on the canvas.

While the dialog is open the document's mask shows the result for the current value (always
computed from the mask as it was when the dialog opened). Cancel puts that mask back; OK
puts it back too and then pushes the operation as ONE undo step, so the undo history never
sees the preview. The dialog is window-modal (open(), not exec()): nothing else edits the
mask meanwhile, and the event loop stays the window's own.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QSlider,
    QSpinBox,
)

from inpaint_desktop.commands import push_edit
from inpaint_desktop.document import Document, masking

# kind: (title, field label, array function, document edit)
KINDS = {
    "grow": ("Grow mask", "Pixels:", masking.grown, masking.grow),
    "shrink": ("Shrink mask", "Pixels:", lambda m, v: masking.grown(m, -v),
               lambda d, v: masking.grow(d, -v)),
    "feather": ("Feather mask", "Radius (pixels):", masking.feathered, masking.feather),
}
MAX_PX = 500


class MaskAdjustDialog(QDialog):
    def __init__(self, doc: Document, undo_stack, kind: str, value: int = 8, parent=None):
        super().__init__(parent)
        title, label, self._preview_fn, self._edit_fn = KINDS[kind]
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModal)
        self.doc, self.undo_stack = doc, undo_stack
        self.original = doc.mask.copy()
        self.applied = False

        self.spin = QSpinBox()
        self.spin.setRange(1, MAX_PX)
        self.spin.setSuffix(" px")
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(1, 100)  # the usual range; the box goes up to MAX_PX
        self.slider.setMinimumWidth(200)
        self.spin.valueChanged.connect(self._on_value)
        self.slider.valueChanged.connect(self.spin.setValue)
        row = QHBoxLayout()
        row.addWidget(self.slider)
        row.addWidget(self.spin)
        form = QFormLayout(self)
        form.addRow(label, row)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.Ok)
        self.cancel_button = buttons.button(QDialogButtonBox.Cancel)
        form.addRow(buttons)
        self.spin.setValue(value)
        self._on_value(value)  # preview the starting value too
        self.spin.selectAll()

    def value(self) -> int:
        return self.spin.value()

    def _on_value(self, value: int) -> None:
        if self.slider.value() != min(value, self.slider.maximum()):
            self.slider.blockSignals(True)
            self.slider.setValue(value)
            self.slider.blockSignals(False)
        self._show(self._preview_fn(self.original, value))

    def _show(self, mask: np.ndarray) -> None:
        np.copyto(self.doc.mask, mask)
        self.doc.notify(self.doc.bbox, mask=True)

    def accept(self) -> None:
        self._show(self.original)
        self.applied = push_edit(self.undo_stack, self.doc, self._edit_fn(self.doc, self.value()))
        super().accept()

    def reject(self) -> None:  # Cancel, Esc and the close button
        self._show(self.original)
        super().reject()
