"""The Colour Hint tool driven through the CanvasView with real Qt mouse and key events, and
the hint markers it draws."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QKeyEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from inpaint_desktop.canvas import HintTool
from inpaint_desktop.document.hint_edits import remove_hint
from inpaint_desktop.document.hints import Hint

from .test_tools import (
    ALT,
    CTRL,
    NOMOD,
    double_click,
    make_canvas,
    make_doc,
    move,
    press,
    release,
)

RIGHT = Qt.MouseButton.RightButton
GREEN = QColor(0, 255, 0)  # the test image (R = x, G = y, B = 128) never has this colour


@pytest.fixture
def canvas(qtbot):
    view = make_canvas(qtbot)
    view.set_tool("hint")
    return view


def click(view, p, modifiers=NOMOD, button=Qt.MouseButton.LeftButton):
    press(view, p, modifiers, button)
    release(view, p, modifiers, button)


def drag(view, start, end, steps=5):
    press(view, start)
    for i in range(1, steps + 1):
        t = i / steps
        move(view, (start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t))
    release(view, end)


def add(view, x, y, color=None):
    """A hint at pixel (x, y), added by a click on the pixel's centre."""
    if color is not None:
        view.select_hint(None)
        view.set_hint_color(color)
    click(view, (x + 0.5, y + 0.5))
    return view.document().hints[-1]


def test_click_adds_a_hint_of_the_current_colour(canvas):
    doc, stack = canvas.document(), canvas.stack
    selected = []
    canvas.hintSelected.connect(selected.append)
    canvas.set_hint_color(QColor(10, 200, 30))
    click(canvas, (50.3, 40.8))  # in pixel (50, 40)
    assert doc.hints == [Hint(50, 40, (10, 200, 30))]
    assert stack.count() == 1 and stack.command(0).text() == "Add colour hint"
    assert canvas.selected_hint() == 0 and selected == [0]
    click(canvas, (0.1, 149.9))  # corner pixels work too
    assert doc.hints[1] == Hint(0, 149, (10, 200, 30)) and canvas.selected_hint() == 1
    added = list(doc.hints)
    stack.undo()
    stack.undo()
    assert doc.hints == [] and canvas.selected_hint() is None
    stack.redo()
    stack.redo()
    assert doc.hints == added


def test_clicks_outside_the_image_do_nothing(canvas):
    canvas.set_zoom(1.0)  # the 200 x 150 image in the middle of the 400 x 300 view
    assert canvas.origin() == QPointF(100, 75)
    for p in ((-50, -20), (-0.5, 10), (200.5, 10), (100, 150.2), (250, 200)):
        click(canvas, p)
        double_click(canvas, p)
        click(canvas, p, ALT)
        click(canvas, p, button=RIGHT)
    assert canvas.document().hints == [] and canvas.stack.count() == 0
    assert canvas.hint_color() == QColor(200, 60, 40)  # unchanged: no eyedropper


def test_drag_moves_a_hint_in_one_undo_step(canvas):
    doc, stack = canvas.document(), canvas.stack
    add(canvas, 50, 40, GREEN)
    press(canvas, (51.0, 40.2))  # on the marker, off its centre
    move(canvas, (61.0, 45.2))
    move(canvas, (81.0, 60.2))
    assert canvas.hint_preview() == (0, (80.0, 60.0))  # drawn there while dragging ...
    assert doc.hints[0] == Hint(50, 40, (0, 255, 0))  # ... the document changes on release
    assert stack.count() == 1
    release(canvas, (81.0, 60.2))
    assert doc.hints == [Hint(80, 60, (0, 255, 0))] and canvas.hint_preview() is None
    assert stack.count() == 2 and stack.command(1).text() == "Move colour hint"
    assert canvas.selected_hint() == 0
    stack.undo()
    assert doc.hints == [Hint(50, 40, (0, 255, 0))]
    stack.redo()
    assert doc.hints == [Hint(80, 60, (0, 255, 0))]
    drag(canvas, (80.5, 60.5), (400, -30))  # dragged off the image: stops at its edge
    assert doc.hints == [Hint(199, 0, (0, 255, 0))] and stack.count() == 3


