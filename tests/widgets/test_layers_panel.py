"""The Layers panel, driven with real clicks and keys on a tiny document."""

from __future__ import annotations

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QStyle,
    QStyleOptionViewItem,
)

from inpaint_desktop.commands import push_edit
from inpaint_desktop.document import Document, Layer, Patch, PixelEdit, layer_ops
from inpaint_desktop.widgets.layers_panel import LayersPanel, thumbnail_rgb

W, H = 40, 30


def _image(seed: int, h: int = H, w: int = W) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def make_doc(n_layers: int = 3) -> Document:
    """Background + layers named L1, L2, ... (L1 has an alpha channel and an offset)."""
    doc = Document.from_image(_image(0))
    for k in range(1, n_layers):
        if k == 1:
            alpha = np.zeros((10, 20), np.uint8)
            alpha[:, :10] = 255
            layer = Layer(f"L{k}", pixels=_image(k, 10, 20), alpha=alpha, x=5, y=4)
        else:
            layer = Layer(f"L{k}", pixels=_image(k))
        doc.apply(layer_ops.add_layer(doc, layer))
    return doc


def snapshot(doc: Document) -> list[tuple]:
    return [(la.id, la.name, la.opacity, la.visible, la.x, la.y, la.pixels.copy(),
             None if la.alpha is None else la.alpha.copy()) for la in doc.layers]


def assert_same(a: list[tuple], b: list[tuple]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x[:6] == y[:6]
        assert np.array_equal(x[6], y[6])
        assert (x[7] is None) == (y[7] is None)
        if x[7] is not None:
            assert np.array_equal(x[7], y[7])


@pytest.fixture
def env(qtbot):
    def build(n_layers: int = 3):
        doc = make_doc(n_layers)
        stack = QUndoStack()
        panel = LayersPanel()
        qtbot.addWidget(panel)
        panel.resize(320, 420)
        panel.set_document(doc, stack)
        panel.show()
        qtbot.waitExposed(panel)
        return doc, stack, panel
    return build


def names(panel: LayersPanel) -> list[str]:
    return [panel.list.item(r).text() for r in range(panel.list.count())]


def click_row(qtbot, panel: LayersPanel, row: int) -> None:
    rect = panel.list.visualItemRect(panel.list.item(row))
    qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, pos=rect.center())


def check_rect(panel: LayersPanel, row: int):
    lw = panel.list
    index = lw.model().index(row, 0)
    opt = QStyleOptionViewItem()
    lw.initViewItemOption(opt)
    opt.rect = lw.visualRect(index)
    lw.itemDelegate().initStyleOption(opt, index)
    return lw.style().subElementRect(QStyle.SE_ItemViewItemCheckIndicator, opt, lw)


def settle(qtbot, panel: LayersPanel, doc: Document) -> None:
    """Wait until the panel shows the document's layers (after changes made elsewhere)."""
    want = [la.name for la in reversed(doc.layers)]
    qtbot.waitUntil(lambda: names(panel) == want, timeout=2000)


def test_lists_layers_top_first_with_thumbnails(env):
    doc, _stack, panel = env()
    assert names(panel) == ["L2", "L1", "Background"]
    assert [panel.list.item(r).data(Qt.UserRole + 1) for r in range(3)] == \
        [la.id for la in reversed(doc.layers)]
    assert panel.current_layer_id() == doc.layers[-1].id  # the top layer starts current
    for r in range(3):
        assert panel.list.item(r).checkState() == Qt.Checked
        icon = panel.list.item(r).icon()
        assert not icon.isNull()
    assert panel.list.item(0).icon().availableSizes()[0].toTuple() == (48, 36)  # 40 x 30
    assert panel.list.item(1).icon().availableSizes()[0].toTuple() == (48, 24)  # 20 x 10


