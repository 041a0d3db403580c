"""Colour hints in the window: live colorization across a saved and reopened project, hint
patch sizes reaching the engine, and the colour palette at the click (issue 17)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from inpaint_desktop.document.hints import Hint
from inpaint_desktop.widgets.hint_palette import NO_SUGGESTIONS
from inpaint_desktop.widgets.main_window import MainWindow
from models.engine import Colorizer, register, unregister

W, H = 90, 70
PALETTE = [(200, 30, 40), (30, 160, 60), (20, 40, 210), (240, 200, 20)]


class FakeColorizer(Colorizer):
    """Records what it is given; its palette is PALETTE (after a little thought, as a
    network's would be, and in the inference thread)."""

    name = "test-palette"
    label = "Palette test engine"
    working_size = 45  # the 90 x 70 scan is colorized at half size
    seen: list = []  # the ChromaHints of each _predict
    asked: list = []  # (x, y, hints, thread) of each suggest_colours
    gate = threading.Event()

    def _predict(self, lightness, hints, cancel, progress):
        FakeColorizer.seen.append(list(hints))
        return np.zeros(lightness.shape + (2,), np.float32)

    def suggest_colours(self, image, hints, x, y, count=6):
        FakeColorizer.asked.append((x, y, list(hints), threading.current_thread()))
        deadline = time.monotonic() + 10
        while not FakeColorizer.gate.wait(0.01):
            if time.monotonic() > deadline:
                raise RuntimeError("gate never opened")
        return PALETTE[:count]


@pytest.fixture(autouse=True, scope="module")
def _fake_engine():
    register(FakeColorizer, priority=-100)  # only while this module runs
    yield
    unregister("test-palette")


@pytest.fixture
def window(qtbot, isolated_settings, tmp_path, monkeypatch):
    gray = np.tile(np.linspace(60, 200, W, dtype=np.uint8), (H, 1))
    Image.fromarray(gray).save(tmp_path / "scan.png")
    w = MainWindow()
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    monkeypatch.setattr(w, "report_error", lambda msg: setattr(w, "last_error", msg))
    w.show()
    assert w.open_path(str(tmp_path / "scan.png"))
    yield w
    # Closed here, not by qtbot: a palette job may still run, and a window closed then
    # waits for it while pytest-qt would delete it at once.
    FakeColorizer.gate.set()
    w.jobs.cancel()
    qtbot.waitUntil(lambda: not w.jobs.is_busy(), timeout=20000)
    w.close()
    w.deleteLater()


def use_engine(w, name: str) -> None:
    picker = w.engine_panel.colorizer
    picker.setCurrentIndex(picker.findData(name))
    assert w.jobs.choice.colorizer == name or picker.currentIndex() == 0


def hint_tool(w, zoom=4.0) -> None:
    w.canvas.set_tool("hint")
    w.canvas.set_zoom(zoom)
    QApplication.processEvents()  # the tool options bar lays the hint tool's options out


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


def colorize_and_wait(qtbot, w) -> None:
    """Colorize, and wait for that job (not a palette's beside it)."""
    with qtbot.waitSignal(w.jobs.ended, timeout=20000,
                          check_params_cb=lambda job, ok: job.kind == "colorize"):
        assert w.colorize()


def colour_layer(w):
    return next(la for la in w.doc.layers if la.name.startswith("Colorize"))


def redness(pixels, x, y) -> int:
    r, g, b = pixels[y, x].astype(int)
    return r - max(g, b)


def test_live_colorization_works_on_a_reopened_project(window, qtbot, tmp_path):
    w = window
    use_engine(w, "levin")
    hint_tool(w)
    click_hint(qtbot, w, 20, 35, QColor(220, 30, 30))
    colorize_and_wait(qtbot, w)
    assert redness(colour_layer(w).pixels, 20, 35) > 20
    path = str(tmp_path / "scan.inpaint")
    assert w._save_project_to(path)

    assert w.open_path(path)
    assert len(w.doc.hints) == 1 and len(w.doc.layers) == 2
    hint_tool(w)
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


def wheel(w, x, y, dy=120, modifiers=Qt.KeyboardModifier.NoModifier):
    pos = QPointF(widget_point(w, x, y))
    event = QWheelEvent(pos, QPointF(w.canvas.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, dy),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(w.canvas, event)


def test_wheel_patch_size_is_shown_saved_reopened_and_reaches_the_engine(window, qtbot,
                                                                         tmp_path):
    w = window
    use_engine(w, "test-palette")
    FakeColorizer.gate.set()
    hint_tool(w)
    box = w.tool_options.patch_box
    assert box.isVisibleTo(w) and box.value() == 3 and "default" in box.suffix()
    for _ in range(3):
        wheel(w, 20, 20)
    assert w.canvas.hint_size() == 6 and w.canvas.zoom() == 4.0
    assert box.value() == 6 and "default" not in box.suffix()
    click_hint(qtbot, w, 20, 35, QColor(220, 30, 30))
    assert w.doc.hints == [Hint(20, 35, (220, 30, 30), 6)]
    for _ in range(5):
        wheel(w, 20, 35)  # the selected hint grows with it: one undo step
    assert w.doc.hints[0].size == 12 and box.value() == 12
    assert w.undo_stack.count() == 2
    box.setValue(14)  # the tool options set it too
    assert w.doc.hints[0].size == 14 and w.undo_stack.count() == 2  # merged
    wheel(w, 20, 35, modifiers=Qt.KeyboardModifier.ControlModifier)
    assert w.canvas.zoom() > 4.0 and w.doc.hints[0].size == 14  # Ctrl+wheel zooms

    FakeColorizer.seen.clear()
    colorize_and_wait(qtbot, w)
    assert [h.size for h in FakeColorizer.seen[-1]] == [7.0]  # 14 image px at half size
    path = str(tmp_path / "sized.inpaint")
    assert w._save_project_to(path)
    assert w.open_path(path)
    assert w.doc.hints == [Hint(20, 35, (220, 30, 30), 14)]
    # live colorization of the reopened project gets the size, too
    hint_tool(w)
    FakeColorizer.seen.clear()
    click_hint(qtbot, w, 20, 35)  # picks the hint: its size is the current one
    assert w.canvas.selected_hint() == 0 and box.value() == 14
    wheel(w, 20, 35, dy=-120)
    assert w.doc.hints[0].size == 12
    qtbot.waitUntil(lambda: bool(FakeColorizer.seen), timeout=20000)
    assert [h.size for h in FakeColorizer.seen[-1]] == [6.0]


def test_the_palette_appears_after_a_click_and_a_swatch_recolours_the_hint(window, qtbot):
    w = window
    use_engine(w, "test-palette")
    palette = w.hint_palette
    QApplication.processEvents()
    assert palette.isVisibleTo(w) is False  # the brush is the tool
    hint_tool(w)
    assert palette.isVisibleTo(w)
    click_hint(qtbot, w, 40, 30, QColor(90, 90, 90))
    click_hint(qtbot, w, 60, 20, QColor(10, 20, 30))
    FakeColorizer.gate.clear()  # the engine thinks: the window must not wait for it
    FakeColorizer.asked.clear()
    click_hint(qtbot, w, 40, 30)  # pick the first hint
    assert w.canvas.selected_hint() == 0
    assert not any(b.isVisibleTo(w) for b in palette.swatches)
    assert palette.note.text() == "suggestions..."
    qtbot.waitUntil(lambda: bool(FakeColorizer.asked), timeout=10000)
    w.canvas.set_zoom(3.0)  # the window is alive meanwhile
    FakeColorizer.gate.set()
    qtbot.waitUntil(lambda: palette.swatches[0].isVisibleTo(w), timeout=10000)
    x, y, hints, thread = FakeColorizer.asked[-1]
    assert (x, y) == (40, 30) and thread is not threading.main_thread()
    assert [h[:3] for h in hints] == [(60, 20, (10, 20, 30))]  # the other hints only
    assert palette.colours == PALETTE
    assert [b.isVisibleTo(w) for b in palette.swatches] == [True] * 4 + [False] * 2
    assert not w.progress_bar.isVisible()  # a quiet job: no progress bar for a palette
    steps = w.undo_stack.count()
    qtbot.mouseClick(palette.swatches[2], Qt.LeftButton)
    assert w.doc.hints[0].rgb == PALETTE[2] and w.undo_stack.count() == steps + 1
    assert w.undo_stack.undoText() == "Recolour colour hint"
    assert w.canvas.hint_color() == QColor(*PALETTE[2])
    w.undo_action.trigger()
    assert w.doc.hints[0].rgb == (90, 90, 90)
    # Another selection drops the palette of the old one.
    qtbot.keyClick(w.canvas, Qt.Key_Escape)
    assert w.canvas.selected_hint() is None
    assert not any(b.isVisibleTo(w) for b in palette.swatches) and palette.note.text() == ""


def test_an_engine_without_a_palette_borrows_one_with_colour_classes(window, qtbot,
                                                                     monkeypatch):
    import models

    monkeypatch.setattr(models, "palette_colorizers", lambda: ["test-palette"])
    FakeColorizer.gate.set()
    w = window
    use_engine(w, "levin")  # classical: no colour distribution of its own
    hint_tool(w)
    click_hint(qtbot, w, 40, 30, QColor(90, 90, 90))
    palette = w.hint_palette
    qtbot.waitUntil(lambda: palette.swatches[0].isVisibleTo(w), timeout=10000)
    assert palette.colours == PALETTE


def test_an_engine_without_a_palette_says_so(window, qtbot, monkeypatch):
    import models

    monkeypatch.setattr(models, "palette_colorizers", lambda: [])  # no net with classes
    w = window
    use_engine(w, "levin")  # classical: no colour distribution
    hint_tool(w)
    click_hint(qtbot, w, 40, 30, QColor(90, 90, 90))
    palette = w.hint_palette
    qtbot.waitUntil(lambda: palette.note.text() == NO_SUGGESTIONS, timeout=10000)
    assert not any(b.isVisibleTo(w) for b in palette.swatches) and palette.colours == []
    # choosing another colorizer asks again about the same hint
    FakeColorizer.gate.set()
    use_engine(w, "test-palette")
    qtbot.waitUntil(lambda: palette.swatches[0].isVisibleTo(w), timeout=10000)
    assert palette.colours == PALETTE


def test_resizes_merged_into_one_step_still_refresh_the_live_colour_layer(window, qtbot,
                                                                         monkeypatch):
    """A wheel notch that merges into the newest undo step changes the hints too."""
    w = window
    hint_tool(w)
    click_hint(qtbot, w, 20, 35, QColor(220, 30, 30))
    scheduled = []
    monkeypatch.setattr(w.jobs, "schedule_recolorize", lambda: scheduled.append(1))
    wheel(w, 20, 35)
    wheel(w, 20, 35)
    wheel(w, 20, 35)
    assert w.undo_stack.count() == 2 and w.doc.hints[0].size == 6  # add + one resize
    assert len(scheduled) == 3  # the merged notches asked for a colour update too