def test_a_click_on_a_marker_selects_without_moving(canvas):
    doc, stack = canvas.document(), canvas.stack
    add(canvas, 50, 40, QColor(1, 1, 1))
    add(canvas, 100, 40, QColor(2, 2, 2))
    colors = []
    canvas.hintColorChanged.connect(colors.append)
    press(canvas, (50.5, 40.5))
    move(canvas, (50.9, 40.9))  # under the drag threshold (3 screen pixels)
    release(canvas, (50.9, 40.9))
    assert canvas.selected_hint() == 0 and stack.count() == 2
    assert canvas.hint_color() == QColor(1, 1, 1) and colors == [QColor(1, 1, 1)]
    click(canvas, (102.5, 42.5))  # within the marker's radius (9 screen pixels)
    assert canvas.selected_hint() == 1 and len(doc.hints) == 2


def test_escape_cancels_a_drag_then_drops_the_selection(canvas, qtbot):
    doc, stack = canvas.document(), canvas.stack
    add(canvas, 50, 40)
    press(canvas, (50.5, 40.5))
    move(canvas, (70.5, 50.5))
    assert canvas.hint_preview() is not None
    qtbot.keyPress(canvas, Qt.Key.Key_Escape)
    assert canvas.hint_preview() is None and not canvas.tool().active
    move(canvas, (90.5, 50.5))
    release(canvas, (90.5, 50.5))
    assert doc.hints[0][:2] == (50, 40) and stack.count() == 1
    assert canvas.selected_hint() == 0
    qtbot.keyPress(canvas, Qt.Key.Key_Escape)
    assert canvas.selected_hint() is None


def test_undo_during_a_drag_drops_the_drag(canvas):
    doc, stack = canvas.document(), canvas.stack
    add(canvas, 50, 40)
    press(canvas, (50.5, 40.5))
    move(canvas, (70.5, 50.5))
    stack.undo()  # Ctrl+Z while the button is down
    assert doc.hints == [] and canvas.hint_preview() is None
    release(canvas, (70.5, 50.5))
    assert stack.count() == 1 and stack.index() == 0


@pytest.mark.parametrize("key", [Qt.Key.Key_Delete, Qt.Key.Key_Backspace])
def test_delete_key_removes_the_selected_hint(canvas, qtbot, key):
    doc, stack = canvas.document(), canvas.stack
    a, b = add(canvas, 20, 20), add(canvas, 60, 20)
    click(canvas, (20.5, 20.5))
    qtbot.keyPress(canvas, key)
    assert doc.hints == [b] and canvas.selected_hint() is None
    assert stack.count() == 3 and stack.command(2).text() == "Delete colour hint"
    qtbot.keyPress(canvas, key)  # nothing selected: nothing happens
    assert doc.hints == [b] and stack.count() == 3
    stack.undo()
    assert doc.hints == [a, b]


def test_right_click_on_a_marker_removes_it(canvas):
    doc, stack = canvas.document(), canvas.stack
    a, b, c = add(canvas, 20, 20), add(canvas, 60, 20), add(canvas, 100, 20)
    click(canvas, (100.5, 20.5))  # select c
    click(canvas, (60.5, 21), button=RIGHT)
    assert doc.hints == [a, c] and stack.count() == 4
    assert canvas.selected_hint() == 1  # the selection stays on c
    click(canvas, (140.5, 21), button=RIGHT)  # not on a marker
    assert doc.hints == [a, c] and stack.count() == 4
    stack.undo()
    assert doc.hints == [a, b, c] and canvas.selected_hint() == 2


def test_double_click_recolours_through_the_colour_picker(canvas, monkeypatch):
    doc, stack = canvas.document(), canvas.stack
    add(canvas, 50, 40, QColor(10, 20, 30))
    canvas.select_hint(None)
    asked = []
    answer = [QColor(1, 2, 3)]

    def pick(initial):
        asked.append(QColor(initial))
        return answer[0]

    tool = canvas.tool()
    assert isinstance(tool, HintTool)
    monkeypatch.setattr(tool, "pick_color", pick)
    click(canvas, (50.5, 40.5))
    double_click(canvas, (50.5, 40.5))
    release(canvas, (50.5, 40.5))
    assert asked == [QColor(10, 20, 30)]
    assert doc.hints == [Hint(50, 40, (1, 2, 3))] and canvas.hint_color() == QColor(1, 2, 3)
    assert stack.count() == 2 and stack.command(1).text() == "Recolour colour hint"
    stack.undo()
    assert doc.hints == [Hint(50, 40, (10, 20, 30))]
    assert canvas.hint_color() == QColor(10, 20, 30)  # the selected hint's colour again
    answer[0] = None  # the dialog cancelled
    double_click(canvas, (50.5, 40.5))
    assert doc.hints == [Hint(50, 40, (10, 20, 30))] and stack.count() == 2


