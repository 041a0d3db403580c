"""One QUndoCommand for any document Edit.

redo() applies the edit and undo() reverts it; both are idempotent, so the
immediate redo() inside QUndoStack.push() is harmless for a brush stroke that
has already painted its pixels live.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from inpaint_desktop.document import CompoundEdit, Document, Edit, LayerPropsEdit
from inpaint_desktop.document.hint_edits import ResizeHint

# Consecutive changes of one layer's same properties (an opacity slider drag) merge
# into one undo step; so do consecutive resizes of one colour hint (wheel notches).
MERGE_LAYER_PROPS = 1
MERGE_HINT_SIZE = 2


class EditCommand(QUndoCommand):
    def __init__(self, doc: Document, edit: Edit, label: str | None = None):
        super().__init__(label or edit.label)
        self.doc = doc
        self.edit = edit
        self.sealed = False
        self.merges = 0  # how many later commands merged into this one

    def redo(self) -> None:
        self.edit.apply(self.doc)

    def undo(self) -> None:
        self.edit.revert(self.doc)

    def attach(self, edit: Edit) -> None:
        """Apply `edit` now and make it part of this step (undo reverts both), e.g. the live
        colorization that a new colour hint caused. Only for the command on top of the stack."""
        edit.apply(self.doc)
        if not isinstance(self.edit, CompoundEdit) or not getattr(self, "_attached", False):
            self.edit = CompoundEdit([self.edit], label=self.edit.label)
            self._attached = True
        self.edit.edits.append(edit)

    def id(self) -> int:
        if isinstance(self.edit, LayerPropsEdit):
            return MERGE_LAYER_PROPS
        if isinstance(self.edit, ResizeHint):
            return MERGE_HINT_SIZE
        return -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if self.sealed:
            return False  # a finished gesture (slider released): the next one is a new step
        mine, theirs = self.edit, getattr(other, "edit", None)
        if isinstance(mine, ResizeHint) and isinstance(theirs, ResizeHint):
            # (a resize with a colorization update attached is a CompoundEdit: not merged)
            if mine.index != theirs.index:
                return False
            mine.after = theirs.after
            self.merges += 1
            return True
        if not (isinstance(mine, LayerPropsEdit) and isinstance(theirs, LayerPropsEdit)):
            return False
        if mine.layer_id != theirs.layer_id or set(mine.after) != set(theirs.after):
            return False
        if set(mine.after) == {"visible"} or "name" in mine.after:
            return False  # toggles and renames stay separate steps
        mine.after = dict(theirs.after)
        self.merges += 1
        return True

    @property
    def nbytes(self) -> int:
        return self.edit.nbytes


def seal_top(stack: QUndoStack) -> None:
    """End merging into the newest step, e.g. when the user lets go of a slider."""
    if stack is not None and stack.index() > 0:
        top = stack.command(stack.index() - 1)
        if isinstance(top, EditCommand):
            top.sealed = True


def push_edit(stack: QUndoStack, doc: Document, edit: Edit | None,
              label: str | None = None) -> bool:
    """Push `edit` as one undo step (applying it); None (nothing to do) pushes nothing."""
    if edit is None:
        return False
    stack.push(EditCommand(doc, edit, label))
    return True
