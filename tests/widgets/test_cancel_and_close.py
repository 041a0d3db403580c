"""Esc and closing the window during a long whole-photo Erase; a mask over everything.

The engine is a fake whose model calls are slow and deterministic (a fixed sleep per tile),
so the bounds below measure how soon the job stops after cancel, not how busy the machine is.
"""

import threading
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from inpaint_desktop.workers.inference import running_qthreads
from models.engine import Inpainter, register, unregister

STARTED = threading.Event()
STEP_S = 0.05  # one model call of the fake engine


class SlowTiles(Inpainter):
    """Fills with gray, STEP_S per call, in 32 px tiles: a 240 x 320 hole takes ~100 calls."""

    name = "test-slow-tiles"
    label = "Slow tiled test engine"
    tile_size = 32
    tile_margin = 4

    def _predict(self, image, hole):
        STARTED.set()
        time.sleep(STEP_S)
        out = image.copy()
        out[hole > 0] = 128
        return out


@pytest.fixture(autouse=True, scope="module")
def _slow_engine():
    register(SlowTiles, priority=-100)
    yield
    unregister("test-slow-tiles")


@pytest.fixture
def window(qtbot, isolated_settings, tmp_path, monkeypatch):
    from inpaint_desktop.widgets.main_window import MainWindow

    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)).save(
        tmp_path / "photo.png")
    w = MainWindow()
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    monkeypatch.setattr(w, "report_error", lambda msg: setattr(w, "last_error", msg))
    qtbot.addWidget(w)
    w.show()
    assert w.open_path(str(tmp_path / "photo.png"))
    w.engine_panel.select_inpainter("test-slow-tiles")
    w.jobs.choice.hd_strategy = "original"  # the whole photo at full size
    STARTED.clear()
    return w


def start_long_erase(window, qtbot, fractions):
    window.jobs.progress.connect(lambda f, m: fractions.append(f))
    window.doc.mask[30:270, 40:360] = 255
    assert window.erase()
    qtbot.waitUntil(lambda: len(set(fractions)) >= 3, timeout=10000)


def test_esc_cancels_a_whole_photo_erase_within_a_bound(window, qtbot):
    fractions = []
    start_long_erase(window, qtbot, fractions)
    # The progress bar moves during a whole-photo erase, not only at the end.
    assert 0 < max(fractions) < 0.5 and window.progress_bar.value() > 0
    layers = len(window.doc.layers)
    with qtbot.waitSignal(window.jobs.worker.cancelled, timeout=5000):
        t0 = time.monotonic()
        qtbot.keyClick(window, Qt.Key_Escape)
    assert time.monotonic() - t0 < 3.0  # one model call (STEP_S), with a generous margin
    assert len(window.doc.layers) == layers and not window.jobs.is_busy()


def test_closing_the_window_during_a_long_job_exits_cleanly(window, qtbot):
    start_long_erase(window, qtbot, [])
    thread = window.jobs.worker._thread
    t0 = time.monotonic()
    window.close()  # returns at once: the window hides and closes when the job stopped
    assert time.monotonic() - t0 < 0.5 and not window.isVisible()
    qtbot.waitUntil(lambda: not thread.isRunning(), timeout=3000)
    assert time.monotonic() - t0 < 3.0
    assert not running_qthreads()


def test_a_mask_over_everything_is_refused_and_nothing_changes(window, qtbot):
    window.doc.mask[:] = 255  # Mask > mask everything
    layers = len(window.doc.layers)
    undo_steps = window.undo_stack.count()
    assert not window.erase()
    message = window.statusBar().currentMessage()
    assert "Cannot erase" in message and "covers all of the image" in message
    qtbot.wait(100)
    assert not window.jobs.is_busy() and not STARTED.is_set()
    assert len(window.doc.layers) == layers and window.undo_stack.count() == undo_steps
    assert (window.doc.mask == 255).all()
