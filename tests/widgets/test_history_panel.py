"""The History panel: the undo stack as a clickable list and the memory undo holds."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from inpaint_desktop.commands import push_edit
from inpaint_desktop.document import Document, Patch, PixelEdit, layer_ops
from inpaint_desktop.widgets.history_panel import HistoryPanel, format_bytes


@pytest.fixture
def env(qtbot):
    doc = Document.from_image(np.zeros((30, 40, 3), np.uint8))
    stack = QUndoStack()
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.resize(260, 300)
    panel.set_undo_stack(stack)
    panel.show()
    qtbot.waitExposed(panel)
    return doc, stack, panel


def mask_edit(doc: Document, box=(0, 0, 10, 10)) -> PixelEdit:
    x0, y0, x1, y1 = box
    before = doc.mask[y0:y1, x0:x1].copy()
    return PixelEdit(doc.MASK, [Patch(box, before, np.full_like(before, 255))], "Brush")


def rows(panel: HistoryPanel) -> list[str]:
    model = panel.view.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_lists_commands_under_the_opened_image(env):
    doc, stack, panel = env
    assert rows(panel) == ["Opened image"]
    push_edit(stack, doc, mask_edit(doc))
    push_edit(stack, doc, layer_ops.rename_layer(doc, doc.layers[0].id, "Photo"))
    assert rows(panel) == ["Opened image", "Brush", "Rename layer to 'Photo'"]


def test_clicking_an_earlier_entry_undoes_to_it(env, qtbot):
    doc, stack, panel = env
    push_edit(stack, doc, mask_edit(doc))
    push_edit(stack, doc, layer_ops.rename_layer(doc, doc.layers[0].id, "Photo"))
    push_edit(stack, doc, mask_edit(doc, (20, 10, 30, 20)))
    view = panel.view
    rect = view.visualRect(view.model().index(1, 0))  # "Brush", the first step
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert stack.index() == 1
    assert doc.layers[0].name == "Background" and doc.mask[15, 25] == 0
    assert doc.mask[5, 5] == 255
    rect = view.visualRect(view.model().index(0, 0))  # the opened image
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert stack.index() == 0 and not doc.mask.any()
    rect = view.visualRect(view.model().index(3, 0))  # and forward again
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert stack.index() == 3 and doc.mask[15, 25] == 255


def test_memory_label_follows_the_stack(env):
    doc, stack, panel = env
    assert panel.memory_label.text() == "Undo memory: 0 B"
    push_edit(stack, doc, mask_edit(doc))  # 2 x 100 bytes
    assert panel.undo_memory() == 200
    assert panel.memory_label.text() == "Undo memory: 200 B"
    # A deleted layer is kept for undo: 40 x 30 x 3 bytes.
    push_edit(stack, doc, layer_ops.duplicate_layer(doc, doc.layers[0].id))
    push_edit(stack, doc, layer_ops.delete_layer(doc, doc.layers[1].id))
    assert panel.undo_memory() == 200 + 2 * 3600
    assert panel.memory_label.text() == "Undo memory: 7.2 KB"
    stack.undo()  # redo steps still hold their memory
    assert panel.undo_memory() == 200 + 2 * 3600
    stack.setIndex(0)
    push_edit(stack, doc, layer_ops.rename_layer(doc, doc.layers[0].id, "x"))  # drops them
    assert panel.memory_label.text() == "Undo memory: 0 B"


def test_no_stack_and_stack_replaced(env, qtbot):
    doc, stack, panel = env
    push_edit(stack, doc, mask_edit(doc))
    panel.set_undo_stack(None)
    assert not panel.isEnabled() and panel.view.stack() is None
    assert panel.memory_label.text() == "Undo memory: 0 B"
    push_edit(stack, doc, mask_edit(doc, (10, 10, 20, 20)))  # the old stack is not followed
    assert panel.memory_label.text() == "Undo memory: 0 B"
    other = QUndoStack()
    panel.set_undo_stack(other)
    assert panel.isEnabled() and rows(panel) == ["Opened image"]
    other.deleteLater()
    qtbot.waitUntil(lambda: not panel.isEnabled(), timeout=2000)
    assert panel.undo_stack() is None


def test_format_bytes():
    assert format_bytes(0) == "0 B"
    assert format_bytes(1023) == "1023 B"
    assert format_bytes(1536) == "1.5 KB"
    assert format_bytes(int(12.3 * 1024 ** 2)) == "12.3 MB"
    assert format_bytes(3 * 1024 ** 3) == "3.0 GB"
