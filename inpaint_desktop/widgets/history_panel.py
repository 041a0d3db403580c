"""The History panel: the undo stack as a list (click an entry to go back to it) and the
memory that undo holds."""

from __future__ import annotations

import shiboken6
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QLabel, QStyle, QUndoView, QVBoxLayout, QWidget

EMPTY_LABEL = "Opened image"


def command_nbytes(cmd: QUndoCommand) -> int:
    """Memory a command keeps for undo: its `nbytes` if it says, else its children's."""
    nbytes = getattr(cmd, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes
    return sum(command_nbytes(cmd.child(i)) for i in range(cmd.childCount()))


def format_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


class HistoryPanel(QWidget):
    """Dock contents: a QUndoView of the undo stack, the clean state marked with an icon,
    and "Undo memory: ..." below it."""

    def __init__(self, parent: QWidget | None = None, empty_label: str = EMPTY_LABEL):
        super().__init__(parent)
        self._stack: QUndoStack | None = None
        self.view = QUndoView()
        self.view.setEmptyLabel(empty_label)
        self.view.setCleanIcon(self.style().standardIcon(QStyle.SP_DialogSaveButton))
        self.view.setToolTip("Click a step to go back (or forward) to it")
        self.memory_label = QLabel()
        self.memory_label.setToolTip("Memory the undo history keeps (pixels of the touched "
                                     "rectangles, removed layers)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.memory_label)
        self.set_undo_stack(None)

    def undo_stack(self) -> QUndoStack | None:
        return self._stack

    def set_undo_stack(self, stack: QUndoStack | None) -> None:
        old = self._stack
        if old is not None and shiboken6.isValid(old):
            old.indexChanged.disconnect(self.refresh)
            old.destroyed.disconnect(self._on_stack_destroyed)
        self._stack = stack
        self.view.setStack(stack)
        if stack is not None:
            stack.indexChanged.connect(self.refresh)
            stack.destroyed.connect(self._on_stack_destroyed)
        self.setEnabled(stack is not None)
        self.refresh()

    def _on_stack_destroyed(self, *_args) -> None:
        self._stack = None
        self.setEnabled(False)
        self.refresh()

    def undo_memory(self) -> int:
        """Bytes held by the stack's commands (those that report `nbytes`)."""
        stack = self._stack
        if stack is None or not shiboken6.isValid(stack):
            return 0
        return sum(command_nbytes(stack.command(i)) for i in range(stack.count()))

    def refresh(self, *_args) -> None:
        self.memory_label.setText(f"Undo memory: {format_bytes(self.undo_memory())}")