def test_double_click_on_the_image_adds_a_hint_and_asks_its_colour(canvas, monkeypatch):
    monkeypatch.setattr(canvas.tool(), "pick_color", lambda initial: QColor(9, 9, 9))
    click(canvas, (30.5, 30.5))
    double_click(canvas, (30.5, 30.5))
    release(canvas, (30.5, 30.5))
    assert canvas.document().hints == [Hint(30, 30, (9, 9, 9))]
    assert [canvas.stack.command(i).text() for i in range(canvas.stack.count())] == [
        "Add colour hint", "Recolour colour hint"]


def test_setting_the_colour_recolours_the_selected_hint(canvas):
    doc, stack = canvas.document(), canvas.stack
    a = add(canvas, 20, 20, QColor(5, 5, 5))
    add(canvas, 60, 20, QColor(6, 6, 6))
    canvas.select_hint(0)
    canvas.set_hint_color(QColor(200, 100, 0))
    assert doc.hints[0] == Hint(20, 20, (200, 100, 0)) and doc.hints[1].rgb == (6, 6, 6)
    assert stack.count() == 3 and stack.command(2).text() == "Recolour colour hint"
    canvas.set_hint_color(QColor(200, 100, 0))  # the same colour: no step
    assert stack.count() == 3
    stack.undo()
    assert doc.hints[0] == a
    canvas.select_hint(None)
    canvas.set_hint_color(QColor(0, 0, 255))  # nothing selected: only the current colour
    assert stack.count() == 3 and canvas.hint_color() == QColor(0, 0, 255)
    assert [h.rgb for h in doc.hints] == [(5, 5, 5), (6, 6, 6)]


@pytest.mark.parametrize("modifier", [ALT, CTRL])
def test_alt_or_ctrl_click_picks_the_colour_under_the_cursor(canvas, modifier):
    doc, stack = canvas.document(), canvas.stack
    colors = []
    canvas.hintColorChanged.connect(colors.append)
    click(canvas, (100.5, 75.5), modifier)
    expected = QColor(*(int(c) for c in doc.composite()[75, 100]))
    assert canvas.hint_color() == expected and colors == [expected]
    assert doc.hints == [] and stack.count() == 0
    add(canvas, 10, 10)  # with a hint selected, the picked colour recolours it
    click(canvas, (150.5, 20.5), modifier)
    assert doc.hints[0].rgb == tuple(int(c) for c in doc.composite()[20, 150])
    assert len(doc.hints) == 1 and stack.count() == 2


def test_switching_tool_or_document_drops_the_selection(canvas, qtbot):
    add(canvas, 10, 10)
    assert canvas.selected_hint() == 0
    canvas.set_tool("brush")
    assert canvas.selected_hint() is None
    canvas.set_tool("hint")
    canvas.select_hint(0)
    canvas.set_document(make_doc(), canvas.stack)
    assert canvas.selected_hint() is None
    with pytest.raises(IndexError):
        canvas.select_hint(0)


def test_selection_follows_its_hint(canvas):
    doc, stack = canvas.document(), canvas.stack
    for x in (10, 30, 50, 70):
        add(canvas, x, 10)
    canvas.select_hint(2)
    canvas.apply_edit(remove_hint(doc, 0))
    assert canvas.selected_hint() == 1 and doc.hints[1][:2] == (50, 10)
    canvas.apply_edit(remove_hint(doc, 2))  # after it: no shift
    assert canvas.selected_hint() == 1
    stack.undo()
    stack.undo()
    assert canvas.selected_hint() == 2 and doc.hints[2][:2] == (50, 10)


def test_the_tool_claims_delete_and_escape_over_shortcuts(canvas):
    def claimed(key):
        event = QKeyEvent(QEvent.Type.ShortcutOverride, key, Qt.KeyboardModifier.NoModifier)
        event.ignore()
        QApplication.sendEvent(canvas, event)
        return event.isAccepted()

    assert not claimed(Qt.Key.Key_Delete) and not claimed(Qt.Key.Key_Escape)
    add(canvas, 10, 10)
    assert claimed(Qt.Key.Key_Delete) and claimed(Qt.Key.Key_Escape)
    assert not claimed(Qt.Key.Key_A)


