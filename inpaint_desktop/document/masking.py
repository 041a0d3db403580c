"""Mask painting and mask operations (255 = fill this pixel, 0 = keep).

Painting functions work in place on a mask region and return the touched bbox,
so a live stroke costs only the pixels under the brush. Whole-mask operations
return a PixelEdit that stores just the tiles they changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .document import Document
from .edits import PixelEdit
from .geometry import BBox, clip, slices
from .patch import diff_tiles

ADD, SUBTRACT, REPLACE, INTERSECT = "add", "subtract", "replace", "intersect"


def segment_bbox(p0, p1, radius: float, width: int, height: int) -> BBox | None:
    r = int(np.ceil(radius)) + 1
    box = (int(np.floor(min(p0[0], p1[0]))) - r, int(np.floor(min(p0[1], p1[1]))) - r,
           int(np.ceil(max(p0[0], p1[0]))) + r + 1, int(np.ceil(max(p0[1], p1[1]))) + r + 1)
    return clip(box, width, height)


def brush_coverage(p0, p1, radius: float, hardness: float, box: BBox) -> np.ndarray:
    """Coverage in [0, 1] (float32, box-sized) of a round brush swept from p0 to p1.

    Inside radius * hardness it is 1; it falls smoothly to 0 at the radius. Pixel
    centres are at +0.5. The sweep is exact (distance to the segment), so a fast
    stroke leaves no beads and no gaps.
    """
    x0, y0, x1, y1 = box
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    ax, ay = np.float32(p0[0]), np.float32(p0[1])
    dx, dy = np.float32(p1[0] - p0[0]), np.float32(p1[1] - p0[1])
    length2 = dx * dx + dy * dy
    if length2 > 0:
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / length2, 0, 1)
        ex, ey = xs - (ax + t * dx), ys - (ay + t * dy)
    else:
        ex, ey = xs - ax, ys - ay
    dist = np.sqrt(ex * ex + ey * ey)
    radius = max(float(radius), 0.5)
    inner = radius * float(np.clip(hardness, 0.0, 1.0))
    if radius - inner < 1.0:  # hard brush: a one-pixel antialiased edge
        inner = radius - 1.0
    t = np.clip((radius - dist) / np.float32(radius - inner), 0, 1)
    return t * t * (3 - 2 * t)  # smoothstep


def paint_segment(mask: np.ndarray, p0, p1, radius: float, hardness: float = 1.0,
                  mode: str = ADD, strength: float = 1.0) -> BBox | None:
    """Paint (ADD) or erase (SUBTRACT) one brush segment into `mask`; returns the bbox."""
    h, w = mask.shape
    box = segment_bbox(p0, p1, radius, w, h)
    if box is None:
        return None
    cov = brush_coverage(p0, p1, radius, hardness, box)
    value = np.rint(cov * (255.0 * strength)).astype(np.uint8)
    region = mask[slices(box)]
    if mode == ADD:
        np.maximum(region, value, out=region)
    elif mode == SUBTRACT:
        np.minimum(region, 255 - value, out=region)
    else:
        raise ValueError(f"brush mode must be add or subtract, not {mode}")
    return box


def polygon_bbox(points: Sequence[tuple[float, float]], width: int, height: int) -> BBox | None:
    pts = np.asarray(points, np.float64)
    if len(pts) < 3:
        return None
    box = (int(np.floor(pts[:, 0].min())), int(np.floor(pts[:, 1].min())),
           int(np.ceil(pts[:, 0].max())) + 1, int(np.ceil(pts[:, 1].max())) + 1)
    return clip(box, width, height)


def fill_polygon(mask: np.ndarray, points: Sequence[tuple[float, float]], mode: str = REPLACE,
                 antialias: bool = True) -> BBox | None:
    """Apply a closed polygon (lasso, rectangle) to the mask. REPLACE clears the rest of
    the mask; returns the bbox that changed (the whole mask for REPLACE/INTERSECT)."""
    h, w = mask.shape
    if mode in (REPLACE, INTERSECT):
        box: BBox | None = (0, 0, w, h)
    else:
        box = polygon_bbox(points, w, h)
    if box is None or len(points) < 3:
        if mode == REPLACE:
            mask[:] = 0
            return (0, 0, w, h)
        return None
    x0, y0, x1, y1 = box
    shape = np.zeros((y1 - y0, x1 - x0), np.uint8)
    shift = 4  # OpenCV's fixed-point sub-pixel coordinates: 1/16 px
    pts = np.rint((np.asarray(points, np.float64) - (x0, y0) - 0.5) * (1 << shift))
    cv2.fillPoly(shape, [pts.astype(np.int32)], 255,
                 cv2.LINE_AA if antialias else cv2.LINE_8, shift)
    region = mask[slices(box)]
    if mode == ADD:
        np.maximum(region, shape, out=region)
    elif mode == SUBTRACT:
        np.minimum(region, 255 - shape, out=region)
    elif mode == REPLACE:
        region[:] = shape
    elif mode == INTERSECT:
        np.minimum(region, shape, out=region)
    else:
        raise ValueError(f"unknown mask mode {mode}")
    return box


def combine(mask: np.ndarray, selection: np.ndarray, mode: str) -> np.ndarray:
    """A new mask: `selection` (uint8, the mask's size) applied to `mask` with a selection
    mode (REPLACE, ADD, SUBTRACT, INTERSECT), as the shape tools apply their shapes."""
    if selection.shape != mask.shape:
        raise ValueError(f"selection is {selection.shape}, the mask {mask.shape}")
    if mode == REPLACE:
        return selection.astype(np.uint8, copy=True)
    if mode == ADD:
        return np.maximum(mask, selection)
    if mode == SUBTRACT:
        return np.minimum(mask, 255 - selection)
    if mode == INTERSECT:
        return np.minimum(mask, selection)
    raise ValueError(f"unknown mask mode {mode}")


# --- whole-mask operations: each returns a PixelEdit (not yet applied), or None if it
# --- would change nothing ----------------------------------------------------------


def _edit(doc: Document, new: np.ndarray, label: str) -> PixelEdit | None:
    patches = diff_tiles(doc.mask, new)
    return PixelEdit(doc.MASK, patches, label=label) if patches else None


def replace(doc: Document, new: np.ndarray, label: str = "Replace mask") -> PixelEdit | None:
    """The whole mask becomes `new` (H x W uint8, the document's size): an imported mask."""
    if new.shape != doc.mask.shape or new.dtype != np.uint8:
        raise ValueError(f"the mask must be {doc.width} x {doc.height} uint8, got "
                         f"{new.shape} {new.dtype}")
    return _edit(doc, new, label)


def clear(doc: Document) -> PixelEdit | None:
    return _edit(doc, np.zeros_like(doc.mask), "Clear mask")


def select_all(doc: Document) -> PixelEdit | None:
    return _edit(doc, np.full_like(doc.mask, 255), "Mask everything")


def invert(doc: Document) -> PixelEdit | None:
    return _edit(doc, 255 - doc.mask, "Invert mask")


def _disk(pixels: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))


def grown(mask: np.ndarray, pixels: int) -> np.ndarray:
    """A new mask grown (pixels > 0) or shrunk (pixels < 0) by a round structuring element."""
    if pixels == 0:
        return mask.copy()
    op = cv2.dilate if pixels > 0 else cv2.erode
    return op(mask, _disk(abs(int(pixels))), borderType=cv2.BORDER_REPLICATE)


def feathered(mask: np.ndarray, radius: float) -> np.ndarray:
    """A new mask with its edge softened by a Gaussian of the given radius (~2 sigma)."""
    if radius <= 0:
        return mask.copy()
    return cv2.GaussianBlur(mask, (0, 0), sigmaX=radius / 2.0, borderType=cv2.BORDER_REPLICATE)


def grow(doc: Document, pixels: int) -> PixelEdit | None:
    """Grow (pixels > 0) or shrink (pixels < 0) the mask by a round structuring element."""
    if pixels == 0:
        return None
    return _edit(doc, grown(doc.mask, pixels),
                 f"{'Grow' if pixels > 0 else 'Shrink'} mask by {abs(pixels)} px")


def feather(doc: Document, radius: float) -> PixelEdit | None:
    """Soften the mask edge with a Gaussian of the given radius (~2 sigma)."""
    if radius <= 0:
        return None
    return _edit(doc, feathered(doc.mask, radius), f"Feather mask by {radius:g} px")
