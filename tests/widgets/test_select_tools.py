"""Object selection and the magic wand in the editor, driven by real mouse and key events."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QMessageBox

from inpaint_desktop.canvas import CanvasView
from inpaint_desktop.document import Document
from tests.canvas.test_tools import ALT, CTRL, NOMOD, SHIFT, drag, press, release
from tests.models.test_select import iou, scene

W, H = 160, 120  # the scene's size; the view shows it at zoom 2


def shown_view(qtbot, image: np.ndarray) -> CanvasView:
    """A canvas of ``image`` at zoom 2, shown, with its own undo stack."""
    view = CanvasView()
    qtbot.addWidget(view)
    view.resize(2 * W, 2 * H)
    view.stack = QUndoStack()
    view.set_document(Document.from_image(image), view.stack)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def canvas(qtbot):
    image, truth = scene()
    view = shown_view(qtbot, image)
    assert view.zoom() == 2.0
    view.truth = truth
    return view


def box_drag(view, x0, y0, x1, y1, modifiers=NOMOD):
    drag(view, [(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1)], modifiers)


def click(view, x, y, modifiers=NOMOD):
    press(view, (x, y), modifiers)
    release(view, (x, y), modifiers)


def object_box(truth, pad=4):
    ys, xs = np.nonzero(truth)
    return xs.min() - pad, ys.min() - pad, xs.max() + 1 + pad, ys.max() + 1 + pad


def test_dragging_a_box_selects_the_object_in_one_undo_step(canvas):
    canvas.set_tool("object")
    doc = canvas.document()
    box_drag(canvas, *object_box(canvas.truth))
    assert iou(doc.mask, canvas.truth) > 0.9
    assert canvas.stack.count() == 1 and canvas.stack.text(0) == "Select object"
    canvas.stack.undo()
    assert not doc.mask.any()
    canvas.stack.redo()
    assert iou(doc.mask, canvas.truth) > 0.9


def test_the_box_combines_with_the_mask_by_its_modifiers(canvas):
    doc = canvas.document()
    canvas.set_tool("rectangle")
    drag(canvas, [(2, 2), (20, 20)])
    corner = doc.mask.copy()
    assert corner[5, 5] == 255
    canvas.set_tool("object")
    box = object_box(canvas.truth)
    box_drag(canvas, *box, SHIFT)  # adds: the corner stays
    assert doc.mask[5, 5] == 255 and iou(np.where(doc.mask[:, 25:] > 0, 255, 0),
                                          canvas.truth[:, 25:]) > 0.9
    box_drag(canvas, *box, CTRL)  # subtracts the object again
    assert doc.mask[5, 5] == 255 and (doc.mask[canvas.truth > 0] == 0).mean() > 0.9
    box_drag(canvas, *box)  # no modifier replaces: the corner goes
    assert doc.mask[5, 5] == 0 and iou(doc.mask, canvas.truth) > 0.9
    assert canvas.stack.count() == 4


def test_shift_and_alt_clicks_refine_the_object(qtbot):
    """A gray handle sticks out of the object inside the box: Alt+click on it removes it,
    Shift+click on it brings it back; each click is one undo step."""
    image, truth = scene(seed=4)
    handle = np.zeros_like(truth)
    cv2.rectangle(handle, (30, 55), (52, 66), 255, -1)
    handle[truth > 0] = 0
    image[handle > 0] = (200, 200, 200)
    view = CanvasView()
    qtbot.addWidget(view)
    view.resize(2 * W, 2 * H)
    stack = QUndoStack()
    doc = Document.from_image(image)
    view.set_document(doc, stack)
    view.show()
    qtbot.waitExposed(view)
    view.set_tool("object")
    box_drag(view, *object_box(np.maximum(truth, handle)))
    assert (doc.mask[handle > 0] > 0).mean() > 0.8
    click(view, 38, 60, ALT)
    assert (doc.mask[handle > 0] > 0).mean() < 0.2 and iou(doc.mask, truth) > 0.85
    assert stack.count() == 2 and stack.text(1) == "Refine object selection"
    click(view, 38, 60, SHIFT)
    assert (doc.mask[handle > 0] > 0).mean() > 0.8
    assert stack.count() == 3
    # undo both clicks, then a click goes on from the box that is back
    stack.undo()
    stack.undo()
    assert (doc.mask[handle > 0] > 0).mean() > 0.8
    click(view, 45, 58, CTRL)
    assert (doc.mask[handle > 0] > 0).mean() < 0.2 and iou(doc.mask, truth) > 0.85
    assert stack.count() == 2 and stack.index() == 2
    click(view, 45, 58, CTRL)  # the same again changes nothing: no undo step
    assert stack.count() == 2
    stack.undo()
    assert (doc.mask[handle > 0] > 0).mean() > 0.8  # back to the box alone
    stack.undo()
    assert not doc.mask.any()


def test_a_plain_click_selects_the_object_under_it(canvas):
    canvas.set_tool("object")
    click(canvas, 80, 60)
    assert iou(canvas.document().mask, canvas.truth) > 0.85
    assert canvas.stack.count() == 1


def test_another_edit_ends_the_refinement(canvas):
    canvas.set_tool("object")
    doc = canvas.document()
    box_drag(canvas, *object_box(canvas.truth))
    canvas.set_tool("brush")
    drag(canvas, [(5, 100), (20, 100)])
    canvas.set_tool("object")
    stroke = doc.mask[100, 10]
    assert stroke > 0
    click(canvas, 80, 60, SHIFT)  # no object is being refined: Shift+click adds the object
    assert doc.mask[100, 10] == stroke and iou(np.where(doc.mask[:90] > 0, 255, 0),
                                               canvas.truth[:90]) > 0.85


def test_esc_cancels_a_box_drag(canvas):
    canvas.set_tool("object")
    press(canvas, (10, 10))
    from tests.canvas.test_tools import move

    move(canvas, (60, 60))
    assert canvas.tool().active
    canvas.setFocus()
    QApplication.sendEvent(canvas, _key(Qt.Key_Escape))
    release(canvas, (60, 60))
    assert not canvas.tool().active and canvas.stack.count() == 0


def _key(key):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    return QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)


def test_the_selector_sees_the_picture_as_it_is_now(canvas):
    """The flattened picture is cached between clicks, and made again after a layer edit."""
    first = canvas.picture()
    assert canvas.picture() is first
    doc = canvas.document()
    doc.layers[0].pixels[:] = 0
    doc.notify(doc.bbox)
    assert canvas.picture() is not first and not canvas.picture().any()
    doc.mask[:] = 255
    doc.notify(doc.bbox, mask=True)
    assert canvas.picture() is canvas.picture()


# --- magic wand -----------------------------------------------------------------------------


@pytest.fixture
def wand_canvas(qtbot):
    """Left: a red ramp 100..160 wide 70 px; a blue wall; right: red 130."""
    img = np.zeros((H, W, 3), np.uint8)
    img[:, :, 2] = 30
    img[:, :70, 0] = np.linspace(100, 160, 70, dtype=np.uint8)[None, :]
    img[:, 70:76] = (0, 0, 255)
    img[:, 76:, 0] = 130
    view = shown_view(qtbot, img)
    view.set_tool("wand")
    return view


def test_wand_tolerance_and_contiguous(wand_canvas):
    view, doc = wand_canvas, wand_canvas.document()
    x = int(np.argmin(np.abs(np.linspace(100, 160, 70) - 130)))  # the ramp's 130 column
    view.set_wand_tolerance(0)
    click(view, x, 50)
    narrow = int((doc.mask > 0).sum())
    view.set_wand_tolerance(10)
    click(view, x, 50)
    wide = int((doc.mask > 0).sum())
    assert 0 < narrow < wide and not doc.mask[:, 76:].any()  # contiguous: stops at the wall
    view.set_wand_contiguous(False)
    click(view, x, 50)
    assert doc.mask[:, 76:].all()  # the same red beyond the wall too
    assert view.stack.count() == 3 and view.stack.text(2) == "Magic wand"


def test_wand_modifiers(wand_canvas):
    view, doc = wand_canvas, wand_canvas.document()
    view.set_wand_tolerance(5)
    click(view, 100, 50)  # the right patch
    assert doc.mask[:, 76:].all() and not doc.mask[:, :70].any()
    click(view, 72, 50, SHIFT)  # adds the wall
    assert doc.mask[:, 70:76].all() and doc.mask[:, 76:].all()
    click(view, 100, 50, ALT)  # takes the patch away again
    assert doc.mask[:, 70:76].all() and not doc.mask[:, 76:].any()
    click(view, 5, 5, CTRL)  # subtracting what is not selected changes nothing
    assert view.stack.count() == 3


# --- in the window: shortcuts, options -----------------------------------------------------


def test_window_shortcuts_and_tool_options(qtbot, isolated_settings, tmp_path, monkeypatch):
    from PIL import Image

    from inpaint_desktop.widgets.main_window import MainWindow

    image, truth = scene()
    Image.fromarray(image).save(tmp_path / "ball.png")
    w = MainWindow()
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    assert w.open_path(str(tmp_path / "ball.png"))
    w.canvas.setFocus()
    qtbot.keyClick(w.canvas, Qt.Key_W)
    assert w.canvas.tool_name() == "wand"
    opts = w.tool_options
    QApplication.processEvents()
    assert opts.tolerance.isVisible() and opts.contiguous.isVisible()
    opts.tolerance.setValue(12)
    opts.contiguous.setChecked(False)
    assert w.canvas.wand_tolerance() == 12 and not w.canvas.wand_contiguous()
    qtbot.keyClick(w.canvas, Qt.Key_O)
    assert w.canvas.tool_name() == "object"
    QApplication.processEvents()
    assert not opts.tolerance.isVisible() and "box" in opts.keys_label.text()
    view = w.canvas
    x0, y0, x1, y1 = object_box(truth)
    points = [view.map_from_image(QPointF(x, y)).toPoint() for x, y in ((x0, y0), (x1, y1))]
    qtbot.mousePress(view, Qt.LeftButton, Qt.NoModifier, points[0])
    qtbot.mouseMove(view, points[1])
    qtbot.mouseRelease(view, Qt.LeftButton, Qt.NoModifier, points[1])
    assert iou(w.doc.mask, truth) > 0.9
    assert w.undo_stack.count() == 1 and "Select object" in w.undo_action.text()
    w.undo_action.trigger()
    assert not w.doc.mask.any()