# --- markers --------------------------------------------------------------------------------


def green_run(image, cx, cy):
    """Length of the run of pure marker-green pixels through (cx, cy) along the row."""
    def green(x):
        c = image.pixelColor(x, cy)
        return c.red() < 20 and c.green() > 235 and c.blue() < 20
    assert green(cx)
    x0 = x1 = cx
    while green(x0 - 1):
        x0 -= 1
    while green(x1 + 1):
        x1 += 1
    return x1 - x0 + 1


def test_markers_are_drawn_at_the_same_screen_size_at_any_zoom(canvas):
    add(canvas, 50, 40, GREEN)
    canvas.select_hint(None)
    c = canvas.map_from_image(QPointF(50.5, 40.5))
    image = canvas.grab().toImage()
    run2 = green_run(image, round(c.x()), round(c.y()))
    assert 9 <= run2 <= 13  # about 12 screen pixels across
    edge = image.pixelColor(round(c.x()) + 8, round(c.y()))  # the black outer ring
    assert max(edge.red(), edge.green(), edge.blue()) < 100
    canvas.set_zoom(8.0, c)  # the marker stays under the anchor
    image = canvas.grab().toImage()
    c8 = canvas.map_from_image(QPointF(50.5, 40.5))
    assert abs(c8.x() - c.x()) < 1 and abs(c8.y() - c.y()) < 1
    assert green_run(image, round(c8.x()), round(c8.y())) == run2


def test_markers_show_under_other_tools_dimmed_and_the_selection_ring(canvas):
    add(canvas, 50, 40, GREEN)  # selected
    c = canvas.map_from_image(QPointF(50.5, 40.5))
    cx, cy = round(c.x()), round(c.y())
    ring = canvas.grab().toImage().pixelColor(cx + 11, cy)  # the white selection ring
    assert min(ring.red(), ring.green(), ring.blue()) > 200
    canvas.set_tool("brush")  # deselects, and the marker is drawn dimmer
    image = canvas.grab().toImage()
    centre = image.pixelColor(cx, cy)
    assert centre.green() > 150 and centre != GREEN
    behind = canvas.document().composite()[40, 50]
    assert centre.red() >= int(behind[0]) * 0.3  # the photo shows through
    ring = image.pixelColor(cx + 11, cy)
    assert min(ring.red(), ring.green(), ring.blue()) < 200  # no selection ring


def test_hint_changes_repaint_only_around_the_markers(canvas, monkeypatch):
    rects = []
    real_update = canvas.update

    def update(*args):
        rects.append(QRect(args[0].boundingRect()) if args and hasattr(args[0], "boundingRect")
                     else QRect(args[0]) if args else QRect(canvas.rect()))
        real_update(*args)

    monkeypatch.setattr(canvas, "update", update)
    add(canvas, 50, 40)
    drag(canvas, (50.5, 40.5), (60.5, 45.5))
    canvas.stack.undo()
    assert rects
    for r in rects:
        assert r.width() <= 60 and r.height() <= 60, r  # a marker is ~30 px with its ring
        assert r.intersects(QRect(90, 70, 40, 30)), r


def test_without_a_document_the_tool_does_nothing(qtbot):
    from inpaint_desktop.canvas import CanvasView

    view = CanvasView()
    qtbot.addWidget(view)
    view.resize(200, 200)
    view.show()
    view.set_tool("hint")
    click(view, (50, 50))
    click(view, (50, 50), ALT)
    click(view, (50, 50), button=RIGHT)
    double_click(view, (50, 50))
    qtbot.keyPress(view, Qt.Key.Key_Delete)
    view.set_hint_color(GREEN)
    assert view.document() is None and view.selected_hint() is None
    assert view.hint_color() == GREEN
    view.grab()


# --- patch size and the wheel ---------------------------------------------------------------


