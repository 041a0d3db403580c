"""Restore old photo and Mask > Detect damage in the window, with a fake fast detector:
the mask in one undo step, the live sensitivity slider, one-click Restore, cancel."""

import threading
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from inpaint_desktop.commands import push_edit
from inpaint_desktop.document import PixelEdit, diff_tiles
from inpaint_desktop.widgets.main_window import MainWindow
from models.engine import Colorizer, DamageDetector, damage_mask, register, unregister
from models.restore import grow

H, W = 60, 80
GATE = threading.Event()  # the gated detector waits for it (tests cancel meanwhile)
CALLS = []  # one entry per detector run


def confidence_map() -> np.ndarray:
    """Two defects: a sure one (200: found from sensitivity 0.22) and a faint one (100: found
    from sensitivity 0.61 on)."""
    conf = np.zeros((H, W), np.uint8)
    conf[10:14, 8:40] = 200  # a scratch
    conf[40:46, 50:58] = 100  # a faint stain
    return conf


def expected(sensitivity: float) -> np.ndarray:
    return grow(damage_mask(confidence_map(), sensitivity), 1)  # grow_pixels(80, 60) == 1


class FakeDetector(DamageDetector):
    name = "test-fake-detector"
    label = "Fake detector"

    def _predict(self, image, cancel, progress):
        CALLS.append(image.shape)
        return confidence_map()


class GatedDetector(DamageDetector):
    name = "test-gated-detector"
    label = "Gated detector"

    def _predict(self, image, cancel, progress):
        deadline = time.monotonic() + 10
        while not GATE.wait(0.01):
            cancel.check()
            if time.monotonic() > deadline:
                raise RuntimeError("gate never opened")
        return confidence_map()


class BlindDetector(DamageDetector):
    name = "test-blind-detector"
    label = "Blind detector"

    def _predict(self, image, cancel, progress):
        return np.zeros(image.shape[:2], np.uint8)


class TintColorizer(Colorizer):
    """A fast stand-in: the same warm tint everywhere."""

    name = "test-tint"
    label = "Tint test colorizer"
    working_size = 32

    def _predict(self, lightness, hints, cancel, progress):
        ab = np.zeros(lightness.shape + (2,), np.float32)
        ab[..., 0], ab[..., 1] = 20.0, 30.0
        return ab


@pytest.fixture(autouse=True, scope="module")
def _test_engines():
    # The fake detector is the default while this module runs; the others are chosen by name.
    register(FakeDetector, priority=1000)
    for cls in (GatedDetector, BlindDetector, TintColorizer):
        register(cls, priority=-100)
    yield
    for cls in (FakeDetector, GatedDetector, BlindDetector, TintColorizer):
        unregister(cls.name)


def photo() -> np.ndarray:
    """A sepia-ish gradient with a bright scratch and a dark stain where the map says."""
    y, x = np.mgrid[0:H, 0:W]
    base = (60 + x * 1.5 + y).astype(np.float32)
    img = np.stack([base * 1.1, base, base * 0.8], axis=2).clip(0, 255).astype(np.uint8)
    img[10:14, 8:40] = 250
    img[40:46, 50:58] = 20
    return img


@pytest.fixture
def window(qtbot, isolated_settings, tmp_path, monkeypatch):
    Image.fromarray(photo()).save(tmp_path / "old.png")
    CALLS.clear()
    GATE.clear()
    w = MainWindow()
    monkeypatch.setattr(w, "ask_save_changes", lambda: QMessageBox.Discard)
    monkeypatch.setattr(w, "report_error", lambda msg: setattr(w, "last_error", msg))
    qtbot.addWidget(w)
    w.show()
    assert w.open_path(str(tmp_path / "old.png"))
    w.engine_panel.select_inpainter("telea")
    combo = w.engine_panel.colorizer
    combo.setCurrentIndex(combo.findData("test-tint"))
    w.restore_action.trigger()
    yield w
    GATE.set()


def detect(w, qtbot, **kw):
    with qtbot.waitSignal(w.jobs.ended, timeout=10000) as blocker:
        if kw:
            assert w.restore_panel.detect(**kw)
        else:
            w.detect_action.trigger()  # Mask > Detect damage
    assert blocker.args[1] is True
    return blocker.args[0]


