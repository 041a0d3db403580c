"""Colour hints in the window: live colorization across a saved and reopened project, hint
patch sizes reaching the engine, and the colour palette at the click (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox

from inpaint_desktop.widgets.main_window import MainWindow

W, H = 90, 70


@pytest.fixture
def window(qtbot, isolated_settings, tmp_path, monkeypatch):
    gray = np.tile(np.linspace(60, 200, W, dtype=np.uint8), (H, 1))
    Image.fromarray(gray).save(tmp_path / "scan.png")
    w = MainWindow()
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    monkeypatch.setattr(w, "report_error", lambda msg: setattr(w, "last_error", msg))
    qtbot.addWidget(w)
    w.show()
    assert w.open_path(str(tmp_path / "scan.png"))
    yield w
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.is_busy(), timeout=20000)


def use_engine(w, name: str) -> None:
    picker = w.engine_panel.colorizer
    picker.setCurrentIndex(picker.findData(name))
    assert w.jobs.choice.colorizer == name or picker.currentIndex() == 0


def widget_point(w, x: float, y: float):
    return w.canvas.map_from_image(QPointF(x + 0.5, y + 0.5)).toPoint()


def click_hint(qtbot, w, x, y, color: QColor | None = None) -> None:
    if color is not None:
        w.canvas.select_hint(None)
        w.canvas.set_hint_color(color)
    qtbot.mouseClick(w.canvas, Qt.LeftButton, pos=widget_point(w, x, y))


def drag_hint(qtbot, w, start, end) -> None:
    a, b = widget_point(w, *start), widget_point(w, *end)
    qtbot.mousePress(w.canvas, Qt.LeftButton, pos=a)
    for t in (0.25, 0.5, 0.75, 1.0):
        qtbot.mouseMove(w.canvas, a + (b - a) * t)
    qtbot.mouseRelease(w.canvas, Qt.LeftButton, pos=b)


def colour_layer(w):
    return next(la for la in w.doc.layers if la.name.startswith("Colorize"))


def redness(pixels, x, y) -> int:
    r, g, b = pixels[y, x].astype(int)
    return r - max(g, b)


def test_live_colorization_works_on_a_reopened_project(window, qtbot, tmp_path):
    w = window
    use_engine(w, "levin")
    w.canvas.set_tool("hint")
    w.canvas.set_zoom(4.0)
    click_hint(qtbot, w, 20, 35, QColor(220, 30, 30))
    with qtbot.waitSignal(w.jobs.worker.finished, timeout=20000):
        w.colorize()
    assert redness(colour_layer(w).pixels, 20, 35) > 20
    path = str(tmp_path / "scan.inpaint")
    assert w._save_project_to(path)

    assert w.open_path(path)
    assert len(w.doc.hints) == 1 and len(w.doc.layers) == 2
    w.canvas.set_tool("hint")
    w.canvas.set_zoom(4.0)
    layer = colour_layer(w)
    before = layer.pixels.copy()
    assert redness(before, 70, 35) > 20  # one red hint: all red
    # A new blue hint far from the red one: the colour layer follows it.
    click_hint(qtbot, w, 70, 35, QColor(30, 30, 220))
    assert len(w.doc.hints) == 2
    qtbot.waitUntil(lambda: not np.array_equal(layer.pixels, before), timeout=20000)
    r, g, b = layer.pixels[35, 70].astype(int)
    assert b > r + 20
    assert w.undo_stack.count() == 1  # the hint WITH its colour update: one undo step
    # Moving the red hint updates it too.
    qtbot.waitUntil(lambda: not w.jobs.is_busy(), timeout=20000)
    moved_from = layer.pixels.copy()
    drag_hint(qtbot, w, (20, 35), (45, 35))
    assert (w.doc.hints[0].x, w.doc.hints[0].y) == (45, 35)
    qtbot.waitUntil(lambda: not np.array_equal(layer.pixels, moved_from), timeout=20000)
    assert w.undo_stack.count() == 2
    w.undo_action.trigger()
    assert np.array_equal(layer.pixels, moved_from)