def wheel(view, p, dy, modifiers=NOMOD):
    """A real QWheelEvent at image point p (dy: angleDelta, 120 = one notch)."""
    pos = view.map_from_image(QPointF(*p))
    event = QWheelEvent(pos, QPointF(view.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, dy),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(view, event)


def test_wheel_sets_the_patch_size_of_new_hints_and_ctrl_wheel_zooms(canvas):
    assert canvas.hint_size() is None and canvas.hint_patch() == 3  # 200 x 150: default 3
    sizes = []
    canvas.hintSizeChanged.connect(sizes.append)
    wheel(canvas, (50, 40), 120)
    assert canvas.hint_size() == 4 and canvas.zoom() == 2.0  # no zoom: the size grew
    for _ in range(5):
        wheel(canvas, (50, 40), 120)
    assert canvas.hint_size() == 9 and sizes == [4, 5, 6, 7, 8, 9]
    for _ in range(4):
        wheel(canvas, (50, 40), 120)  # large patches grow by 15 % a notch
    assert canvas.hint_size() == 16
    wheel(canvas, (50, 40), -120)
    assert canvas.hint_size() == 14
    wheel(canvas, (50, 40), 40)  # a trackpad's fractions of a notch add up
    wheel(canvas, (50, 40), 40)
    assert canvas.hint_size() == 14
    wheel(canvas, (50, 40), 40)
    assert canvas.hint_size() == 16
    wheel(canvas, (50, 40), 120, CTRL)  # Ctrl+wheel still zooms
    assert canvas.zoom() > 2.0 and canvas.hint_size() == 16
    assert canvas.stack.count() == 0  # no hint selected: nothing in the document changed
    hint = add(canvas, 20, 30)
    assert hint == Hint(20, 30, (200, 60, 40), 16) and canvas.stack.count() == 1
    canvas.set_tool("brush")
    zoom = canvas.zoom()
    wheel(canvas, (50, 40), 120)  # the other tools zoom with the plain wheel
    assert canvas.zoom() > zoom and canvas.hint_size() == 16
    for _ in range(40):
        canvas.step_hint_size(-1)
    assert canvas.hint_size() == 1  # never below one pixel


def test_wheel_resizes_the_selected_hint_in_one_undo_step(canvas):
    add(canvas, 50, 40)
    other = add(canvas, 90, 60)
    assert canvas.selected_hint() == 1 and other.size is None
    for _ in range(3):
        wheel(canvas, (90.5, 60.5), 120)
    doc = canvas.document()
    assert doc.hints[1].size == 6 and doc.hints[0].size is None
    assert canvas.stack.count() == 3  # two adds, one resize for the three notches
    assert canvas.stack.undoText() == "Resize colour hint"
    canvas.stack.undo()
    assert doc.hints[1].size is None and canvas.hint_size() is None  # the tool follows
    canvas.stack.redo()
    assert doc.hints[1].size == 6 and canvas.hint_size() == 6
    canvas.select_hint(0)  # selecting a hint makes its size the current one
    assert canvas.hint_size() is None
    wheel(canvas, (50.5, 40.5), 120)
    assert doc.hints[0].size == 4 and canvas.stack.count() == 4  # another hint: a new step


def outline_pixel(image, x, y) -> bool:
    """White or black: the outline's pens (the test picture has B = 128 everywhere)."""
    c = image.pixelColor(x, y)
    return max(c.red(), c.green(), c.blue()) < 40 or min(c.red(), c.green(), c.blue()) > 215


def test_the_patch_square_is_drawn_around_the_marker_and_under_the_cursor(canvas):
    canvas.set_hint_size(20)  # 40 screen pixels at zoom 2
    add(canvas, 50, 40)
    canvas.select_hint(None)
    move(canvas, (150.5, 100.5), buttons=Qt.MouseButton.NoButton)  # hover elsewhere
    image = canvas.grab().toImage()
    # the marker's square: centre (101, 81) on screen, 20 px each side
    left, top = round(canvas.map_from_image(QPointF(40.5, 30.5)).x()), 81
    edge = sum(outline_pixel(image, left + dx, top) for dx in (-1, 0, 1))
    assert edge >= 1
    assert not outline_pixel(image, left + 6, top)  # inside the square: the photo
    # the patch a click would place, under the cursor
    hx = round(canvas.map_from_image(QPointF(140.5, 100.5)).x())
    hy = round(canvas.map_from_image(QPointF(150.5, 100.5)).y())
    assert sum(outline_pixel(image, hx + dx, hy) for dx in (-1, 0, 1)) >= 1
    canvas.leaveEvent(QEvent(QEvent.Type.Leave))
    image = canvas.grab().toImage()
    assert not any(outline_pixel(image, hx + dx, hy) for dx in (-1, 0, 1))
    # the marker's box for repaints covers its square
    assert canvas._marker_rect(canvas.document().hints[0]).width() >= 40
