"""Mask tools driven through the CanvasView with real Qt mouse and key events."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QUndoStack
from PySide6.QtWidgets import QApplication

from inpaint_desktop.canvas import CanvasView
from inpaint_desktop.document import Document

W, H = 200, 150
LEFT = Qt.MouseButton.LeftButton
NOBUTTON = Qt.MouseButton.NoButton
NOMOD = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def make_doc() -> Document:
    yy, xx = np.mgrid[0:H, 0:W]
    image = np.stack([xx * 255 // W, yy * 255 // H, np.full_like(xx, 128)], -1).astype(np.uint8)
    return Document.from_image(image)


def make_canvas(qtbot) -> CanvasView:
    """A 400 x 300 view showing a 200 x 150 document at fit zoom 2 (origin 0, 0)."""
    view = CanvasView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    stack = QUndoStack()
    doc = make_doc()
    view.set_document(doc, stack)
    view.show()
    qtbot.waitExposed(view)
    assert view.zoom() == 2.0 and view.origin() == QPointF(0, 0)
    view.stack = stack  # for the tests' convenience
    return view


@pytest.fixture
def canvas(qtbot):
    return make_canvas(qtbot)


def send_mouse(view, etype, image_pos, button=LEFT, buttons=None, modifiers=NOMOD):
    """Send a real QMouseEvent at an image position (converted to widget coordinates)."""
    pos = view.map_from_image(QPointF(*image_pos))
    if buttons is None:
        buttons = NOBUTTON if etype == QEvent.Type.MouseButtonRelease else button
    if etype == QEvent.Type.MouseMove:
        button = NOBUTTON
    glob = QPointF(view.mapToGlobal(pos))
    event = QMouseEvent(etype, pos, glob, button, buttons, modifiers)
    QApplication.sendEvent(view, event)


def press(view, p, modifiers=NOMOD, button=LEFT):
    send_mouse(view, QEvent.Type.MouseButtonPress, p, button, modifiers=modifiers)


def move(view, p, buttons=LEFT, modifiers=NOMOD):
    send_mouse(view, QEvent.Type.MouseMove, p, NOBUTTON, buttons, modifiers)


def release(view, p, modifiers=NOMOD, button=LEFT):
    send_mouse(view, QEvent.Type.MouseButtonRelease, p, button, modifiers=modifiers)


def double_click(view, p, modifiers=NOMOD):
    send_mouse(view, QEvent.Type.MouseButtonDblClick, p, LEFT, modifiers=modifiers)


def drag(view, points, modifiers=NOMOD):
    """Press at the first point, move through the rest, release at the last."""
    press(view, points[0], modifiers)
    for p in points[1:]:
        move(view, p, modifiers=modifiers)
    release(view, points[-1], modifiers)


def line(p0, p1, n=10):
    return [(p0[0] + (p1[0] - p0[0]) * i / n, p0[1] + (p1[1] - p0[1]) * i / n)
            for i in range(n + 1)]


def set_mask(view, mask):
    doc = view.document()
    doc.mask[:] = mask
    doc.notify(doc.bbox, mask=True)


# --- brush and eraser ---------------------------------------------------------------


def test_brush_stroke_paints_one_undoable_command(canvas):
    doc, stack = canvas.document(), canvas.stack
    canvas.set_brush_size(10)
    canvas.set_brush_hardness(1.0)
    original = doc.mask.copy()
    drag(canvas, line((20.5, 50.5), (150.5, 50.5)))
    painted = doc.mask.copy()
    assert (painted[46:55, 20:151] == 255).all()  # along the path, within the radius 5
    assert (painted[:40] == 0).all() and (painted[62:] == 0).all()
    assert (painted[:, :13] == 0).all() and (painted[:, 158:] == 0).all()
    assert stack.count() == 1
    assert stack.command(0).text() == "Brush stroke"
    assert 0 < stack.command(0).nbytes < 4 * painted.nbytes  # tiles, not whole copies
    stack.undo()
    np.testing.assert_array_equal(doc.mask, original)
    stack.redo()
    np.testing.assert_array_equal(doc.mask, painted)


def test_click_without_move_paints_a_dot(canvas):
    canvas.set_brush_size(6)
    canvas.set_brush_hardness(1.0)
    press(canvas, (100.5, 70.5))
    release(canvas, (100.5, 70.5))
    mask = canvas.document().mask
    assert (mask[69:72, 99:102] == 255).all() and mask[70, 98] == 255  # radius 3
    assert mask[70, 96] == 0 and mask.sum() < 255 * 40
    assert canvas.stack.count() == 1


def test_eraser_removes_and_pushes_nothing_when_nothing_changes(canvas):
    doc = canvas.document()
    canvas.set_tool("eraser")
    canvas.set_brush_size(10)
    canvas.set_brush_hardness(1.0)
    drag(canvas, line((20, 50), (150, 50)))  # on an empty mask: no change, no command
    assert canvas.stack.count() == 0
    set_mask(canvas, 255)
    full = doc.mask.copy()
    drag(canvas, line((20.5, 50.5), (150.5, 50.5)))
    assert (doc.mask[47:54, 21:150] == 0).all()
    assert (doc.mask[:40] == 255).all() and (doc.mask[62:] == 255).all()
    assert canvas.stack.count() == 1
    assert canvas.stack.command(0).text() == "Eraser stroke"
    canvas.stack.undo()
    np.testing.assert_array_equal(doc.mask, full)


@pytest.mark.parametrize("modifier", [ALT, CTRL])
def test_alt_or_ctrl_brush_erases(canvas, modifier):
    doc = canvas.document()
    canvas.set_brush_size(10)
    canvas.set_brush_hardness(1.0)
    set_mask(canvas, 255)
    drag(canvas, line((100.5, 20.5), (100.5, 120.5)), modifiers=modifier)
    assert (doc.mask[21:120, 97:104] == 0).all()
    assert (doc.mask[:, :90] == 255).all() and (doc.mask[:, 110:] == 255).all()
    assert canvas.stack.count() == 1


def test_soft_brush_has_intermediate_values_at_the_edge(canvas):
    doc = canvas.document()
    canvas.set_brush_size(30)
    canvas.set_brush_hardness(0.0)
    drag(canvas, line((30.5, 75.5), (170.5, 75.5)))
    column = doc.mask[:, 100].astype(int)
    assert column[75] == 255
    assert column[50] == 0 and column[100] == 0
    soft = column[(column > 0) & (column < 255)]
    assert len(soft) >= 10  # a gradual edge, both sides
    assert np.all(np.diff(column[60:76]) >= 0)  # rising towards the centre line


def test_shift_click_draws_a_line_from_the_previous_stroke(canvas):
    doc = canvas.document()
    canvas.set_brush_size(4)
    canvas.set_brush_hardness(1.0)
    press(canvas, (20.5, 20.5))
    release(canvas, (20.5, 20.5))
    press(canvas, (120.5, 100.5), SHIFT)
    release(canvas, (120.5, 100.5), SHIFT)
    for t in (0.25, 0.5, 0.75):  # points on the straight line between the two clicks
        x, y = int(20.5 + 100 * t), int(20.5 + 80 * t)
        assert doc.mask[y, x] == 255
    assert canvas.stack.count() == 2


def test_escape_cancels_a_stroke(canvas, qtbot):
    doc = canvas.document()
    canvas.set_brush_size(10)
    press(canvas, (30, 30))
    move(canvas, (60, 40))
    move(canvas, (90, 50))
    assert doc.mask.any()
    qtbot.keyPress(canvas, Qt.Key.Key_Escape)
    assert not doc.mask.any()
    move(canvas, (120, 60))
    release(canvas, (120, 60))
    assert not doc.mask.any()
    assert canvas.stack.count() == 0


def test_without_a_document_mouse_events_do_nothing(qtbot):
    view = CanvasView()
    qtbot.addWidget(view)
    view.resize(200, 200)
    view.show()
    for name in ("brush", "lasso", "polygon", "rectangle"):
        view.set_tool(name)
        drag(view, line((10, 10), (50, 50)))
        double_click(view, (50, 50))
        qtbot.keyPress(view, Qt.Key.Key_Return)
    assert view.document() is None


# --- lasso ----------------------------------------------------------------------------

SQUARE = [(120, 30), (180, 30), (180, 90), (120, 90)]


def lasso_path(corners):
    path = []
    for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
        path += line(a, b, 6)[:-1]
    return path


def half_mask():
    """Pre-painted mask: the left 150 columns."""
    m = np.zeros((H, W), np.uint8)
    m[:, :150] = 255
    return m


@pytest.mark.parametrize("modifiers, expect_left, expect_square, expect_overlap", [
    (NOMOD, 0, 255, 255),            # replace
    (SHIFT, 255, 255, 255),          # add
    (ALT, 255, 0, 0),                # subtract
    (SHIFT | ALT, 0, 0, 255),        # intersect
    (CTRL, 255, 0, 0),               # Ctrl subtracts too (Alt+drag moves windows on Linux)
    (SHIFT | CTRL, 0, 0, 255),       # and Shift+Ctrl intersects
])
def test_lasso_modes(canvas, modifiers, expect_left, expect_square, expect_overlap):
    doc = canvas.document()
    canvas.set_tool("lasso")
    set_mask(canvas, half_mask())
    before = doc.mask.copy()
    drag(canvas, lasso_path(SQUARE), modifiers)
    mask = doc.mask
    assert (mask[35:85, 20:100] == expect_left).all()  # pre-painted, outside the lasso
    assert (mask[35:85, 155:175] == expect_square).all()  # inside the lasso only
    assert (mask[35:85, 125:145] == expect_overlap).all()  # inside both
    assert (mask[:, 190:] == 0).all() and (mask[100:, 150:] == 0).all()  # in neither
    assert canvas.stack.count() == 1
    assert canvas.stack.command(0).text() == "Lasso"
    after = mask.copy()
    canvas.stack.undo()
    np.testing.assert_array_equal(doc.mask, before)
    canvas.stack.redo()
    np.testing.assert_array_equal(doc.mask, after)


def test_lasso_too_short_does_nothing(canvas):
    canvas.set_tool("lasso")
    set_mask(canvas, half_mask())
    press(canvas, (50, 50))
    release(canvas, (50, 50))
    np.testing.assert_array_equal(canvas.document().mask, half_mask())
    assert canvas.stack.count() == 0


# --- polygon lasso --------------------------------------------------------------------


def test_polygon_clicks_and_double_click(canvas):
    doc = canvas.document()
    canvas.set_tool("polygon")
    for p in SQUARE[:3]:
        press(canvas, p)
        release(canvas, p)
        move(canvas, (p[0] + 5, p[1] + 5), buttons=NOBUTTON)  # hover: the preview follows
    assert not doc.mask.any()  # nothing applied while the polygon is open
    # a double click at the last vertex: press (adds it), release, double-click (closes)
    press(canvas, SQUARE[3])
    release(canvas, SQUARE[3])
    double_click(canvas, SQUARE[3])
    release(canvas, SQUARE[3])
    assert (doc.mask[35:85, 125:175] == 255).all()
    assert (doc.mask[:25] == 0).all() and (doc.mask[:, :115] == 0).all()
    assert canvas.stack.count() == 1 and not canvas.tool().active
    canvas.stack.undo()
    assert not doc.mask.any()


def test_polygon_enter_backspace_escape_and_first_vertex(canvas, qtbot):
    doc = canvas.document()
    canvas.set_tool("polygon")
    for p in SQUARE + [(10, 140)]:  # one vertex too many ...
        press(canvas, p)
        release(canvas, p)
    qtbot.keyPress(canvas, Qt.Key.Key_Backspace)  # ... removed again
    assert canvas.tool().points == SQUARE
    qtbot.keyPress(canvas, Qt.Key.Key_Return)
    assert (doc.mask[35:85, 125:175] == 255).all() and doc.mask[140, 10] == 0
    assert canvas.stack.count() == 1

    # Esc cancels an open polygon
    for p in [(10, 10), (50, 10), (50, 50)]:
        press(canvas, p)
        release(canvas, p)
    qtbot.keyPress(canvas, Qt.Key.Key_Escape)
    assert not canvas.tool().active and canvas.stack.count() == 1

    # a click on (near) the first vertex closes; Shift at the first click adds
    for p in [(10, 10), (50, 10), (50, 50), (10.5, 10.5)]:
        press(canvas, p, SHIFT)
        release(canvas, p, SHIFT)
    assert not canvas.tool().active
    assert (doc.mask[15:25, 25:45] == 255).all()  # the new triangle's inside
    assert (doc.mask[35:85, 125:175] == 255).all()  # the square kept (add mode)
    assert canvas.stack.count() == 2


# --- rectangle ------------------------------------------------------------------------


def test_rectangle_exact_pixels_and_modes(canvas):
    doc = canvas.document()
    canvas.set_tool("rectangle")
    drag(canvas, line((40, 30), (100, 80), 5))
    expected = np.zeros((H, W), np.uint8)
    expected[30:80, 40:100] = 255
    np.testing.assert_array_equal(doc.mask, expected)
    assert canvas.stack.command(0).text() == "Rectangle"
    drag(canvas, line((90, 70), (60, 50), 3), CTRL)  # dragged backwards, subtract
    expected[50:70, 60:90] = 0
    np.testing.assert_array_equal(doc.mask, expected)
    press(canvas, (10, 10))  # a click without a drag changes nothing
    release(canvas, (10, 10))
    np.testing.assert_array_equal(doc.mask, expected)
    assert canvas.stack.count() == 2
    canvas.stack.undo()
    canvas.stack.undo()
    assert not doc.mask.any()


def test_switching_tool_commits_or_cancels(canvas):
    doc = canvas.document()
    press(canvas, (30, 30))
    move(canvas, (60, 60))
    canvas.set_tool("lasso")  # the brush stroke in progress is kept, as one command
    assert doc.mask.any() and canvas.stack.count() == 1
    press(canvas, (100, 10))
    move(canvas, (150, 10))
    move(canvas, (150, 60))
    canvas.set_tool("rectangle")  # the open lasso is dropped
    release(canvas, (150, 60))
    assert canvas.stack.count() == 1
