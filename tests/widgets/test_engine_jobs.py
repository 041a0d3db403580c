"""Erase and Colorize in the window: background jobs, result layers, undo, cancel, staleness."""

import threading
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

import models
from inpaint_desktop.document import layer_ops
from inpaint_desktop.widgets.main_window import MainWindow
from models.engine import Inpainter, register, unregister

GATE = threading.Event()


class GatedInpainter(Inpainter):
    """Fills the hole with pure green once GATE opens (tests hold it to act mid-job)."""

    name = "test-gated"
    label = "Gated test engine"

    def _predict(self, image, hole):
        deadline = time.monotonic() + 10
        while not GATE.wait(0.01):
            if time.monotonic() > deadline:
                raise RuntimeError("gate never opened")
        out = image.copy()
        out[hole > 0] = (0, 255, 0)
        return out


class BrokenInpainter(Inpainter):
    name = "test-broken"
    label = "Broken test engine"

    def _predict(self, image, hole):
        raise RuntimeError("out of memory while filling\nsecond line")


@pytest.fixture(autouse=True, scope="module")
def _test_engines():
    # Registered only while this module runs: other tests iterate over the registry.
    register(GatedInpainter, priority=-100)
    register(BrokenInpainter, priority=-100)
    yield
    unregister("test-gated")
    unregister("test-broken")


@pytest.fixture
def window(qtbot, isolated_settings, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (80, 100, 3), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "photo.png")
    w = MainWindow()
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    monkeypatch.setattr(w, "report_error", lambda msg: setattr(w, "last_error", msg))
    qtbot.addWidget(w)
    w.show()
    assert w.open_path(str(tmp_path / "photo.png"))
    GATE.set()
    yield w
    GATE.set()


def paint(w):
    w.doc.mask[30:50, 40:60] = 255


def test_erase_adds_one_result_layer_and_clears_the_used_mask(window, qtbot):
    paint(window)
    before = window.doc.composite()
    window.engine_panel.select_inpainter("telea")
    with qtbot.waitSignal(window.jobs.worker.finished, timeout=10000):
        assert window.erase()
    doc = window.doc
    assert len(doc.layers) == 2 and doc.layers[1].name.startswith("Erase")
    assert not doc.mask.any()
    after = doc.composite()
    grow = window.engine_panel.grow.value()  # the inpainter got the mask grown by this
    assert grow == 8  # the default
    outside = np.ones(doc.mask.shape, bool)
    outside[30 - grow:50 + grow, 40 - grow:60 + grow] = False
    assert np.array_equal(after[outside], before[outside])
    assert not np.array_equal(after[30:50, 40:60], before[30:50, 40:60])
    assert window.undo_stack.count() == 1
    window.undo_action.trigger()
    assert len(doc.layers) == 1 and (doc.mask[30:50, 40:60] == 255).all()
    window.redo_action.trigger()
    assert len(doc.layers) == 2 and not doc.mask.any()


def test_window_stays_usable_while_erasing(window, qtbot):
    paint(window)
    window.engine_panel.select_inpainter("test-gated")
    GATE.clear()
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    assert window.erase()
    assert window.cancel_button.isVisible() and window.cancel_action.isEnabled()
    qtbot.wait(200)
    # Paint more mask and zoom while the job runs: the event loop is alive.
    window.doc.mask[5:10, 5:10] = 255
    window.doc.notify((5, 5, 10, 10), mask=True)
    window.zoom_in_action.trigger()
    assert len(ticks) >= 8
    with qtbot.waitSignal(window.jobs.worker.finished, timeout=10000):
        GATE.set()
    timer.stop()
    doc = window.doc
    assert len(doc.layers) == 2
    assert tuple(doc.composite()[40, 50]) == (0, 255, 0)
    # The strokes painted during the job are kept; only the erased part was cleared.
    assert (doc.mask[5:10, 5:10] == 255).all() and not doc.mask[30:50, 40:60].any()
    assert not window.cancel_button.isVisible()


def test_cancel_stops_the_job_and_pastes_nothing(window, qtbot):
    paint(window)
    window.engine_panel.select_inpainter("test-gated")
    GATE.clear()
    with qtbot.waitSignal(window.jobs.worker.cancelled, timeout=10000):
        window.erase()
        QTimer.singleShot(100, window.cancel_action.trigger)
        QTimer.singleShot(300, GATE.set)
    assert len(window.doc.layers) == 1 and window.undo_stack.count() == 0
    assert "cancelled" in window.statusBar().currentMessage()


