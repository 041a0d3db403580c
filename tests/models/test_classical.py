"""The classical engines: Levin hint propagation and the OpenCV inpainters."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import models
from models import classical_colorize as levin
from models.engine import Cancelled, CancelToken, rgb_to_lab


def ab_of(rgb):
    return rgb_to_lab(np.asarray(rgb, np.uint8).reshape(1, -1, 3))[0, :, 1:]


def test_one_colour_on_a_flat_image_takes_that_colour():
    gray = np.full((48, 64, 3), 140, np.uint8)
    hints = [(10, 10, (200, 120, 60)), (50, 40, (200, 120, 60))]
    out = models.get_colorizer("levin").colorize(gray, hints).image
    ab = rgb_to_lab(out)[:, :, 1:]
    target = ab_of([(200, 120, 60)])[0]
    assert np.abs(ab - target).max() < 3.0


def test_a_strong_edge_keeps_the_colours_apart():
    gray = np.full((48, 64, 3), 60, np.uint8)
    gray[:, 32:] = 190
    red, blue = (220, 40, 40), (40, 60, 220)
    out = models.get_colorizer("levin").colorize(gray, [(8, 24, red), (56, 24, blue)]).image
    ab = rgb_to_lab(out)[:, :, 1:]
    left, right = ab[:, :26].reshape(-1, 2), ab[:, 38:].reshape(-1, 2)
    red_ab, blue_ab = ab_of([red, blue])

    def cosine(u, v):
        return float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))

    # Each side keeps the hue of its own hint (its chroma may shrink to fit the gamut).
    assert cosine(left.mean(0), red_ab) > 0.98 and cosine(left.mean(0), blue_ab) < 0.3
    assert cosine(right.mean(0), blue_ab) > 0.98 and cosine(right.mean(0), red_ab) < 0.3
    assert np.linalg.norm(left.std(0)) < 2 and np.linalg.norm(right.std(0)) < 2
    assert (out[:, :26, 0] > out[:, :26, 2]).all()  # red side stays red
    assert (out[:, 38:, 2] > out[:, 38:, 0]).all()  # blue side stays blue


def test_solver_matches_a_direct_solve():
    rng = np.random.default_rng(1)
    luma = cv2.GaussianBlur(rng.random((9, 11)).astype(np.float32), (0, 0), 1.0)
    fixed = np.zeros((9, 11), bool)
    fixed[1, 2] = fixed[7, 9] = True
    values = np.zeros((9, 11, 2), np.float32)
    values[1, 2] = (30, -10)
    values[7, 9] = (-20, 40)
    x = levin.solve(luma, fixed, values, np.zeros_like(values), 1e-7, 2000)
    # Dense Laplacian from the same affinities; solve the free rows directly.
    h, w = luma.shape
    n = h * w
    lap = np.zeros((n, n))
    for (dy, dx), wt in zip(levin.DIRECTIONS, levin.affinities(luma), strict=True):
        (rp, cp), (rq, cq) = levin._pair_slices((dy, dx), h, w)
        ys, xs = np.mgrid[rp, cp]
        for y, xx, val in zip(ys.ravel(), xs.ravel(), wt.ravel(), strict=True):
            p, q = y * w + xx, (y + dy) * w + xx + dx
            lap[p, q] -= val
            lap[q, p] -= val
            lap[p, p] += val
            lap[q, q] += val
    free = ~fixed.ravel()
    known = values.reshape(n, 2)
    expect = known.copy()
    expect[free] = np.linalg.solve(lap[np.ix_(free, free)],
                                   -lap[np.ix_(free, ~free)] @ known[~free])
    np.testing.assert_allclose(x.reshape(n, 2), expect, atol=1e-2)


def test_levin_is_cancellable():
    token = CancelToken()
    token.cancel()
    gray = np.full((48, 64, 3), 100, np.uint8)
    with pytest.raises(Cancelled):
        models.get_colorizer("levin").colorize(gray, [(1, 1, (255, 0, 0))], cancel=token)


def test_inpainters_continue_a_flat_colour():
    image = np.full((48, 64, 3), (90, 140, 200), np.uint8)
    mask = np.zeros((48, 64), np.uint8)
    cv2.circle(mask, (30, 24), 8, 255, -1)
    damaged = image.copy()
    damaged[mask > 0] = (255, 0, 255)
    for name in ("navier-stokes", "fsr", "telea"):
        out = models.get_inpainter(name).inpaint(damaged, mask)
        assert np.abs(out.astype(int) - image).max() <= 3, name


def test_fsr_has_no_border_artefacts():
    # A scratch along the image's bottom edge: FSR without the mirrored margin streaks there.
    rng = np.random.default_rng(2)
    image = cv2.GaussianBlur(rng.integers(60, 200, (48, 64, 3), dtype=np.uint8), (0, 0), 3)
    mask = np.zeros((48, 64), np.uint8)
    mask[46:, 5:60] = 255
    out = models.get_inpainter("fsr").inpaint(image, mask)
    assert np.abs(out.astype(int) - image).max() < 40


def test_paint_hints_holds_a_square_of_the_hint_patch_size():
    from models.engine import ChromaHint

    luma = np.full((40, 50), 0.5, np.float32)
    default, _ = levin.paint_hints(luma, [ChromaHint(20, 20, 10, 10)], 1.0, 1.0)
    small, _ = levin.paint_hints(luma, [ChromaHint(20, 20, 10, 10, 1)], 1.0, 1.0)
    big, values = levin.paint_hints(luma, [ChromaHint(20, 20, 10, 10, 9)], 1.0, 1.0)
    half, _ = levin.paint_hints(luma, [ChromaHint(20, 20, 10, 10, 9)], 0.5, 0.5)
    assert small.sum() == 1 and big.sum() == 81 and half.sum() == 16  # 4.5 -> 4 at half
    ys, xs = np.nonzero(big)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (16, 24, 16, 24)
    assert (values[big] == (10, 10)).all()
    assert default.sum() == 1  # no size: the disc of before, radius 1 % of the long side
    wide, _ = levin.paint_hints(np.full((300, 300), 0.5, np.float32),
                                [ChromaHint(100, 100, 10, 10)], 1.0, 1.0)
    assert wide.sum() == 29  # the lattice points of a disc of radius 3
    # Only pixels of about the centre's lightness are held, as for the disc.
    luma[:, 22:] = 0.9
    edge, _ = levin.paint_hints(luma, [ChromaHint(20, 20, 10, 10, 9)], 1.0, 1.0)
    assert edge.sum() == 9 * 6


def test_a_larger_patch_holds_the_colour_further_out():
    gray = np.tile(np.linspace(80, 180, 64, dtype=np.uint8), (48, 1))
    gray = np.dstack([gray] * 3)
    red, blue = (220, 40, 40), (40, 60, 220)

    def at(size):
        out = models.get_colorizer("levin").colorize(
            gray, [(12, 24, red, size), (52, 24, blue, size)]).image
        return out[24, 20].astype(int)

    small, big = at(1), at(20)
    assert big[0] - big[2] > small[0] - small[2]  # x = 20 lies inside the big red patch
