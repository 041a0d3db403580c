"""Mask generators shared by the benchmarks: object blobs, brush strokes, thin scratches.

Every mask is uint8 H x W, 255 = fill. The same (kind, size, name, seed) always gives the same
mask, on any machine (numpy's PCG64 generator seeded from a CRC of the image name, never
Python's salted `hash`).
"""

from __future__ import annotations

import zlib

import cv2
import numpy as np

SEED = 2024
KINDS = ("object", "strokes", "scratches")


def rng_for(kind: str, name: str, seed: int = SEED) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode()), KINDS.index(kind)])


def object_blob(height: int, width: int, rng: np.random.Generator,
                size: float | None = None) -> np.ndarray:
    """One object-shaped blob: a cluster of ellipses, smoothed into an organic outline.

    `size` is the blob's extent as a fraction of the short side (default 0.25..0.4), the way
    a person, a bin or a sign takes part of a photo.
    """
    short = min(height, width)
    extent = (size if size is not None else rng.uniform(0.25, 0.4)) * short
    cx = rng.uniform(extent / 2, width - extent / 2)
    cy = rng.uniform(extent / 2, height - extent / 2)
    mask = np.zeros((height, width), np.uint8)
    for _ in range(int(rng.integers(3, 7))):
        ox, oy = rng.normal(0, extent / 6, 2)
        ax = rng.uniform(0.15, 0.35) * extent
        ay = rng.uniform(0.15, 0.35) * extent
        angle = rng.uniform(0, 180)
        cv2.ellipse(mask, (int(cx + ox), int(cy + oy)), (int(ax), int(ay)), angle, 0, 360,
                    255, -1)
    sigma = max(1.0, extent / 20)
    soft = cv2.GaussianBlur(mask, (0, 0), sigma)
    return np.where(soft > 127, 255, 0).astype(np.uint8)


def brush_strokes(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """2-4 free-hand strokes: random-walk polylines 2-4 % of the short side thick."""
    short = min(height, width)
    mask = np.zeros((height, width), np.uint8)
    for _ in range(int(rng.integers(2, 5))):
        thickness = max(2, int(rng.uniform(0.02, 0.04) * short))
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        angle = rng.uniform(0, 2 * np.pi)
        points = [(x, y)]
        for _ in range(int(rng.integers(4, 9))):
            angle += rng.normal(0, 0.8)
            step = rng.uniform(0.05, 0.15) * short
            x = float(np.clip(x + step * np.cos(angle), 0, width - 1))
            y = float(np.clip(y + step * np.sin(angle), 0, height - 1))
            points.append((x, y))
        pts = np.round(np.array(points)).astype(np.int32)
        cv2.polylines(mask, [pts], False, 255, thickness, lineType=cv2.LINE_8)
        for px, py in pts:
            cv2.circle(mask, (int(px), int(py)), thickness // 2, 255, -1)
    return mask


def thin_scratches(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """5-12 long thin curves, 1-3 px wide, like the scratches and cracks of an old print."""
    mask = np.zeros((height, width), np.uint8)
    diag = float(np.hypot(height, width))
    for _ in range(int(rng.integers(5, 13))):
        length = rng.uniform(0.3, 0.8) * diag
        x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
        angle = rng.uniform(0, 2 * np.pi)
        bend = rng.normal(0, 0.15) * length
        x2, y2 = x0 + length * np.cos(angle), y0 + length * np.sin(angle)
        mx, my = (x0 + x2) / 2 - bend * np.sin(angle), (y0 + y2) / 2 + bend * np.cos(angle)
        t = np.linspace(0, 1, 64)[:, None]
        curve = ((1 - t) ** 2 * [x0, y0] + 2 * (1 - t) * t * [mx, my] + t ** 2 * [x2, y2])
        pts = np.round(curve).astype(np.int32)
        cv2.polylines(mask, [pts], False, 255, int(rng.integers(1, 4)), lineType=cv2.LINE_8)
    return mask


GENERATORS = {"object": object_blob, "strokes": brush_strokes, "scratches": thin_scratches}


def make_mask(kind: str, height: int, width: int, name: str, seed: int = SEED) -> np.ndarray:
    """The benchmark mask of `kind` for the image called `name` (deterministic)."""
    return GENERATORS[kind](height, width, rng_for(kind, name, seed))
