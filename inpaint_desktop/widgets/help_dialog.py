"""Help > Keyboard shortcuts (a searchable list) and Help > About.

The shortcut list is read from the window's menus each time it opens, and the mouse
modifiers from the same text the tool tooltips show: it cannot go stale."""

from __future__ import annotations

import platform
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from inpaint_desktop.data_folders import models_dir, runs_dir
from inpaint_desktop.widgets.shortcuts import keys_text, plain_text

# Keys that are no QAction: the canvas handles them itself.
CANVAS_KEYS = [
    ("View", "Pan", "Space+drag, or drag with the middle button"),
    ("View", "Zoom around the cursor", "mouse wheel (Ctrl+wheel with the Colour hint tool)"),
    ("Colour hint tool", "Patch size of new hints and of the selected hint", "mouse wheel"),
]


def menu_rows(menu_bar) -> list[tuple[str, str, str]]:
    """(menu path, command, keys) for every command in the menus, in menu order."""
    rows: list[tuple[str, str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.isSeparator():
                continue
            sub = action.menu()
            if sub is not None:
                if sub.objectName() != "recent":  # file names, not commands
                    walk(sub, f"{path} > {plain_text(action)}")
                continue
            rows.append((path, plain_text(action), keys_text(action)))

    for action in menu_bar.actions():
        if action.menu() is not None:
            walk(action.menu(), plain_text(action))
    return rows


def tool_rows(tool_actions: dict[str, QAction], tool_keys: dict[str, str]) -> list:
    return [(f"Tools > {plain_text(tool_actions[name])}", "mouse and modifier keys", keys)
            for name, keys in tool_keys.items() if name in tool_actions]


class ShortcutsDialog(QDialog):
    def __init__(self, rows: list[tuple[str, str, str]], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(640, 520)
        layout = QVBoxLayout(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search commands and keys (e.g. undo, Ctrl+D, lasso)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        layout.addWidget(self.search)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Command", "Keys"])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.setWordWrap(True)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnToContents(0)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for r in range(self.table.rowCount()):
            row = " ".join(self.table.item(r, c).text() for c in range(3)).lower()
            self.table.setRowHidden(r, not all(w in row for w in words))

    def visible_rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.table.item(r, c).text() for c in range(3))
                for r in range(self.table.rowCount()) if not self.table.isRowHidden(r)]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def about_text() -> str:
    """Versions and folders, as rich text (the folders can be selected and copied)."""
    rows = [
        ("Inpaint Desktop", _version("inpaint-desktop")),
        ("Qt", f"{qVersion()} (PySide6 {pyside_version})"),
        ("PyTorch", _version("torch")),
        ("Python", platform.python_version()),
        ("Your models", str(models_dir())),
        ("Training runs", str(runs_dir())),
    ]
    cells = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{_html(v)}</td></tr>"
                    for k, v in rows)
    return ("<p>Erase objects and colorize old photos, offline, with models you can "
            f"fine-tune on your own photos.</p><table>{cells}</table>")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class AboutDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("About Inpaint Desktop")
        layout = QVBoxLayout(self)
        self.label = QLabel(about_text())
        self.label.setTextFormat(Qt.RichText)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.label)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
