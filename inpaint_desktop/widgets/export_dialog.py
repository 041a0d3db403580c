"""The export options asked after the file name: JPEG quality, and whether to strip location."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox

LOSSY_SUFFIXES = (".jpg", ".jpeg", ".webp")


def needs_options(path: str, has_location: bool) -> bool:
    """A PNG of a photo without GPS data has nothing to ask: export it straight away."""
    return path.lower().endswith(LOSSY_SUFFIXES) or has_location


class ExportOptionsDialog(QDialog):
    def __init__(self, path: str, *, quality: int, has_location: bool, strip_location: bool,
                 parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export options")
        form = QFormLayout(self)
        self.quality_box = QSpinBox()
        self.quality_box.setRange(1, 100)
        self.quality_box.setValue(quality)
        self.quality_box.setToolTip("JPEG/WebP quality: 92 is visually lossless for photos")
        if path.lower().endswith(LOSSY_SUFFIXES):
            form.addRow("Quality (1-100):", self.quality_box)
        else:
            self.quality_box.hide()
        self.strip_box = QCheckBox("Remove location (GPS) data")
        self.strip_box.setToolTip("The photo's EXIF data says where it was taken. Camera and "
                                  "date are kept either way.")
        self.strip_box.setChecked(strip_location and has_location)
        self.strip_box.setEnabled(has_location)
        form.addRow(self.strip_box)
        if not has_location:
            form.addRow(QLabel("This photo holds no location data."))
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.Ok)
        form.addRow(buttons)

    def quality(self) -> int:
        return self.quality_box.value()

    def strip_location(self) -> bool:
        return self.strip_box.isChecked()
