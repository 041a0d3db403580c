"""Colour-hint edits: apply, revert, re-apply give exactly the same hints; idempotent;
each change notifies hints=True with a box around the touched hints."""

import numpy as np
import pytest

from inpaint_desktop.document import Document
from inpaint_desktop.document.hint_edits import (
    ClearHints,
    add_hint,
    clear_hints,
    hint_bbox,
    move_hint,
    recolor_hint,
    remove_hint,
    resize_hint,
)
from inpaint_desktop.document.hints import Hint


def make_doc(w=60, h=40):
    return Document.from_image(np.zeros((h, w, 3), np.uint8))


def record(doc):
    changes = []
    doc.add_listener(changes.append)
    return changes


def test_document_starts_without_hints():
    assert make_doc().hints == []


def test_add_remove_move_recolor_clear_undo_redo_exact():
    doc = make_doc()
    changes = record(doc)
    states = [list(doc.hints)]
    edits = []

    def do(edit):
        edit.apply(doc)
        edit.apply(doc)  # idempotent: QUndoStack.push calls redo once more
        edits.append(edit)
        states.append(list(doc.hints))

    do(add_hint(doc, 3, 4, (255, 0, 0)))
    do(add_hint(doc, 10, 20, (0, 255, 0)))
    do(add_hint(doc, 10, 20, (0, 255, 0)))  # an exact duplicate is a hint of its own
    do(add_hint(doc, 59.5, 0.25, (1, 2, 3)))
    do(move_hint(doc, 1, 30, 5))
    do(recolor_hint(doc, 0, (9, 8, 7)))
    do(remove_hint(doc, 2))
    do(remove_hint(doc, 0))
    do(clear_hints(doc))
    assert states[4] == [Hint(3, 4, (255, 0, 0)), Hint(10, 20, (0, 255, 0)),
                         Hint(10, 20, (0, 255, 0)), Hint(59.5, 0.25, (1, 2, 3))]
    assert states[5][1] == Hint(30, 5, (0, 255, 0))
    assert states[6][0] == Hint(3, 4, (9, 8, 7))
    assert states[8] == [Hint(30, 5, (0, 255, 0)), Hint(59.5, 0.25, (1, 2, 3))]
    assert states[9] == []
    assert all(c.hints and not c.mask and not c.layers for c in changes)
    assert len(changes) == len(edits)  # the repeated apply changed and notified nothing

    for i in range(len(edits) - 1, -1, -1):  # undo all
        edits[i].revert(doc)
        edits[i].revert(doc)
        assert doc.hints == states[i]
    for i, e in enumerate(edits):  # redo all
        e.apply(doc)
        assert doc.hints == states[i + 1]
    assert all(isinstance(h, Hint) for h in states[8])


def test_notified_boxes_cover_the_markers():
    doc = make_doc()  # 60 x 40: the default patch is 3 x 3 image pixels
    changes = record(doc)
    add_hint(doc, 5, 6, (1, 1, 1)).apply(doc)
    assert changes[-1].bbox == (4, 5, 7, 8) == hint_bbox((5, 6), 3)
    assert hint_bbox((5, 6)) == (5, 6, 6, 7)  # the pixel itself
    move = move_hint(doc, 0, 40, 30)
    move.apply(doc)
    assert changes[-1].bbox == (4, 5, 42, 32)  # the old place and the new one
    move.revert(doc)
    assert changes[-1].bbox == (4, 5, 42, 32)
    recolor_hint(doc, 0, (2, 2, 2)).apply(doc)
    assert changes[-1].bbox == (4, 5, 7, 8)
    assert hint_bbox((2.5, 3)) == (2, 3, 4, 4)  # between two pixels: both
    add_hint(doc, 50, 1, (0, 0, 0)).apply(doc)
    clear_hints(doc).apply(doc)
    assert changes[-1].bbox == (4, 0, 52, 8)
    assert all(c.hints for c in changes)


def test_resize_a_hint_undo_redo_and_its_box():
    doc = make_doc()
    add_hint(doc, 20, 10, (1, 1, 1)).apply(doc)
    add_hint(doc, 30, 10, (2, 2, 2), size=8).apply(doc)
    assert [h.size for h in doc.hints] == [None, 8]
    changes = record(doc)
    edit = resize_hint(doc, 0, 11)
    edit.apply(doc)
    edit.apply(doc)
    assert doc.hints[0] == Hint(20, 10, (1, 1, 1), 11) and len(changes) == 1
    assert changes[-1].bbox == (15, 5, 26, 16) and changes[-1].hints  # the larger square
    edit.revert(doc)
    edit.revert(doc)
    assert doc.hints[0] == Hint(20, 10, (1, 1, 1)) and len(changes) == 2
    assert resize_hint(doc, 1, 8) is None and resize_hint(doc, 0, None) is None
    back = resize_hint(doc, 1, None)  # back to the default patch
    back.apply(doc)
    assert doc.hints[1].size is None
    for bad in (0, 0.5, 5000, float("nan")):
        with pytest.raises(ValueError, match="patch size"):
            resize_hint(doc, 0, bad)
        with pytest.raises(ValueError, match="patch size"):
            add_hint(doc, 1, 1, (0, 0, 0), size=bad)
    with pytest.raises(IndexError):
        resize_hint(doc, 2, 4)


def test_nothing_to_do_and_bad_arguments():
    doc = make_doc()
    assert clear_hints(doc) is None
    add_hint(doc, 3, 4, (10, 20, 30)).apply(doc)
    assert move_hint(doc, 0, 3, 4) is None
    assert recolor_hint(doc, 0, (10, 20, 30)) is None
    for x, y in ((-1, 0), (60, 0), (0, 40), (float("nan"), 1)):
        with pytest.raises(ValueError, match="outside"):
            add_hint(doc, x, y, (0, 0, 0))
    with pytest.raises(ValueError, match="outside"):
        move_hint(doc, 0, 0, 40)
    with pytest.raises(ValueError, match="RGB"):
        add_hint(doc, 1, 1, (0, 256, 0))
    for make in (lambda: remove_hint(doc, 1), lambda: move_hint(doc, 5, 1, 1),
                 lambda: recolor_hint(doc, -1, (0, 0, 0))):
        with pytest.raises(IndexError):
            make()


def test_clear_keeps_its_own_copy():
    doc = make_doc()
    add_hint(doc, 1, 1, (5, 5, 5)).apply(doc)
    edit = clear_hints(doc)
    assert isinstance(edit, ClearHints)
    hints_list = doc.hints
    edit.apply(doc)
    assert doc.hints is hints_list and doc.hints == []  # the same list, emptied
    edit.revert(doc)
    edit.revert(doc)
    assert doc.hints == [Hint(1, 1, (5, 5, 5))]
