"""QUndoCommand wrappers around document edits."""

from .edit_command import EditCommand, push_edit, seal_top

__all__ = ["EditCommand", "push_edit", "seal_top"]