def test_detect_damage_sets_the_mask_in_one_undo_step(window, qtbot):
    doc, stack = window.doc, window.undo_stack
    doc.mask[50:55, 2:6] = 255  # a mask from before (replaced by the detection)
    before = doc.mask.copy()
    detect(window, qtbot)
    assert CALLS == [(H, W, 3)]
    np.testing.assert_array_equal(doc.mask, expected(0.5))
    assert not doc.mask[40:46, 50:58].any()  # the faint stain is below the default
    assert stack.count() == 1 and stack.text(0) == "Detect damage"
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    np.testing.assert_array_equal(doc.mask, before)
    window.redo_action.trigger()
    np.testing.assert_array_equal(doc.mask, expected(0.5))
    share = f"{np.count_nonzero(expected(0.5)) / (H * W):.2%}"
    assert f"Fake detector found {share} of the photo damaged" in window.restore_panel.last_message


def test_shift_detect_adds_to_the_mask(window, qtbot):
    doc = window.doc
    doc.mask[50:55, 2:6] = 255
    before = doc.mask.copy()
    detect(window, qtbot, add=True)
    np.testing.assert_array_equal(doc.mask, np.maximum(before, expected(0.5)))
    window.undo_action.trigger()
    np.testing.assert_array_equal(doc.mask, before)


def test_sensitivity_slider_rethresholds_live_within_the_detection_step(window, qtbot):
    doc, stack, panel = window.doc, window.undo_stack, window.restore_panel
    before = doc.mask.copy()
    detect(window, qtbot)
    slider = panel.slider
    slider.setFocus()
    for _ in range(3):  # Page Up: +0.10 each, live
        QTest.keyClick(slider, Qt.Key_PageUp)
        np.testing.assert_array_equal(doc.mask, expected(panel.sensitivity))
    assert panel.sensitivity == pytest.approx(0.8)
    assert doc.mask[40:46, 50:58].all()  # the faint stain now counts
    assert panel.sensitivity_label.text() == "0.80"
    assert CALLS == [(H, W, 3)]  # the detector ran once: the kept confidence map
    assert stack.count() == 1 and stack.text(0) == "Detect damage"  # still one step
    QTest.keyClick(slider, Qt.Key_Home)  # 0: nothing counts
    assert not doc.mask.any()
    QTest.keyClick(slider, Qt.Key_End)  # 1: everything the detector saw
    np.testing.assert_array_equal(doc.mask, expected(1.0))
    window.undo_action.trigger()
    np.testing.assert_array_equal(doc.mask, before)
    window.redo_action.trigger()
    np.testing.assert_array_equal(doc.mask, expected(1.0))


def test_slider_after_a_correction_is_its_own_step_and_keeps_the_correction(window, qtbot):
    doc, stack, panel = window.doc, window.undo_stack, window.restore_panel
    detect(window, qtbot)
    # The user erases the right half of the scratch (a correction) ...
    corrected = doc.mask.copy()
    corrected[:, 24:] = 0
    assert push_edit(stack, doc, PixelEdit(doc.MASK, diff_tiles(doc.mask, corrected),
                                           label="Erase"))
    panel.slider.setFocus()
    QTest.keyClick(panel.slider, Qt.Key_PageUp)  # 0.6: the stain still does not count
    QTest.keyClick(panel.slider, Qt.Key_PageUp)  # 0.7: it does
    assert stack.count() == 3 and stack.text(2) == "Damage sensitivity"  # one step
    want = corrected.copy()  # ... and the correction stays: only the stain flips
    want[expected(0.7) != expected(0.5)] = 255
    assert want[40:46, 50:58].all() and not want[10:14, 24:].any()
    np.testing.assert_array_equal(doc.mask, want)
    window.undo_action.trigger()
    np.testing.assert_array_equal(doc.mask, corrected)
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert not doc.mask.any()


def test_no_damage_found_says_so_and_changes_nothing(window, qtbot):
    window.jobs.choice.detector = "test-blind-detector"
    window.doc.mask[5:9, 5:9] = 255
    before = window.doc.mask.copy()
    detect(window, qtbot)
    assert "no damage found" in window.restore_panel.last_message.lower()
    assert window.undo_stack.count() == 0
    np.testing.assert_array_equal(window.doc.mask, before)
    window.doc.mask[:] = 0
    panel = window.restore_panel
    with qtbot.waitSignal(window.jobs.ended, timeout=10000):
        qtbot.mouseClick(panel.restore_button, Qt.LeftButton)
    assert "no damage found" in panel.last_message.lower()  # and Restore stops there
    assert not window.jobs.is_busy() and panel._chain is None
    assert window.undo_stack.count() == 0 and len(window.doc.layers) == 1


