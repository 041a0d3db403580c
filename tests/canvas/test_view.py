"""CanvasView: zoom, pan, dirty-rect repaint, mask overlay, backing pyramid."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QUndoStack, QWheelEvent
from PySide6.QtWidgets import QApplication

from inpaint_desktop.canvas.render import Backing, level_count
from inpaint_desktop.commands import push_edit
from inpaint_desktop.document import Document, Layer, Patch, PixelEdit

from .test_tools import (
    LEFT,
    NOBUTTON,
    H,
    W,
    make_canvas,
    make_doc,
    move,
    press,
    release,
    send_mouse,
    set_mask,
)

MIDDLE = Qt.MouseButton.MiddleButton


@pytest.fixture
def canvas(qtbot):
    return make_canvas(qtbot)


def wheel(view, widget_pos, delta_y, delta_x=0):
    pos = QPointF(widget_pos)
    event = QWheelEvent(pos, QPointF(view.mapToGlobal(pos)), QPoint(0, 0),
                        QPoint(delta_x, delta_y), NOBUTTON, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, event)


def widget_drag(view, start, end, button, steps=4):
    """A drag in widget coordinates (for panning)."""
    def send(etype, p, btn, btns):
        p = QPointF(p)
        img = view.map_to_image(p)
        send_mouse(view, etype, (img.x(), img.y()), btn, btns)
    send(QEvent.Type.MouseButtonPress, start, button, button)
    for i in range(1, steps + 1):
        p = QPointF(start) + (QPointF(end) - QPointF(start)) * (i / steps)
        send(QEvent.Type.MouseMove, p, NOBUTTON, button)
    send(QEvent.Type.MouseButtonRelease, end, button, NOBUTTON)


def pixel(view, x, y) -> QColor:
    return view.grab().toImage().pixelColor(x, y)


# --- zoom -----------------------------------------------------------------------------


@pytest.mark.parametrize("delta", [120, -120, 360, 15, -40])
def test_wheel_zoom_keeps_the_point_under_the_cursor(canvas, delta):
    anchor = QPointF(137, 91)
    before = canvas.map_to_image(anchor)
    zoom = canvas.zoom()
    wheel(canvas, anchor, delta)
    assert (canvas.zoom() > zoom) == (delta > 0)
    after = canvas.map_to_image(anchor)
    assert abs(after.x() - before.x()) <= 0.5 and abs(after.y() - before.y()) <= 0.5


def test_zoom_limits_and_steps(canvas):
    zooms = []
    canvas.zoomChanged.connect(zooms.append)
    canvas.set_zoom(1000)
    assert canvas.zoom() == 32.0
    canvas.set_zoom(0.00001)
    assert canvas.zoom() == 0.01
    canvas.zoom_in()
    assert canvas.zoom() == 0.02
    canvas.set_zoom(1.0)
    canvas.zoom_in()
    assert canvas.zoom() == 1.5
    canvas.zoom_out()
    canvas.zoom_out()
    assert canvas.zoom() == pytest.approx(2 / 3)
    assert zooms[:2] == [32.0, 0.01] and zooms[-1] == canvas.zoom()


def test_fit_and_actual_size(canvas):
    canvas.resize(500, 250)  # still in fit mode: refits
    assert canvas.zoom() == pytest.approx(250 / H)
    left = canvas.map_from_image(QPointF(0, 0))
    right = canvas.map_from_image(QPointF(W, H))
    assert abs(left.x() - (500 - right.x())) <= 1 and left.y() == 0  # centred
    centre = canvas.map_to_image(QPointF(250, 125))
    canvas.actual_size()
    assert canvas.zoom() == 1.0
    assert canvas.origin().x() == int(canvas.origin().x())  # whole pixels: crisp
    after = canvas.map_to_image(QPointF(250, 125))
    assert abs(after.x() - centre.x()) <= 0.5 and abs(after.y() - centre.y()) <= 0.5
    canvas.resize(600, 400)  # not in fit mode any more: keeps zoom
    assert canvas.zoom() == 1.0
    canvas.fit_to_window()
    assert canvas.zoom() == pytest.approx(min(600 / W, 400 / H))


# --- pan ------------------------------------------------------------------------------


def test_space_drag_pans_without_painting(canvas, qtbot):
    canvas.set_zoom(4.0)
    origin = canvas.origin()
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    assert canvas.cursor().shape() == Qt.CursorShape.OpenHandCursor
    widget_drag(canvas, QPointF(100, 100), QPointF(160, 70), LEFT)
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    assert canvas.origin() - origin == QPointF(60, -30)
    assert not canvas.document().mask.any() and canvas.stack.count() == 0
    assert canvas.cursor().shape() == Qt.CursorShape.CrossCursor


def test_middle_drag_pans(canvas):
    origin = canvas.origin()
    image_point = canvas.map_to_image(QPointF(50, 50))
    widget_drag(canvas, QPointF(50, 50), QPointF(10, 90), MIDDLE)
    assert canvas.origin() - origin == QPointF(-40, 40)
    moved = canvas.map_to_image(QPointF(10, 90))  # the grabbed point follows the hand
    assert abs(moved.x() - image_point.x()) < 1e-9 and abs(moved.y() - image_point.y()) < 1e-9
    assert not canvas.document().mask.any()


# --- dirty rectangles ------------------------------------------------------------------


class PaintSpy(QObject):
    def __init__(self):
        super().__init__()
        self.rects: list[QRect] = []

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.region().boundingRect())
        return False


def test_brush_segment_repaints_only_around_the_stroke(canvas, monkeypatch, qtbot):
    canvas.set_brush_size(10)
    canvas.set_brush_hardness(1.0)
    doc = canvas.document()
    updates: list = []
    real_update = canvas.update
    monkeypatch.setattr(canvas, "update", lambda *a: (updates.append(a), real_update(*a)))
    composite_boxes: list = []
    real_composite = doc.composite
    monkeypatch.setattr(doc, "composite",
                        lambda bbox=None: (composite_boxes.append(bbox), real_composite(bbox))[1])
    mask_boxes: list = []
    backing = canvas.backing()
    real_update_mask = backing.update_mask
    monkeypatch.setattr(backing, "update_mask",
                        lambda box: (mask_boxes.append(box), real_update_mask(box))[1])
    spy = PaintSpy()
    canvas.installEventFilter(spy)
    qtbot.wait(20)
    press(canvas, (100, 75))
    QApplication.processEvents()
    updates.clear()
    spy.rects.clear()
    mask_boxes.clear()
    move(canvas, (104, 75))  # one segment: x 94..110, y 69..81 in image pixels
    QApplication.processEvents()
    assert len(mask_boxes) == 1
    x0, y0, x1, y1 = mask_boxes[0]
    assert 88 <= x0 <= 95 and 109 <= x1 <= 116 and 63 <= y0 <= 70 and 80 <= y1 <= 87
    stroke = canvas.map_from_image(QPointF(102, 75)).toPoint()
    assert updates, "the segment asked for no repaint"
    for args in updates:
        (r,) = args
        box = r.boundingRect() if hasattr(r, "boundingRect") else r
        assert box.intersects(QRect(stroke, stroke).adjusted(-30, -30, 30, 30))
        assert box.width() <= 60 and box.height() <= 60  # zoom 2: 16 x 12 px -> ~32 x 24
    assert spy.rects and all(r.width() <= 60 and r.height() <= 60 for r in spy.rects)
    assert composite_boxes == []  # a mask edit never recomposites the photo
    release(canvas, (104, 75))

    # a change of the layer list alone (a rename) needs no pixel work and no repaint
    updates.clear()
    doc.notify(None, layers=True)
    assert composite_boxes == [] and updates == []

    # a pixel edit of the photo recomposites just its rectangle
    pixels = doc.layers[0].pixels
    before = pixels[10:20, 30:50].copy()
    after = np.zeros_like(before)
    push_edit(canvas.stack, doc, PixelEdit(doc.layers[0].id, [Patch((30, 10, 50, 20), before,
                                                                    after)]))
    assert composite_boxes == [(30, 10, 50, 20)]
    QApplication.processEvents()
    assert pixel(canvas, 80, 30) == QColor(0, 0, 0)  # image (40, 15) at zoom 2


def test_listener_is_removed_when_the_document_is_replaced(canvas):
    old = canvas.document()
    assert len(old._listeners) == 1
    new = make_doc()
    canvas.set_document(new, QUndoStack())
    assert old._listeners == [] and len(new._listeners) == 1
    canvas.set_document(None, None)
    assert new._listeners == [] and canvas.document() is None
    canvas.grab()  # paints the empty view


# --- overlay --------------------------------------------------------------------------


def test_mask_overlay_colour_opacity_visibility(canvas):
    canvas.document().layers[0].pixels[:] = 0
    canvas.document().notify(canvas.document().bbox)
    m = np.zeros((H, W), np.uint8)
    m[50:100, 50:100] = 255
    set_mask(canvas, m)
    canvas.set_mask_color(QColor(255, 0, 0))
    canvas.set_mask_opacity(1.0)
    assert pixel(canvas, 150, 150) == QColor(255, 0, 0)  # image (75, 75)
    assert pixel(canvas, 20, 20) == QColor(0, 0, 0)  # unmasked
    canvas.set_mask_color(QColor(0, 0, 255))
    assert pixel(canvas, 150, 150) == QColor(0, 0, 255)
    canvas.set_mask_opacity(0.5)
    c = pixel(canvas, 150, 150)
    assert c.red() == 0 and abs(c.blue() - 128) <= 2
    canvas.set_mask_visible(False)
    assert pixel(canvas, 150, 150) == QColor(0, 0, 0)
    canvas.set_mask_visible(True)
    # zoomed out (pyramid levels, smooth filtering): the overlay still shows
    canvas.set_zoom(0.3, QPointF(0, 0))
    p = canvas.map_from_image(QPointF(75, 75)).toPoint()
    c = pixel(canvas, p.x(), p.y())
    assert c.red() == 0 and abs(c.blue() - 128) <= 3
    far = canvas.map_from_image(QPointF(150, 20)).toPoint()
    assert pixel(canvas, far.x(), far.y()) == QColor(0, 0, 0)
    outside = canvas.map_from_image(QPointF(W + 20, 20)).toPoint()
    assert pixel(canvas, outside.x(), outside.y()) == QColor(60, 60, 60)  # gray surround


def test_brush_outline_and_signals(canvas, qtbot):
    sizes, cursor, tools = [], [], []
    canvas.brushChanged.connect(lambda d, h: sizes.append((d, h)))
    canvas.cursorMoved.connect(cursor.append)
    canvas.toolChanged.connect(tools.append)
    canvas.set_brush_size(40)
    canvas.set_brush_hardness(0.5)
    qtbot.keyPress(canvas, Qt.Key.Key_BracketRight)
    assert canvas.brush_size() == 46
    qtbot.keyPress(canvas, Qt.Key.Key_BracketLeft)
    assert canvas.brush_size() == 40
    for _ in range(3):
        qtbot.keyPress(canvas, Qt.Key.Key_BracketLeft)
    assert sizes[0] == (40, 0.5) and sizes[-1][0] == canvas.brush_size() < 40
    canvas.set_brush_size(1)
    canvas.shrink_brush()
    assert canvas.brush_size() == 1
    canvas.set_brush_size(5000)
    assert canvas.brush_size() == 2000
    canvas.set_brush_size(20)
    canvas.set_mask_opacity(0.0)
    canvas.document().layers[0].pixels[:] = 128
    canvas.document().notify(canvas.document().bbox)
    move(canvas, (100, 75), buttons=NOBUTTON)  # hover: the outline (radius 10 -> 20 px)
    assert cursor[-1] == (100, 75)
    ring = canvas.map_from_image(QPointF(100, 75)).toPoint() + QPoint(20, 0)
    image = canvas.grab().toImage()
    near = [image.pixelColor(ring.x() + dx, ring.y()) for dx in (-2, -1, 0, 1)]
    assert any(c != QColor(128, 128, 128) for c in near)
    assert image.pixelColor(ring.x() - 10, ring.y()) == QColor(128, 128, 128)
    move(canvas, (W + 5, 75), buttons=NOBUTTON)
    assert cursor[-1] is None
    canvas.set_tool("lasso")
    assert tools == ["lasso"] and canvas.tool_name() == "lasso"
    with pytest.raises(ValueError):
        canvas.set_tool("spray")


# --- backing images ----------------------------------------------------------------------


def test_incremental_backing_equals_a_fresh_build(qtbot):
    rng = np.random.default_rng(3)
    doc = Document.from_image(rng.integers(0, 256, (301, 517, 3), dtype=np.uint8))
    backing = Backing(doc, QColor(10, 200, 30))
    assert backing.levels == level_count(517, 301) == 2
    for box in [(0, 0, 7, 5), (13, 27, 101, 88), (510, 290, 517, 301), (200, 3, 333, 300)]:
        x0, y0, x1, y1 = box
        doc.mask[y0:y1, x0:x1] = rng.integers(0, 256, (y1 - y0, x1 - x0), dtype=np.uint8)
        doc.layers[0].pixels[y0:y1, x0:x1] = rng.integers(0, 256, (y1 - y0, x1 - x0, 3),
                                                          dtype=np.uint8)
        backing.update_mask(box)
        backing.update_image(box)
    fresh = Backing(doc, QColor(10, 200, 30))
    for k in range(backing.levels + 1):
        np.testing.assert_array_equal(backing._rgb[k], fresh._rgb[k])
        np.testing.assert_array_equal(backing._mask[k], fresh._mask[k])
        if k:
            np.testing.assert_array_equal(backing._argb[k], fresh._argb[k])
    np.testing.assert_array_equal(backing._rgb[0][..., 2::-1], doc.composite())
    np.testing.assert_array_equal(backing._mask[0], doc.mask)
    np.testing.assert_array_equal(backing._any, fresh._any)
    assert backing.mask_bbox() == (0, 0, 517, 301)


def test_layer_with_offset_and_opacity_composites_in_the_backing(qtbot):
    doc = Document.from_image(np.zeros((60, 80, 3), np.uint8))
    backing = Backing(doc)
    doc.add_listener(lambda ch: backing.update_image(ch.bbox) if ch.bbox else None)
    doc.insert_layer(Layer("top", np.full((10, 10, 3), 200, np.uint8), x=5, y=7, opacity=0.5),
                     1)
    rgb = backing._rgb[0][..., 2::-1]
    np.testing.assert_array_equal(rgb, doc.composite())
    assert rgb[10, 10, 0] == 100 and rgb[30, 30, 0] == 0


@pytest.mark.parametrize("zoom", [0.3, 0.7, 1.0, 2.5])
def test_overlay_spans_draw_like_one_image(canvas, monkeypatch, zoom):
    """The overlay is drawn per run of non-empty squares: no seams, nothing drawn twice."""
    doc = canvas.document()
    doc.layers[0].pixels[:] = 0
    doc.notify(doc.bbox)
    m = np.zeros((H, W), np.uint8)
    m[10:140, 5:70] = 255  # staggered blocks: runs of different widths in each tile row
    m[60:130, 60:190] = 200
    m[100:150, 150:200] = 255
    set_mask(canvas, m)
    canvas.set_mask_color(QColor(255, 0, 0))
    canvas.set_zoom(zoom, QPointF(0, 0))
    backing = canvas.backing()
    assert len(backing.mask_spans(doc.bbox)) > 1
    spans = canvas.grab().toImage()
    monkeypatch.setattr(backing, "mask_spans", lambda box: [box])
    whole = canvas.grab().toImage()
    a = np.array([[spans.pixelColor(x, y).red() for x in range(0, 400, 3)]
                  for y in range(0, 300, 3)])
    b = np.array([[whole.pixelColor(x, y).red() for x in range(0, 400, 3)]
                  for y in range(0, 300, 3)])
    assert np.abs(a - b).max() <= 8  # at most a filtering difference at a span edge
    assert np.mean(np.abs(a - b)) < 0.5


@pytest.mark.parametrize("zoom", [0.3, 0.45, 0.61, 1.0, 1.37, 3.0])
def test_dirty_repaints_match_a_full_repaint(canvas, zoom, qtbot):
    """What the screen shows after many small dirty-rect repaints is what one full
    repaint shows: no stale pixels, no seams at the dirty rectangles' edges."""
    canvas.set_zoom(zoom, QPointF(5, 7))
    canvas.set_brush_size(12)
    canvas.set_brush_hardness(0.3)
    QApplication.processEvents()
    screen = canvas.screen()

    def shot():
        return screen.grabWindow(canvas.winId()).toImage()

    for start, end in [((20, 20), (180, 120)), ((30, 130), (150, 15)), ((60, 60), (61, 140))]:
        press(canvas, start)
        QApplication.processEvents()
        for i in range(1, 13):
            move(canvas, (start[0] + (end[0] - start[0]) * i / 12,
                          start[1] + (end[1] - start[1]) * i / 12))
            QApplication.processEvents()
        release(canvas, end)
        QApplication.processEvents()
    move(canvas, (W + 50, H + 50), buttons=NOBUTTON)  # the brush outline out of the way
    QApplication.processEvents()
    partial = shot()
    canvas.repaint()
    full = shot()
    assert partial.size() == full.size() and not full.isNull()
    a = np.array([[partial.pixel(x, y) for x in range(0, 400, 2)] for y in range(0, 300, 2)])
    b = np.array([[full.pixel(x, y) for x in range(0, 400, 2)] for y in range(0, 300, 2)])
    np.testing.assert_array_equal(a, b)