def test_result_is_dropped_when_the_picture_changed(window, qtbot):
    paint(window)
    window.engine_panel.select_inpainter("test-gated")
    GATE.clear()
    window.erase()
    qtbot.wait(50)
    layer_ops.set_props(window.doc, window.doc.layers[0].id, opacity=0.5).apply(window.doc)
    with qtbot.waitSignal(window.jobs.worker.finished, timeout=10000):
        GATE.set()
    assert len(window.doc.layers) == 1
    assert "dropped" in window.statusBar().currentMessage()


def test_engine_failure_is_one_line_and_work_is_kept(window, qtbot):
    paint(window)
    window.engine_panel.select_inpainter("test-broken")
    with qtbot.waitSignal(window.jobs.worker.failed, timeout=10000):
        window.erase()
    assert window.last_error == "Erase 1 failed: out of memory while filling"
    assert (window.doc.mask[30:50, 40:60] == 255).all()


def test_erase_with_empty_mask_says_what_to_do(window):
    assert not window.erase()
    assert "mask" in window.statusBar().currentMessage().lower()
    assert not window.jobs.is_busy()


def test_colorize_adds_a_colour_layer(window, qtbot):
    with qtbot.waitSignal(window.jobs.worker.finished, timeout=20000):
        assert window.colorize()
    doc = window.doc
    assert len(doc.layers) == 2 and doc.layers[1].name.startswith("Colorize")
    assert doc.layers[1].pixels.shape == (80, 100, 3)
    window.undo_action.trigger()
    assert len(doc.layers) == 1


def test_closing_during_a_job_is_clean(qtbot, isolated_settings, tmp_path, monkeypatch):
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "p.png")
    w = MainWindow()
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    qtbot.addWidget(w)
    w.open_path(str(tmp_path / "p.png"))
    w.doc.mask[10:20, 10:20] = 255
    w.engine_panel.select_inpainter("test-gated")
    GATE.clear()
    w.erase()
    qtbot.wait(50)
    opener = threading.Timer(0.2, GATE.set)  # the engine finishes its crop while we close
    opener.start()
    t0 = time.monotonic()
    w.close()  # hides at once; closes for good when the job has stopped
    assert not w.isVisible()
    qtbot.waitUntil(lambda: not w.jobs.worker._thread.isRunning(), timeout=5000)
    opener.join()
    assert time.monotonic() - t0 < 5


def test_engine_picker_lists_registered_engines(window):
    names = [window.engine_panel.inpainter.itemData(i)
             for i in range(window.engine_panel.inpainter.count())]
    assert names[0] == models.default_inpainter()
    assert {"telea", "navier-stokes", "fsr"} <= set(names)
    window.engine_panel.hd.setCurrentIndex(window.engine_panel.hd.findData("resize"))
    assert window.jobs.choice.hd_strategy == "resize"
    assert not window.engine_panel.margin.isEnabled()


def test_hold_backslash_shows_the_original(window, qtbot):
    paint(window)
    window.engine_panel.select_inpainter("test-gated")
    with qtbot.waitSignal(window.jobs.worker.finished, timeout=10000):
        window.erase()
    c = window.canvas
    c.set_zoom(4.0)  # a pixel is 4x4 on screen: no rounding doubt about which one is sampled
    from PySide6.QtCore import QPointF, Qt

    p = c.map_from_image(QPointF(50.5, 40.5)).toPoint()
    original = tuple(window.doc.layers[0].pixels[40, 50])

    def shown():
        col = c.grab().toImage().pixelColor(p)
        return (col.red(), col.green(), col.blue())

    window.doc.mask[:] = 0
    window.show_mask_action.setChecked(False)
    window.canvas.set_mask_visible(False)
    assert shown() == (0, 255, 0)
    qtbot.keyPress(c, Qt.Key_Backslash)
    assert shown() == original and window.compare_action.isChecked()
    qtbot.keyRelease(c, Qt.Key_Backslash)
    assert shown() == (0, 255, 0) and not window.compare_action.isChecked()
    assert len(window.doc.layers) == 2  # the view changed, not the document


