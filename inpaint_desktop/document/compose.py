"""Flattening layers into the picture the user sees (and exports)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .geometry import BBox, intersect, slices, translate
from .layer import Layer

BACKGROUND = 255  # what shows where no layer covers the canvas: white paper


def composite(layers: Iterable[Layer], bbox: BBox) -> np.ndarray:
    """Blend visible layers bottom to top over white, for canvas rectangle `bbox`."""
    x0, y0, x1, y1 = bbox
    out: np.ndarray | None = None
    for layer in layers:
        if not layer.visible or layer.opacity <= 0:
            continue
        inter = intersect(bbox, layer.bbox)
        if inter is None:
            continue
        src = layer.pixels[slices(translate(inter, -layer.x, -layer.y))]
        dst_s = slices(translate(inter, -x0, -y0))
        opaque = layer.alpha is None and layer.opacity >= 1.0
        if out is None:
            if opaque and inter == bbox:
                # Fast path: the usual base layer covering the whole request.
                out = src.copy()
                continue
            out = np.full((y1 - y0, x1 - x0, 3), BACKGROUND, np.uint8)
        if opaque:
            out[dst_s] = src
            continue
        a = np.float32(layer.opacity)
        if layer.alpha is not None:
            a = layer.alpha[slices(translate(inter, -layer.x, -layer.y))].astype(np.float32)
            a = (a * np.float32(layer.opacity / 255.0))[..., None]
        dst = out[dst_s].astype(np.float32)
        out[dst_s] = np.rint(dst + (src.astype(np.float32) - dst) * a).astype(np.uint8)
    if out is None:
        out = np.full((y1 - y0, x1 - x0, 3), BACKGROUND, np.uint8)
    return out