def test_thumbnail_blends_alpha_over_a_checkerboard():
    pixels = np.zeros((10, 20, 3), np.uint8)
    pixels[:] = (200, 10, 30)
    alpha = np.zeros((10, 20), np.uint8)
    alpha[:, :10] = 255
    thumb = thumbnail_rgb(Layer("a", pixels=pixels, alpha=alpha), 20)
    assert thumb.shape == (10, 20, 3) and thumb.dtype == np.uint8
    assert (thumb[:, :10] == (200, 10, 30)).all()
    transparent = thumb[:, 10:]
    assert set(np.unique(transparent)) <= {204, 255} and len(np.unique(transparent)) == 2
    big = thumbnail_rgb(Layer("b", pixels=np.full((300, 1000, 3), 7, np.uint8)))
    assert big.shape == (14, 48, 3) and (big == 7).all()


def test_clicking_a_row_makes_it_current(env, qtbot):
    doc, _stack, panel = env()
    seen = []
    panel.currentLayerChanged.connect(seen.append)
    click_row(qtbot, panel, 2)
    assert panel.current_layer_id() == doc.layers[0].id
    assert seen == [doc.layers[0].id]
    panel.select_layer(doc.layers[1].id)
    assert panel.list.currentRow() == 1 and seen[-1] == doc.layers[1].id


def test_visibility_click_hides_the_layer_in_one_command(env, qtbot):
    doc, stack, panel = env()
    rect = check_rect(panel, 2)  # Background
    qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, pos=rect.center())
    assert doc.layers[0].visible is False
    assert stack.count() == 1
    assert panel.list.item(2).checkState() == Qt.Unchecked
    stack.undo()
    assert doc.layers[0].visible is True
    qtbot.waitUntil(lambda: panel.list.item(2).checkState() == Qt.Checked, timeout=2000)


def test_hidden_layer_keeps_its_box_when_the_list_is_rebuilt(env, qtbot):
    doc, stack, panel = env()
    push_edit(stack, doc, layer_ops.set_props(doc, doc.layers[0].id, visible=False))
    push_edit(stack, doc, layer_ops.duplicate_layer(doc, doc.layers[1].id))  # new rows
    settle(qtbot, panel, doc)
    item = panel.list.item(3)
    assert item.data(Qt.CheckStateRole) is not None  # an empty box, not no box
    assert item.checkState() == Qt.Unchecked


def test_space_toggles_visibility(env, qtbot):
    doc, stack, panel = env()
    click_row(qtbot, panel, 0)
    qtbot.keyClick(panel.list, Qt.Key_Space)
    assert doc.layers[-1].visible is False and stack.count() == 1


