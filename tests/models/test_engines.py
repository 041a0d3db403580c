"""The engine interface over every registered engine: pixels outside the mask never change."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

import models
from models import engine as eng
from models.compositing import composite
from models.engine import (
    CancelToken,
    ColorizeResult,
    InpaintOptions,
    NothingToDo,
    UnknownModel,
)

H, W = 48, 64


def random_image(seed: int = 0, h: int = H, w: int = W) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
    smooth = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(-10, 11, (h, w, 3))
    return np.clip(smooth.astype(int) + noise, 0, 255).astype(np.uint8)


def blob_mask(seed: int = 0, h: int = H, w: int = W) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    for _ in range(3):
        cx, cy = int(rng.integers(8, w - 8)), int(rng.integers(8, h - 8))
        cv2.ellipse(mask, (cx, cy), (int(rng.integers(3, 8)), int(rng.integers(3, 8))),
                    float(rng.uniform(0, 180)), 0, 360, 255, -1)
    return mask


def soft_mask(h: int = H, w: int = W) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (w // 2, h // 2), 9, 255, -1)
    return cv2.GaussianBlur(mask, (0, 0), 2.5)  # feathered edge: values 1..254


INPAINTERS = [info.name for info in models.inpainters()]
COLORIZERS = [info.name for info in models.colorizers()]


def test_classical_engines_are_registered():
    assert {"telea", "navier-stokes", "fsr"} <= set(INPAINTERS)
    assert "levin" in COLORIZERS
    assert models.default_inpainter() in INPAINTERS
    assert models.default_colorizer() in COLORIZERS
    assert INPAINTERS[0] == models.default_inpainter()  # the list starts with the default


@pytest.mark.parametrize("name", INPAINTERS)
@pytest.mark.parametrize("mask_kind", ["blob", "soft"])
@pytest.mark.parametrize("strategy", ["crop", "resize", "original"])
def test_inpainter_keeps_pixels_outside_the_mask(name, mask_kind, strategy):
    image = random_image(1)
    mask = blob_mask(2) if mask_kind == "blob" else soft_mask()
    before = image.copy()
    engine = models.get_inpainter(name, device="cpu")
    options = InpaintOptions(hd_strategy=strategy, crop_margin=8, resize_limit=40)
    out = engine.inpaint(image, mask, options)
    assert out.shape == image.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(image, before)  # the input is not modified
    keep = mask == 0
    np.testing.assert_array_equal(out[keep], image[keep])
    hole = mask > 127
    assert np.any(out[hole] != image[hole])


@pytest.mark.parametrize("name", INPAINTERS)
def test_inpainter_input_checks(name):
    engine = models.get_inpainter(name, device="cpu")
    image = random_image()
    with pytest.raises(ValueError, match="mask is 32x48 but the image is 64x48"):
        engine.inpaint(image, np.zeros((48, 32), np.uint8))
    with pytest.raises(ValueError, match="H x W x 3 uint8"):
        engine.inpaint(image.astype(np.float32), blob_mask())
    with pytest.raises(ValueError, match="H x W uint8"):
        engine.inpaint(image, blob_mask().astype(bool))
    with pytest.raises(NothingToDo, match="nothing to erase"):
        engine.inpaint(image, np.zeros((H, W), np.uint8))


def test_faint_mask_is_still_a_hole():
    image = random_image(3)
    mask = np.zeros((H, W), np.uint8)
    mask[10:20, 10:30] = 100  # nothing above 127: every non-zero pixel is the hole
    out = models.get_inpainter("telea").inpaint(image, mask)
    np.testing.assert_array_equal(out[mask == 0], image[mask == 0])
    assert np.any(out[mask > 0] != image[mask > 0])


@pytest.mark.parametrize("name", COLORIZERS)
def test_colorizer_keeps_luminance(name):
    rng = np.random.default_rng(4)
    gray = cv2.cvtColor(random_image(4)[:, :, 0], cv2.COLOR_GRAY2RGB)
    hints = [(float(rng.integers(0, W)), float(rng.integers(0, H)),
              tuple(int(c) for c in rng.integers(0, 256, 3))) for _ in range(4)]
    result = models.get_colorizer(name, device="cpu").colorize(gray, hints)
    assert isinstance(result, ColorizeResult)
    assert result.image.shape == gray.shape and result.image.dtype == np.uint8
    assert eng.NOTE_FROM_LUMINANCE not in result.notes
    lum_in = eng.rgb_to_lab(gray)[:, :, 0]
    lum_out = eng.rgb_to_lab(result.image)[:, :, 0]
    # Rounding to uint8 moves L by about 0.5 at most; out-of-gamut chroma is shrunk, not
    # clipped per channel, so saturated hints do not change the luminance either.
    assert np.abs(lum_out - lum_in).max() < 0.8
    assert eng.is_colour(result.image)


@pytest.mark.parametrize("name", COLORIZERS)
def test_colorizer_input_checks(name):
    colorizer = models.get_colorizer(name, device="cpu")
    gray = np.full((H, W, 3), 128, np.uint8)
    with pytest.raises(ValueError, match="outside the 64x48 image"):
        colorizer.colorize(gray, [(64, 10, (255, 0, 0))])
    with pytest.raises(ValueError, match="outside"):
        colorizer.colorize(gray, [(-0.5, 10, (255, 0, 0))])
    with pytest.raises(ValueError, match="expected"):
        colorizer.colorize(gray, [(1, 2)])
    with pytest.raises(ValueError, match="H x W x 3 uint8"):
        colorizer.colorize(np.zeros((H, W, 4), np.uint8), [])


def test_colour_image_is_colorized_from_its_luminance():
    image = random_image(5)
    result = models.get_colorizer("levin").colorize(image, [(3, 3, (0, 0, 255))])
    assert eng.NOTE_FROM_LUMINANCE in result.notes
    assert result.image.shape == image.shape


def test_no_hints_gives_gray_and_says_so():
    gray = cv2.cvtColor(random_image(6)[:, :, 1], cv2.COLOR_GRAY2RGB)
    result = models.get_colorizer("levin").colorize(gray, [])
    assert eng.NOTE_NO_HINTS in result.notes
    assert np.abs(result.image.astype(int) - gray).max() <= 1
    assert not eng.is_colour(result.image)


def test_gray_2d_input_is_accepted():
    gray = random_image(7)[:, :, 0]
    result = models.get_colorizer("levin").colorize(gray, [(5, 5, (200, 40, 40))])
    assert result.image.shape == (H, W, 3)


def test_lightness_fast_path_matches_cv2():
    gray = cv2.cvtColor(random_image(8)[:, :, 2], cv2.COLOR_GRAY2RGB)
    np.testing.assert_allclose(eng.lightness(gray), eng.rgb_to_lab(gray)[:, :, 0], atol=1e-4)
    colour = random_image(8)
    np.testing.assert_allclose(eng.lightness(colour), eng.rgb_to_lab(colour)[:, :, 0],
                               atol=1e-4)


# --- compositing ----------------------------------------------------------------------------


def test_composite_blends_and_keeps():
    image = np.full((4, 4, 3), 100, np.uint8)
    pred = np.full((4, 4, 3), 200, np.uint8)
    mask = np.array([[0, 255, 128, 1]] * 4, np.uint8)
    out = composite(image, mask, pred)
    assert list(out[0, :, 0]) == [100, 200, 150, 100]
    np.testing.assert_array_equal(image, 100)  # not modified


def test_composite_box_and_exactness():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    mask = rng.integers(0, 256, (20, 30), dtype=np.uint8)
    mask[mask < 60] = 0
    box = (5, 4, 25, 16)
    pred = rng.integers(0, 256, (12, 20, 3), dtype=np.uint8)
    out = composite(image, mask, pred, box)
    inside = np.zeros((20, 30), bool)
    inside[4:16, 5:25] = True
    keep = (mask == 0) | ~inside
    np.testing.assert_array_equal(out[keep], image[keep])
    full = (mask == 255) & inside
    np.testing.assert_array_equal(out[4:16, 5:25][full[4:16, 5:25]],
                                  pred[full[4:16, 5:25]])
    with pytest.raises(ValueError):
        composite(image, mask, pred, (5, 4, 26, 16))


# --- cancel token, registry, devices --------------------------------------------------------


def test_cancel_token_is_thread_safe_flag():
    token = CancelToken()
    assert not token.cancelled
    token.check()
    thread = threading.Thread(target=token.cancel)
    thread.start()
    thread.join()
    assert token.cancelled
    with pytest.raises(eng.Cancelled):
        token.check()


def test_unknown_model_lists_available_names():
    with pytest.raises(UnknownModel) as info:
        models.get_inpainter("no-such-model")
    assert isinstance(info.value, KeyError)
    assert "no-such-model" in str(info.value) and "telea" in str(info.value)
    with pytest.raises(KeyError, match="levin"):
        models.get_colorizer("telea")


def test_register_priority_decides_the_default():
    class Better(eng.Inpainter):
        name = "test-better"
        label = "Better"

        def _predict(self, image, hole):
            return image

    try:
        eng.register(Better, priority=1000)
        assert models.default_inpainter() == "test-better"
        assert isinstance(models.get_inpainter(), Better)
    finally:
        eng.unregister("test-better")
    assert models.default_inpainter() != "test-better"
    with pytest.raises(TypeError):
        eng.register(int)


def test_select_device():
    import torch

    assert eng.select_device("cpu") == "cpu"
    auto = eng.select_device("auto")
    if torch.cuda.is_available():
        assert auto == "cuda"
    else:
        assert auto in ("mps", "cpu")
        with pytest.raises(ValueError, match="cuda"):
            eng.select_device("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        eng.select_device("tpu")


def test_options_are_checked():
    with pytest.raises(ValueError, match="HD strategy"):
        InpaintOptions(hd_strategy="tiles")
    with pytest.raises(ValueError):
        InpaintOptions(crop_margin=-1)


def test_default_falls_back_when_its_weights_do_not_load():
    from models import engine

    class Damaged(engine.Inpainter):
        name = "test-damaged"

        def __init__(self, device="cpu"):
            raise ValueError("damaged.safetensors: checksum does not match the card")

    engine.register(Damaged, priority=1000)
    try:
        assert engine.default_inpainter() == "test-damaged"
        built = engine.get_inpainter()
        assert built.name != "test-damaged"
        assert engine.fallback_problems[-1].startswith("test-damaged: damaged.safetensors")
        with pytest.raises(ValueError):
            engine.get_inpainter("test-damaged")  # asked for by name: the error stands
    finally:
        engine.unregister("test-damaged")


class _RecordingColorizer(eng.Colorizer):
    """Records the ChromaHints its _predict gets (not registered: built directly)."""

    name = "test-recording"
    working_size = 64

    def _predict(self, lightness, hints, cancel, progress):
        self.seen = list(hints)
        return np.zeros(lightness.shape + (2,), np.float32)


def test_hint_patch_size_reaches_predict_at_the_working_scale():
    engine = _RecordingColorizer()
    gray = np.full((96, 128, 3), 120, np.uint8)  # long side 128 -> working 64: scale 0.5
    engine.colorize(gray, [eng.Hint(10, 20, (255, 0, 0), size=12),
                           (30, 40, (0, 255, 0)),  # the old three-field form: no size
                           (50, 60, (0, 0, 255), 1),  # 0.5 working px: one pixel at least
                           eng.Hint(5, 5, (9, 9, 9))])
    assert [h.size for h in engine.seen] == [6.0, None, 1.0, None]
    assert eng.Hint(1, 2, (3, 4, 5)).size is None and eng.ChromaHint(1, 2, 3, 4).size is None
    for bad in ((1, 2, (3, 4, 5), 0), (1, 2, (3, 4, 5), float("nan")),
                (1, 2, (3, 4, 5), "big"), (1, 2, (3, 4, 5), 4, 5)):
        with pytest.raises(ValueError, match="hint 1"):
            engine.colorize(gray, [bad])