def test_colour_hints_steer_a_live_colorization(qtbot, isolated_settings, tmp_path,
                                                monkeypatch):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QColor

    gray = np.tile(np.linspace(60, 200, 90, dtype=np.uint8), (70, 1))
    Image.fromarray(gray).save(tmp_path / "scan.png")
    w = MainWindow()
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    qtbot.addWidget(w)
    w.show()
    assert w.open_path(str(tmp_path / "scan.png"))
    picker = w.engine_panel.colorizer  # levin: gray without hints (a learned one colours)
    picker.setCurrentIndex(picker.findData("levin"))
    with qtbot.waitSignal(w.jobs.worker.finished, timeout=20000):
        w.colorize()
    layer = w.doc.layers[1]
    assert np.ptp(layer.pixels.astype(int), axis=2).max() <= 2  # no hints yet: gray
    gray_pixels = layer.pixels.copy()

    w.canvas.set_tool("hint")
    w.canvas.set_hint_color(QColor(220, 30, 30))
    w.canvas.set_zoom(4.0)
    qtbot.mouseClick(w.canvas, Qt.LeftButton,
                     pos=w.canvas.map_from_image(QPointF(45.5, 35.5)).toPoint())
    assert len(w.doc.hints) == 1
    qtbot.waitUntil(lambda: not np.array_equal(layer.pixels, gray_pixels), timeout=20000)
    r, g, b = layer.pixels[35, 45].astype(int)
    assert r > g + 20 and r > b + 20  # the picture follows the red hint
    assert w.undo_stack.count() == 2  # Colorize, then the hint WITH its colour update
    w.undo_action.trigger()
    assert not w.doc.hints and np.array_equal(layer.pixels, gray_pixels)
    w.redo_action.trigger()
    assert len(w.doc.hints) == 1 and layer.pixels[35, 45, 0] == r
    qtbot.wait(400)  # undo/redo do not start another colorization
    assert not w.jobs.is_busy() and w.undo_stack.count() == 2


def erase_unticked(window, qtbot, box, option: str, rows: slice, cols: slice):
    """Untick ``box`` with a click (its choice ``option`` follows), erase the mask rows x cols
    with ffc-inpaint; the inference thread's ffc-inpaint engine."""
    from PySide6.QtCore import QPoint, Qt

    assert box.isChecked() and getattr(window.jobs.choice, option)
    qtbot.mouseClick(box, Qt.LeftButton, pos=QPoint(8, box.height() // 2))
    assert not box.isChecked() and not getattr(window.jobs.choice, option)
    window.engine_panel.select_inpainter("ffc-inpaint")
    window.doc.mask[rows, cols] = 255
    with qtbot.waitSignal(window.jobs.worker.finished, timeout=30000):
        assert window.erase()
    loaded = window.jobs.worker._worker.engines  # the inference thread's engines
    return next(e for e in loaded.values() if getattr(e, "name", "") == "ffc-inpaint")


def test_texture_checkbox_switches_the_learned_engines_copy_step(window, qtbot):
    import models

    engine = erase_unticked(window, qtbot, window.engine_panel.texture, "texture",
                            slice(10, 70), slice(20, 80))
    assert engine.card_texture and not engine.texture
    assert models.get_inpainter("ffc-inpaint", device="cpu").texture  # the default stays on


def test_fsr_mix_checkbox_switches_the_learned_engines_classical_mix(window, qtbot):
    import models

    engine = erase_unticked(window, qtbot, window.engine_panel.fsr_mix, "fsr_mix",
                            slice(40, 43), slice(10, 90))  # a scratch: a narrow part
    assert engine.card_fsr_blend == 0.5 and engine.fsr_blend == 0.0
    assert models.get_inpainter("ffc-inpaint", device="cpu").fsr_blend == 0.5  # default on


def test_erase_grows_the_mask_it_hands_over_not_the_mask_layer(window, qtbot, isolated_settings):
    """The panel's "Grow selection by N px": the fill reaches N px past the painted mask
    (an object's soft rim goes too); the mask layer is cleared where it was painted only,
    so strokes painted beside it stay; the value is kept in the settings."""
    from inpaint_desktop.settings import settings

    panel = window.engine_panel
    panel.select_inpainter("test-gated")
    GATE.set()
    panel.grow.setValue(5)
    assert settings().value("erase/grow_px") in (5, "5")
    paint(window)
    before = window.doc.composite()
    with qtbot.waitSignal(window.jobs.worker.finished, timeout=10000):
        assert window.erase()
    after = window.doc.composite()
    changed = np.any(after != before, axis=2)
    assert changed[30:50, 40:60].all() and changed[27, 50] and changed[50, 63]  # 3 px out
    assert not changed[23, 50] and not changed[50, 67]  # beyond 5 px: untouched
    assert not window.doc.mask.any()
    window.undo_action.trigger()
    panel.grow.setValue(0)  # off: exactly the mask
    with qtbot.waitSignal(window.jobs.worker.finished, timeout=10000):
        assert window.erase()
    changed = np.any(window.doc.composite() != before, axis=2)
    assert changed[30:50, 40:60].all() and not changed[29, 50] and not changed[50, 60]
    assert panel.grow.text() == "off"


def test_the_grow_setting_survives_a_restart(qtbot, isolated_settings):
    from inpaint_desktop.settings import settings

    settings().setValue("erase/grow_px", 13)
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.engine_panel.grow.value() == 13 and w.jobs.choice.grow_px == 13