def test_opacity_slider_drag_is_one_undo_step(env, qtbot):
    doc, stack, panel = env()
    click_row(qtbot, panel, 1)  # L1
    layer = doc.layers[1]
    slider = panel.opacity_slider
    assert slider.isEnabled() and slider.value() == 100
    y = slider.height() // 2
    handle_x = slider.width() - 4
    qtbot.mousePress(slider, Qt.LeftButton, pos=QPoint(handle_x, y))
    for x in (handle_x - 20, handle_x - 40, slider.width() // 2):
        qtbot.mouseMove(slider, QPoint(x, y))
    qtbot.mouseRelease(slider, Qt.LeftButton, pos=QPoint(slider.width() // 2, y))
    assert slider.value() < 70
    assert layer.opacity == pytest.approx(slider.value() / 100)
    assert panel.opacity_spin.value() == slider.value()
    assert stack.count() == 1
    stack.undo()
    assert layer.opacity == 1.0
    qtbot.waitUntil(lambda: slider.value() == 100, timeout=2000)
    assert panel.opacity_spin.value() == 100


def test_two_opacity_drags_are_two_undo_steps(env, qtbot):
    doc, stack, panel = env()
    click_row(qtbot, panel, 1)
    layer = doc.layers[1]
    slider = panel.opacity_slider
    y = slider.height() // 2

    def drag(x0, x1):
        qtbot.mousePress(slider, Qt.LeftButton, pos=QPoint(x0, y))
        for x in (x0 + (x1 - x0) // 2, x1):
            qtbot.mouseMove(slider, QPoint(x, y))
        qtbot.mouseRelease(slider, Qt.LeftButton, pos=QPoint(x1, y))

    drag(slider.width() - 4, slider.width() // 2)
    first = layer.opacity
    drag(slider.width() // 2, slider.width() // 4)
    assert layer.opacity < first
    assert stack.count() == 2
    stack.undo()
    assert layer.opacity == pytest.approx(first)


def test_opacity_spin_box_sets_opacity(env, qtbot):
    doc, stack, panel = env()
    spin = panel.opacity_spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "25")
    qtbot.keyClick(spin, Qt.Key_Return)
    assert doc.layers[-1].opacity == pytest.approx(0.25)
    assert panel.opacity_slider.value() == 25
    assert stack.count() == 1


def _editor(panel: LayersPanel) -> QLineEdit:
    """The inline name editor that the list opened."""
    assert panel.list.state() == QAbstractItemView.EditingState
    editors = [e for e in panel.list.viewport().findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1
    return editors[0]


def test_rename_with_f2(env, qtbot):
    doc, stack, panel = env()
    click_row(qtbot, panel, 1)
    qtbot.keyClick(panel.list, Qt.Key_F2)
    editor = _editor(panel)
    editor.selectAll()
    qtbot.keyClicks(editor, "Sky")
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: doc.layers[1].name == "Sky", timeout=2000)  # commits queued
    assert names(panel) == ["L2", "Sky", "Background"]
    assert stack.count() == 1 and stack.undoText() == "Rename layer to 'Sky'"
    stack.undo()
    assert doc.layers[1].name == "L1"
    settle(qtbot, panel, doc)


def test_rename_with_double_click(env, qtbot):
    doc, stack, panel = env()
    rect = panel.list.visualItemRect(panel.list.item(2))
    # A real double-click is press, release, double-click (QTest's mouseDClick sends only
    # the last one).
    qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.list.viewport(), Qt.LeftButton, pos=rect.center())
    editor = _editor(panel)
    editor.selectAll()
    qtbot.keyClicks(editor, "Photo")
    qtbot.keyClick(editor, Qt.Key_Enter)
    qtbot.waitUntil(lambda: doc.layers[0].name == "Photo", timeout=2000)
    assert stack.count() == 1 and names(panel)[2] == "Photo"


def test_empty_name_is_refused_with_a_message(env, qtbot):
    doc, stack, panel = env()
    messages = []
    panel.statusMessage.connect(messages.append)
    qtbot.keyClick(panel.list, Qt.Key_F2)
    editor = _editor(panel)
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key_Space)
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: bool(messages), timeout=2000)
    assert doc.layers[-1].name == "L2" and stack.count() == 0
    assert names(panel)[0] == "L2"
    assert messages and "empty" in messages[0]


def _ops():
    """(button, row to select first, check(doc_before_snapshot, doc, panel))."""

    def duplicate(before, doc, panel):
        assert [la.name for la in doc.layers] == ["Background", "L1", "L1 copy", "L2"]
        assert np.array_equal(doc.layers[2].pixels, doc.layers[1].pixels)
        assert panel.current_layer_id() == doc.layers[2].id  # the new layer is selected

    def delete(before, doc, panel):
        assert [la.id for la in doc.layers] == [before[0][0], before[2][0]]
        assert panel.current_layer_id() == doc.layers[0].id  # the layer below it

    def move_up(before, doc, panel):
        assert [la.id for la in doc.layers] == [before[0][0], before[2][0], before[1][0]]
        assert panel.current_layer_id() == before[1][0]

    def move_down(before, doc, panel):
        assert [la.id for la in doc.layers] == [before[1][0], before[0][0], before[2][0]]
        assert panel.current_layer_id() == before[1][0]

    def merge_down(before, doc, panel):
        assert [la.name for la in doc.layers] == ["Background", "L2"]
        merged = doc.layers[0]
        assert merged.alpha is None and merged.bbox == doc.bbox
        assert np.array_equal(merged.pixels[4:14, 5:15], before[1][6][:, :10])  # L1 opaque part
        assert np.array_equal(merged.pixels[4:14, 15:25], before[0][6][4:14, 15:25])
        assert panel.current_layer_id() == merged.id

    def flatten(before, doc, panel):
        assert len(doc.layers) == 1
        assert np.array_equal(doc.layers[0].pixels, before[2][6])  # L2 covers everything
        assert panel.current_layer_id() == doc.layers[0].id

    return [("duplicate", 1, duplicate), ("delete", 1, delete), ("move_up", 1, move_up),
            ("move_down", 1, move_down), ("merge_down", 1, merge_down),
            ("flatten", 0, flatten)]


@pytest.mark.parametrize("button,row,check", _ops(), ids=[o[0] for o in _ops()])
def test_layer_operation_buttons_and_undo(env, qtbot, button, row, check):
    doc, stack, panel = env()
    click_row(qtbot, panel, row)
    before = snapshot(doc)
    qtbot.mouseClick(panel.buttons[button], Qt.LeftButton)
    assert stack.count() == 1
    check(before, doc, panel)
    assert names(panel) == [la.name for la in reversed(doc.layers)]  # shown at once
    stack.undo()
    assert_same(snapshot(doc), before)
    settle(qtbot, panel, doc)
    stack.redo()
    settle(qtbot, panel, doc)
    check(before, doc, panel)


def test_buttons_disable_when_not_applicable(env, qtbot):
    doc, _stack, panel = env()
    b = panel.buttons
    click_row(qtbot, panel, 0)  # top
    assert not b["move_up"].isEnabled()
    assert b["move_down"].isEnabled() and b["merge_down"].isEnabled()
    assert b["delete"].isEnabled() and b["flatten"].isEnabled()
    click_row(qtbot, panel, 2)  # bottom
    assert b["move_up"].isEnabled()
    assert not b["move_down"].isEnabled() and not b["merge_down"].isEnabled()

    doc1, stack1, panel1 = env(1)
    b = panel1.buttons
    assert b["duplicate"].isEnabled()
    for name in ("delete", "move_up", "move_down", "merge_down", "flatten"):
        assert not b[name].isEnabled(), name
    # A lone layer that is not plain (half transparent) can still be flattened.
    push_edit(stack1, doc1, layer_ops.set_props(doc1, doc1.layers[0].id, opacity=0.5))
    qtbot.waitUntil(lambda: b["flatten"].isEnabled(), timeout=2000)


def test_actions_are_shared_with_menus(env):
    _doc, _stack, panel = env()
    actions = panel.layer_actions()
    assert panel.duplicate_action in actions and panel.flatten_action in actions
    assert set(actions) <= set(panel.actions())
    assert all(a.toolTip() for a in actions)
    assert panel.list.contextMenuPolicy() == Qt.ActionsContextMenu


def test_delete_key_deletes_the_current_layer(env, qtbot):
    doc, stack, panel = env()
    click_row(qtbot, panel, 0)
    qtbot.keyClick(panel.list, Qt.Key_Delete)
    assert [la.name for la in doc.layers] == ["Background", "L1"] and stack.count() == 1


def test_drop_reorders_the_layers(env, qtbot):
    doc, stack, panel = env()
    before = [la.id for la in doc.layers]
    click_row(qtbot, panel, 2)  # Background
    lw = panel.list
    mime = QMimeData()
    mime.setData("application/x-qabstractitemmodeldatalist", b"")
    top = lw.visualItemRect(lw.item(0))
    pos = QPointF(top.center().x(), top.top() + 2)  # upper half of the top row
    event = QDropEvent(pos, Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier)
    # A real drag cannot run headless (QDrag.exec blocks, and Qt delivers a drop only to
    # the target of a live drag), so hand the drop to the list as Qt would at the end.
    lw.dropEvent(event)
    assert event.isAccepted() and event.dropAction() != Qt.MoveAction  # Qt must not move it
    qtbot.waitUntil(lambda: stack.count() == 1, timeout=2000)
    assert [la.id for la in doc.layers] == [before[1], before[2], before[0]]
    assert names(panel) == ["Background", "L2", "L1"]
    assert panel.current_layer_id() == before[0]
    stack.undo()
    assert [la.id for la in doc.layers] == before


def test_mask_changes_do_not_rebuild_the_list(env, qtbot, monkeypatch):
    doc, _stack, panel = env()
    calls = {"rebuild": 0, "thumbs": 0}
    rebuild, thumbs = panel._rebuild, panel._refresh_thumbnails

    def spy_rebuild():
        calls["rebuild"] += 1
        rebuild()

    def spy_thumbs():
        calls["thumbs"] += 1
        thumbs()

    monkeypatch.setattr(panel, "_rebuild", spy_rebuild)
    monkeypatch.setattr(panel, "_refresh_thumbnails", spy_thumbs)
    for i in range(5):  # a brush stroke on the mask
        after = np.full((4, 4), 255, np.uint8)
        doc.apply(PixelEdit(doc.MASK, [Patch((i, i, i + 4, i + 4), after * 0, after)]))
    qtbot.wait(20)
    assert calls == {"rebuild": 0, "thumbs": 0}

    # Pixels of the background change: its thumbnail (only) refreshes, once for the burst.
    base = doc.layers[0]
    old_icon = panel.list.item(2).icon().cacheKey()
    l1_icon = panel.list.item(1).icon().cacheKey()  # L1 lies away from the change
    for i in range(3):
        patch = Patch((30, 20 + i, 40, 21 + i), base.pixels[20 + i:21 + i, 30:40].copy(),
                      np.zeros((1, 10, 3), np.uint8))
        doc.apply(PixelEdit(base.id, [patch]))
    qtbot.waitUntil(lambda: calls["thumbs"] == 1, timeout=2000)
    qtbot.wait(20)
    assert calls == {"rebuild": 0, "thumbs": 1}
    assert panel.list.item(2).icon().cacheKey() != old_icon
    assert panel.list.item(1).icon().cacheKey() == l1_icon
    # A burst of layer-list changes costs one rebuild.
    for name in ("a", "b", "c"):
        doc.apply(layer_ops.rename_layer(doc, base.id, name))
    qtbot.waitUntil(lambda: calls["rebuild"] == 1, timeout=2000)
    qtbot.wait(20)
    assert calls["rebuild"] == 1 and names(panel)[2] == "c"


def test_undo_through_the_stack_updates_the_panel(env, qtbot):
    doc, stack, panel = env()
    click_row(qtbot, panel, 1)
    qtbot.mouseClick(panel.buttons["duplicate"], Qt.LeftButton)
    new_id = panel.current_layer_id()
    qtbot.mouseClick(panel.buttons["delete"], Qt.LeftButton)
    qtbot.mouseClick(panel.buttons["delete"], Qt.LeftButton)
    assert len(doc.layers) == 2
    stack.undo()
    settle(qtbot, panel, doc)
    stack.undo()
    settle(qtbot, panel, doc)
    assert panel.current_layer_id() == new_id  # the layer that came back
    stack.undo()
    settle(qtbot, panel, doc)
    assert names(panel) == ["L2", "L1", "Background"]


def test_document_replaced_or_removed(env, qtbot):
    doc, _stack, panel = env()
    assert len(doc._listeners) == 1
    other = make_doc(2)
    panel.set_document(other, QUndoStack())
    assert doc._listeners == [] and len(other._listeners) == 1
    assert names(panel) == ["L1", "Background"]
    doc.apply(layer_ops.rename_layer(doc, doc.layers[0].id, "gone"))
    qtbot.wait(20)
    assert names(panel) == ["L1", "Background"]
    seen = []
    panel.currentLayerChanged.connect(seen.append)
    panel.set_document(None, None)
    assert other._listeners == []
    assert panel.list.count() == 0 and not panel.isEnabled()
    assert panel.current_layer_id() is None and seen == [None]
    assert not any(a.isEnabled() for a in panel.layer_actions())


def test_rename_action_opens_the_inline_editor(env, qtbot):
    _doc, _stack, panel = env()
    click_row(qtbot, panel, 2)
    panel.rename_action.trigger()
    editor = _editor(panel)
    assert editor.text() == "Background"


def test_a_deleted_panel_lets_go_of_the_document(env, qtbot):
    doc, _stack, panel = env()
    shiboken6.delete(panel)
    doc.apply(layer_ops.rename_layer(doc, doc.layers[0].id, "after"))  # must not raise
    assert doc._listeners == []
