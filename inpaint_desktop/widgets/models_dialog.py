"""Train > Models: the learned models on this computer. The user's own can be renamed (edit
the name in place, or Rename), deleted and exported; the bundled ones are read-only."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from inpaint_desktop.data_folders import models_dir
from inpaint_desktop.model_files import ModelFileError, delete_model, export_model, rename_model

COLUMNS = ("Name", "Task", "Architecture", "Where", "About")
TASKS = {"inpaint": "erase", "colorize": "colorize"}
MODEL_ROLE = Qt.UserRole + 1


class ModelsDialog(QDialog):
    modelsChanged = Signal()  # files were renamed or deleted: re-read the engine lists

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.setModal(False)
        self.resize(820, 380)
        layout = QVBoxLayout(self)
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.folder_label.setWordWrap(True)
        layout.addWidget(self.folder_label)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.DoubleClicked
                                   | QAbstractItemView.EditKeyPressed)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setWordWrap(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemChanged.connect(self._on_item_changed)
        layout.addWidget(self.table, 1)

        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

        self.rename_button = QPushButton("&Rename")
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button = QPushButton("&Delete...")
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button = QPushButton("&Export...")
        self.export_button.setToolTip("Copy the weights and the model card to a folder")
        self.export_button.clicked.connect(self.export_selected)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        row = QHBoxLayout()
        for b in (self.rename_button, self.delete_button, self.export_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        self.refresh()

    # --- the list ------------------------------------------------------------------------
    def refresh(self) -> None:
        from models.learned import (
            ARCHITECTURES,
            describe,
            discover,
            discovered,
            discovery_problems,
        )

        discover()
        keep = self.selected()
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        italic = QFont(self.table.font())
        italic.setItalic(True)
        mine = sorted((m for m in discovered() if self.is_users(m)), key=lambda m: m.name)
        bundled = sorted((m for m in discovered() if not self.is_users(m)), key=lambda m: m.name)
        for m in mine + bundled:
            row = self.table.rowCount()
            self.table.insertRow(row)
            arch = ARCHITECTURES.get(m.card.get("architecture"))
            about = str(m.card.get("description") or describe(m.card))
            texts = (m.name, TASKS.get(m.kind, m.kind), arch.label if arch else "?",
                     "yours" if self.is_users(m) else "bundled (read-only)", about)
            for col, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setData(MODEL_ROLE, m)
                item.setToolTip(f"{m.weights}\n{about}")
                flags = Qt.ItemIsSelectable | Qt.ItemIsEnabled
                if col == 0 and self.is_users(m):
                    flags |= Qt.ItemIsEditable  # rename in place
                item.setFlags(flags)
                if not self.is_users(m):
                    item.setFont(italic)
                self.table.setItem(row, col, item)
            if keep is not None and m.weights == keep.weights:
                self.table.selectRow(row)
        self.table.resizeRowsToContents()
        self.table.blockSignals(False)
        if self.table.currentRow() < 0 and self.table.rowCount():
            self.table.selectRow(0)
        folder = models_dir()
        text = f"Your models are in {folder}."
        if not self.table.rowCount():
            text = ("No learned models yet: Train > Fine-tune on my photos makes one. "
                    + text)
        problems = discovery_problems()
        if problems:
            text += f"\nSkipped {len(problems)} file(s): " + "; ".join(problems[:3])
        self.folder_label.setText(text)
        self._update_buttons()

    @staticmethod
    def is_users(m) -> bool:
        from models.learned import BUNDLED_PRIORITY, user_folders

        if m.priority >= BUNDLED_PRIORITY:
            return False
        parent = Path(m.weights).resolve().parent
        return any(parent == Path(f).resolve() for f in user_folders())

    def selected(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() \
            else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.data(MODEL_ROLE) if item is not None else None

    def select(self, name: str) -> bool:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(MODEL_ROLE).name == name:
                self.table.selectRow(row)
                return True
        return False

    def _update_buttons(self) -> None:
        m = self.selected()
        mine = m is not None and self.is_users(m)
        self.rename_button.setEnabled(mine)
        self.delete_button.setEnabled(mine)
        self.export_button.setEnabled(m is not None)
        tip = "" if mine or m is None else "Bundled models are read-only"
        self.rename_button.setToolTip(tip)
        self.delete_button.setToolTip(tip)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b3261e;" if error else "")
        self.message.setText(text)

    # --- actions -------------------------------------------------------------------------
    def rename_selected(self) -> None:
        row = self.table.currentRow()
        m = self.selected()
        if m is not None and self.is_users(m):
            self.table.setCurrentCell(row, 0)
            self.table.editItem(self.table.item(row, 0))

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        m = item.data(MODEL_ROLE)
        new = item.text().strip()
        if item.column() != 0 or m is None or new == m.name:
            return
        try:
            rename_model(m.weights, new)
        except ModelFileError as exc:
            self._say(f"Cannot rename “{m.name}”: {exc}", error=True)
            new, changed = m.name, False
        else:
            self._say(f"Renamed “{m.name}” to “{new}”.")
            changed = True
        # Not from inside the item's own change: rebuilding the table deletes the item.
        QTimer.singleShot(0, self, lambda: self._after_rename(new, changed))

    def _after_rename(self, name: str, changed: bool) -> None:
        self.refresh()
        self.select(name)
        if changed:
            self.modelsChanged.emit()

    def delete_selected(self) -> None:
        m = self.selected()
        if m is None or not self.is_users(m) or not self.confirm_delete(m.name):
            return
        try:
            delete_model(m.weights)
        except ModelFileError as exc:
            self._say(str(exc), error=True)
        else:
            self._say(f"Deleted “{m.name}”.")
        self.refresh()
        self.modelsChanged.emit()

    def confirm_delete(self, name: str) -> bool:
        """Asked before a delete (tests replace this, as the main window's questions)."""
        box = QMessageBox(QMessageBox.Warning, "Delete model",
                          f"Delete the model “{name}”? Its weights file and model card are "
                          "removed from your model folder.",
                          QMessageBox.Yes | QMessageBox.Cancel, self)
        box.setDefaultButton(QMessageBox.Cancel)
        return box.exec() == QMessageBox.Yes

    def export_selected(self) -> None:
        m = self.selected()
        if m is None:
            return
        folder = self.ask_export_folder()
        if not folder:
            return
        try:
            copies = export_model(m.weights, Path(folder))
        except ModelFileError as exc:
            self._say(str(exc), error=True)
            return
        self._say(f"Exported “{m.name}” to {folder} ({', '.join(p.name for p in copies)}).")

    def ask_export_folder(self) -> str:
        return QFileDialog.getExistingDirectory(self, "Export the model to")