def test_without_a_photo_the_steps_say_so(qtbot, isolated_settings):
    w = MainWindow()
    qtbot.addWidget(w)
    panel = w.restore_panel
    assert not w.detect_action.isEnabled()
    assert not panel.restore_button.isEnabled()
    assert not panel.detect()
    assert panel.last_message == "Open a photo first"
    assert not panel.restore()
    assert panel.last_message == "Open a photo first"


def test_restore_button_detects_fills_gray_and_colorizes_in_three_steps(window, qtbot):
    doc, stack, panel = window.doc, window.undo_stack, window.restore_panel
    original = doc.composite()
    assert window.restore_dock.isVisible()
    qtbot.mouseClick(panel.restore_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.last_message.startswith("Restored"), timeout=20000)
    assert not window.jobs.is_busy()
    assert [stack.text(i).rstrip("0123456789 ") for i in range(3)] == \
        ["Detect damage", "Fill", "Colorize"]
    assert len(doc.layers) == 3
    fill, colour = doc.layers[1].pixels, doc.layers[2].pixels
    assert fill.shape == (H, W, 3) and doc.layers[1].alpha is None  # the whole gray photo
    assert (fill[..., 0] == fill[..., 1]).all() and (fill[..., 1] == fill[..., 2]).all()
    assert fill[10:14, 8:40].max() < 200  # the bright scratch is filled from around it
    assert not doc.mask.any()  # the fill used the mask up
    r, g, b = (colour[..., i].astype(int) for i in range(3))
    assert (r > b + 10).mean() > 0.9  # the tint: colour, not gray
    for _ in range(3):
        window.undo_action.trigger()
    assert len(doc.layers) == 1 and not doc.mask.any()
    np.testing.assert_array_equal(doc.composite(), original)


def test_restore_without_colorize_stops_after_the_fill(window, qtbot):
    panel = window.restore_panel
    qtbot.mouseClick(panel.colorize_check, Qt.LeftButton)
    assert not panel.colorize_check.isChecked()
    qtbot.mouseClick(panel.restore_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.last_message.startswith("Restored"), timeout=20000)
    assert window.undo_stack.count() == 2 and len(window.doc.layers) == 2


def test_step_by_step_buttons(window, qtbot):
    doc, panel = window.doc, window.restore_panel
    qtbot.mouseClick(panel.fill_button, Qt.LeftButton)  # nothing marked yet
    assert panel.last_message.startswith("No damage marked")
    with qtbot.waitSignal(window.jobs.ended, timeout=10000):
        qtbot.mouseClick(panel.detect_button, Qt.LeftButton)
    np.testing.assert_array_equal(doc.mask, expected(0.5))
    with qtbot.waitSignal(window.jobs.ended, timeout=10000) as blocker:
        qtbot.mouseClick(panel.fill_button, Qt.LeftButton)
    assert blocker.args[1] and len(doc.layers) == 2 and doc.layers[1].name.startswith("Fill")
    with qtbot.waitSignal(window.jobs.ended, timeout=10000) as blocker:
        qtbot.mouseClick(panel.colorize_button, Qt.LeftButton)
    assert blocker.args[1] and len(doc.layers) == 3
    assert window.undo_stack.count() == 3


def test_cancel_stops_the_restore_and_changes_nothing(window, qtbot):
    window.jobs.choice.detector = "test-gated-detector"
    doc, panel = window.doc, window.restore_panel
    before = doc.mask.copy()
    qtbot.mouseClick(panel.restore_button, Qt.LeftButton)
    assert window.jobs.is_busy()
    assert panel.cancel_button.isEnabled() and not panel.restore_button.isEnabled()
    with qtbot.waitSignal(window.jobs.ended, timeout=10000) as blocker:
        qtbot.mouseClick(panel.cancel_button, Qt.LeftButton)
    assert blocker.args[1] is False
    assert not window.jobs.is_busy()
    assert window.undo_stack.count() == 0 and len(doc.layers) == 1
    np.testing.assert_array_equal(doc.mask, before)
    assert panel.restore_button.isEnabled() and not panel.cancel_button.isEnabled()
    # Esc (the window's Cancel action) stops a Mask > Detect damage the same way.
    window.detect_action.trigger()
    assert window.cancel_action.isEnabled()
    with qtbot.waitSignal(window.jobs.ended, timeout=10000) as blocker:
        window.cancel_action.trigger()
    assert blocker.args[1] is False and window.undo_stack.count() == 0
