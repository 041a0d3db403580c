"""QUndoCommand wrappers around document edits."""

from .edit_command import EditCommand, push_edit

__all__ = ["EditCommand", "push_edit"]
