"""Seeded hole masks for inpainting training and evaluation.

Three families, as users make them:

- ``strokes``: free-form brush strokes (a thick poly-line random walk with round joints), the
  way people paint over an object with a brush;
- ``blobs``: object-shaped regions (a smooth star-shaped outline from a few random Fourier
  harmonics, sometimes two or three of them, slightly grown as a user's lasso would be);
- ``scratches``: thin, long, gently curved lines, like damage on an old print.

Every generator takes the mask size and a ``numpy.random.Generator`` and returns a uint8
H x W mask with 255 = fill. Sizes scale with the shorter side, so the same call makes the same
kind of mask at any resolution. Each family keeps its coverage (the fraction of 255 pixels)
inside ``COVERAGE[kind]``: a generator retries until it does, and a last attempt is trimmed or
grown into range, so callers can rely on the bounds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

KINDS = ("strokes", "blobs", "scratches")

# Coverage range (fraction of pixels to fill) that each family promises.
COVERAGE: dict[str, tuple[float, float]] = {
    "strokes": (0.04, 0.40),
    "blobs": (0.04, 0.40),
    "scratches": (0.004, 0.08),
}

# Mix used for training when no kind is asked for.
DEFAULT_MIX: dict[str, float] = {"strokes": 0.4, "blobs": 0.4, "scratches": 0.2}

_TRIES = 12


def _draw_strokes(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    side = min(h, w)
    for _ in range(int(rng.integers(1, 5))):
        width = max(2, int(side * rng.uniform(0.03, 0.10)))
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        angle = rng.uniform(0, 2 * math.pi)
        points = [(x, y)]
        for _ in range(int(rng.integers(2, 8))):
            angle += rng.normal(0, 0.9)
            length = side * rng.uniform(0.06, 0.28)
            x = float(np.clip(x + length * math.cos(angle), 0, w - 1))
            y = float(np.clip(y + length * math.sin(angle), 0, h - 1))
            points.append((x, y))
        pts = np.round(np.array(points)).astype(np.int32)
        cv2.polylines(mask, [pts], False, 255, width, lineType=cv2.LINE_8)
        for px, py in pts:
            cv2.circle(mask, (int(px), int(py)), width // 2, 255, -1)
    return mask


def _blob_outline(cx: float, cy: float, radius: float, rng: np.random.Generator) -> np.ndarray:
    n = 64
    theta = np.linspace(0, 2 * math.pi, n, endpoint=False)
    r = np.ones(n)
    for k in range(1, 6):
        r += rng.uniform(0, 0.35 / k) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    r = np.clip(r, 0.35, None) * radius
    # An anisotropic stretch and rotation: objects are rarely round.
    stretch = rng.uniform(0.55, 1.0)
    rot = rng.uniform(0, 2 * math.pi)
    xs, ys = r * np.cos(theta), r * np.sin(theta) * stretch
    xr = xs * math.cos(rot) - ys * math.sin(rot) + cx
    yr = xs * math.sin(rot) + ys * math.cos(rot) + cy
    return np.round(np.stack([xr, yr], axis=1)).astype(np.int32)


def _draw_blobs(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    side = min(h, w)
    for _ in range(int(rng.choice([1, 1, 1, 2, 2, 3]))):
        radius = side * rng.uniform(0.08, 0.28)
        cx, cy = rng.uniform(0.1 * w, 0.9 * w), rng.uniform(0.1 * h, 0.9 * h)
        cv2.fillPoly(mask, [_blob_outline(cx, cy, radius, rng)], 255)
    grow = int(side * rng.uniform(0.0, 0.02))
    if grow > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        mask = cv2.dilate(mask, kernel)
    return mask


def _draw_scratches(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    side = min(h, w)
    t = np.linspace(0.0, 1.0, 48)[:, None]
    for _ in range(int(rng.integers(1, 7))):
        width = int(rng.choice([1, 1, 2, 2, 3, 4])) * max(1, side // 384)
        p0 = rng.uniform([0, 0], [w, h])
        angle = rng.uniform(0, 2 * math.pi)
        length = side * rng.uniform(0.3, 1.2)
        p2 = p0 + length * np.array([math.cos(angle), math.sin(angle)])
        bend = rng.normal(0, 0.12) * length
        normal = np.array([-math.sin(angle), math.cos(angle)])
        p1 = (p0 + p2) / 2 + bend * normal
        curve = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2
        cv2.polylines(mask, [np.round(curve).astype(np.int32)], False, 255, width)
    return mask


_DRAW: dict[str, Callable[[int, int, np.random.Generator], np.ndarray]] = {
    "strokes": _draw_strokes,
    "blobs": _draw_blobs,
    "scratches": _draw_scratches,
}


def coverage(mask: np.ndarray) -> float:
    """Fraction of pixels marked for filling."""
    return float(np.count_nonzero(mask)) / mask.size


def _force_range(mask: np.ndarray, lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    """Grow (dilate) or trim (keep a random window of) a mask until its coverage is in range."""
    mask = mask.copy()
    h, w = mask.shape
    for _ in range(64):
        c = coverage(mask)
        if c < lo:
            if c == 0:
                y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
                mask[y, x] = 255
            mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
        elif c > hi:
            # Erase a random band; repeated until in range.
            if rng.random() < 0.5:
                y = int(rng.integers(0, h))
                mask[y : y + max(1, h // 16)] = 0
            else:
                x = int(rng.integers(0, w))
                mask[:, x : x + max(1, w // 16)] = 0
        else:
            return mask
    # Pathological tiny shapes: fall back to a centred square of the lower bound's area.
    mask[:] = 0
    side = max(1, int(math.ceil(math.sqrt(lo * h * w))))
    y0, x0 = max(0, (h - side) // 2), max(0, (w - side) // 2)
    mask[y0 : y0 + side, x0 : x0 + side] = 255
    return mask


def make_mask(
    kind: str, h: int, w: int, rng: np.random.Generator
) -> np.ndarray:
    """One mask of the given family; coverage within ``COVERAGE[kind]``."""
    if kind not in _DRAW:
        raise ValueError(f"unknown mask kind {kind!r}; expected one of {KINDS}")
    lo, hi = COVERAGE[kind]
    draw = _DRAW[kind]
    mask = draw(h, w, rng)
    for _ in range(_TRIES - 1):
        if lo <= coverage(mask) <= hi:
            return mask
        mask = draw(h, w, rng)
    return _force_range(mask, lo, hi, rng)


def mix_problem(mix) -> str | None:
    """Why ``mix`` is no usable {kind: share} for :func:`random_mask` (None: it is, or absent)."""
    if mix is None:
        return None
    kinds = ", ".join(KINDS)
    if not isinstance(mix, dict) or not mix:
        return f"{mix!r}: expected a JSON object of shares of {kinds}"
    unknown = sorted(set(mix) - set(KINDS))
    if unknown:
        return f"unknown hole kind {unknown[0]!r}; choose from {kinds}"
    shares = list(mix.values())
    if not all(isinstance(v, (int, float)) and v >= 0 for v in shares) or not sum(shares) > 0:
        return "shares must be numbers >= 0, at least one above 0"
    return None


def random_mask(
    h: int, w: int, rng: np.random.Generator, mix: dict[str, float] | None = None
) -> np.ndarray:
    """A mask of a family drawn from ``mix`` (default :data:`DEFAULT_MIX`)."""
    mix = mix or DEFAULT_MIX
    kinds = list(mix)
    p = np.array([mix[k] for k in kinds], dtype=np.float64)
    kind = kinds[int(rng.choice(len(kinds), p=p / p.sum()))]
    return make_mask(kind, h, w, rng)


def eval_masks(h: int, w: int, seed: int, kinds: tuple[str, ...] = KINDS) -> dict[str, np.ndarray]:
    """Fixed masks for evaluation: one per kind, reproducible from ``seed``."""
    out = {}
    for i, kind in enumerate(kinds):
        out[kind] = make_mask(kind, h, w, np.random.default_rng([seed, i]))
    return out
