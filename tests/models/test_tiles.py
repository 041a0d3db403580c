"""Fills larger than one model call: tiles, progress, cancel between calls, no seams."""

from __future__ import annotations

import numpy as np
import pytest

import models
from models import hd
from models.engine import (
    MIN_KNOWN_FRACTION,
    Cancelled,
    CancelToken,
    Inpainter,
    InpaintOptions,
    NoContext,
)

INPAINTERS = [info.name for info in models.inpainters()]


class Counting(Inpainter):
    """Fills the hole with the mean of the window's known pixels; records every call."""

    name = "counting"
    pad_multiple = 8

    def __init__(self, tile_size, tile_margin=None):
        super().__init__()
        self.tile_size, self.tile_margin = tile_size, tile_margin
        self.calls = []

    def _predict(self, image, hole):
        assert max(image.shape[:2]) <= self.tile_size
        known = hole == 0
        assert known.any(), "a tile was given no context at all"
        self.calls.append(image.shape[:2])
        out = image.copy()
        out[~known] = image[known].mean(axis=0).round().astype(np.uint8)
        return out


def big_hole(h, w):
    mask = np.zeros((h, w), np.uint8)
    mask[h // 6:h - h // 6, w // 6:w - w // 6] = 255
    return mask


def test_original_strategy_is_filled_tile_by_tile_with_progress():
    h, w = 300, 400
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = big_hole(h, w)
    engine = Counting(tile_size=64, tile_margin=8)
    seen = []
    out = engine.inpaint(image, mask, InpaintOptions(hd_strategy="original"),
                         progress=lambda f, m: seen.append(f))
    cores = hd.tile_cores(hd.mask_bbox(mask), 64 - 16)
    assert len(engine.calls) == 1 + len(cores)  # a coarse fill, then every core of the hole
    fractions = [f for f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(set(fractions)) > 10  # the bar moves, tile by tile
    keep = mask == 0
    np.testing.assert_array_equal(out[keep], image[keep])
    assert not np.array_equal(out[~keep], image[~keep])


def test_a_coarse_fill_comes_first_and_every_tile_has_context():
    # Counting asserts that every call has known pixels: a core deep inside a hole larger
    # than a window gets its context from the coarse fill of the whole input.
    engine = Counting(tile_size=32, tile_margin=4)
    image = np.full((200, 200, 3), 90, np.uint8)
    out = engine.inpaint(image, big_hole(200, 200), InpaintOptions(hd_strategy="original"))
    assert engine.calls[0] == (32, 32)  # the whole 200 x 200 input shrunk to one call
    assert (out == 90).all()


def test_without_a_guide_a_core_deep_in_the_hole_waits_for_context():
    engine = Counting(tile_size=32, tile_margin=4)
    engine.tile_guide = False
    image = np.full((200, 200, 3), 90, np.uint8)
    out = engine.inpaint(image, big_hole(200, 200), InpaintOptions(hd_strategy="original"))
    assert len(engine.calls) == len(hd.tile_cores(hd.mask_bbox(big_hole(200, 200)), 24))
    assert (out == 90).all()


def test_tiles_leave_no_seams():
    # A smooth ramp with a large hole: the tiled fill continues it across tile borders as the
    # untiled fill does (each tile starts from the pixels of the tiles filled before it).
    h, w = 240, 320
    ramp = np.linspace(0, 255, w)[None, :, None].repeat(h, 0).repeat(3, 2)
    image = np.clip(ramp + np.linspace(0, 60, h)[:, None, None], 0, 255).astype(np.uint8)
    mask = big_hole(h, w)
    telea = models.get_inpainter("telea")
    whole = telea.inpaint(image, mask, InpaintOptions(hd_strategy="original"))
    telea.tile_size, telea.tile_margin = 64, 16
    tiled = telea.inpaint(image, mask, InpaintOptions(hd_strategy="original"))

    hole = mask > 0
    err_whole = np.abs(whole.astype(int) - image)[hole].mean()
    err_tiled = np.abs(tiled.astype(int) - image)[hole].mean()
    assert err_tiled <= err_whole + 2.0
    # No step at the core borders: the largest jump between neighbouring hole pixels is no
    # larger than in the untiled fill (plus a little).
    def max_jump(out):
        dx = np.abs(np.diff(out.astype(int), axis=1)).max(axis=2)[:, :-1][hole[:, 1:-1]]
        dy = np.abs(np.diff(out.astype(int), axis=0)).max(axis=2)[:-1][hole[1:-1]]
        return max(dx.max(), dy.max())
    assert max_jump(tiled) <= max_jump(whole) + 4


@pytest.mark.parametrize("name", INPAINTERS)
@pytest.mark.parametrize("strategy", ["original", "crop"])
def test_every_engine_honours_cancel_between_tiles(name, strategy):
    engine = models.get_inpainter(name, device="cpu")
    engine.tile_size, engine.tile_margin, engine.working_size = 32, 8, None
    calls = []
    predict = engine._predict
    token = CancelToken()

    def counted(image, hole):
        calls.append(image.shape)
        if len(calls) == 2:
            token.cancel()
        return predict(image, hole)

    engine._predict = counted
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (160, 200, 3), dtype=np.uint8)
    with pytest.raises(Cancelled):
        engine.inpaint(image, big_hole(160, 200), InpaintOptions(hd_strategy=strategy),
                       cancel=token)
    assert len(calls) == 2  # stopped right after the call during which cancel came


def test_mask_leaving_no_known_pixels_is_refused():
    image = np.zeros((50, 80, 3), np.uint8)
    engine = Counting(tile_size=64)
    full = np.full((50, 80), 255, np.uint8)
    with pytest.raises(NoContext, match="covers all of the image"):
        engine.inpaint(image, full)
    almost = full.copy()
    almost[0, :30] = 0  # 30 of 4000 pixels known: under 1%
    assert 30 < MIN_KNOWN_FRACTION * almost.size
    with pytest.raises(ValueError, match="at least 1% must stay unmasked"):
        engine.inpaint(image, almost, InpaintOptions(hd_strategy="original"))
    assert engine.calls == []
    enough = full.copy()
    enough[:, :2] = 0  # 100 known pixels, 2.5%
    engine.inpaint(image, enough, InpaintOptions(hd_strategy="original"))


@pytest.mark.parametrize("name", INPAINTERS)
def test_every_engine_refuses_a_full_mask(name):
    engine = models.get_inpainter(name, device="cpu")
    with pytest.raises(NoContext):
        engine.inpaint(np.zeros((40, 40, 3), np.uint8), np.full((40, 40), 255, np.uint8))
