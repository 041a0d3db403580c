"""High-resolution helpers: padding to a model's multiple, mask regions and crop boxes, resizing.

The strategies themselves (crop, resize, original) are run by `Inpainter.inpaint` in
`models/engine.py`; this module holds the pure geometry they are made of, so it can be tested
on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)

CROP, RESIZE, ORIGINAL = "crop", "resize", "original"
HD_STRATEGIES = (CROP, RESIZE, ORIGINAL)

# Mask strokes closer than this (pixels) are one region: a scribble over one object gets
# one crop, not one per stroke.
MERGE_DISTANCE = 16


def pad_to_multiple(array: np.ndarray, multiple: int) -> np.ndarray:
    """Pad the bottom and right of an H x W (x C) array by reflection up to a multiple."""
    if multiple <= 1:
        return array
    h, w = array.shape[:2]
    ph, pw = -h % multiple, -w % multiple
    if ph == 0 and pw == 0:
        return array
    pad = [(0, ph), (0, pw)] + [(0, 0)] * (array.ndim - 2)
    # numpy cannot reflect a single row/column; repeating it is the same thing there.
    mode = "reflect" if h > 1 and w > 1 else "edge"
    return np.pad(array, pad, mode=mode)


def unpad(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Undo `pad_to_multiple`: the top-left `height` x `width` part."""
    return array[:height, :width]


def grow_box(box: Box, margin: int, width: int, height: int) -> Box:
    """`box` grown by `margin` on every side, clipped to the image."""
    x0, y0, x1, y1 = box
    return (max(0, x0 - margin), max(0, y0 - margin), min(width, x1 + margin),
            min(height, y1 + margin))


def boxes_overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def union_box(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def mask_bbox(mask: np.ndarray) -> Box | None:
    """Bounding box of the non-zero pixels of `mask`, or None when it is empty."""
    x, y, w, h = cv2.boundingRect(np.ascontiguousarray(mask, dtype=np.uint8))
    if w == 0 or h == 0:
        return None
    return (x, y, x + w, y + h)


@dataclass
class Region:
    """One part of the mask that is inpainted from one crop.

    `box` is the bounding box of the region (before any context margin); `labels` are the
    connected-component labels (of `MaskRegions.labels`) that belong to it.
    """

    box: Box
    labels: list[int]


@dataclass
class MaskRegions:
    """The regions of a mask. `labels` covers `origin`, the mask's bounding box, only."""

    regions: list[Region]
    labels: np.ndarray  # int32, the size of `origin`
    origin: Box

    def pixels(self, region: Region, box: Box, mask: np.ndarray) -> np.ndarray:
        """Boolean array over `box`: pixels of `mask` (non-zero) that belong to `region`."""
        x0, y0, x1, y1 = box
        ox0, oy0, ox1, oy1 = self.origin
        sel = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        ix0, iy0, ix1, iy1 = max(x0, ox0), max(y0, oy0), min(x1, ox1), min(y1, oy1)
        if ix0 >= ix1 or iy0 >= iy1:
            return sel
        lab = self.labels[iy0 - oy0:iy1 - oy0, ix0 - ox0:ix1 - ox0]
        inside = np.isin(lab, region.labels) if len(region.labels) > 1 else lab == region.labels[0]
        sel[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = inside & (mask[iy0:iy1, ix0:ix1] > 0)
        return sel


def find_regions(mask: np.ndarray, merge_distance: int = MERGE_DISTANCE) -> MaskRegions:
    """Connected regions of the non-zero mask, strokes within `merge_distance` joined.

    The mask is dilated by half the merge distance, its connected components are labelled
    (cv2.connectedComponentsWithStats), and components whose boxes overlap are merged until no
    two boxes overlap. Work is done inside the mask's bounding box only, so a small mask on a
    large photo costs little.
    """
    h, w = mask.shape
    bbox = mask_bbox(mask)
    if bbox is None:
        return MaskRegions([], np.zeros((0, 0), np.int32), (0, 0, 0, 0))
    r = max(0, merge_distance // 2)
    origin = grow_box(bbox, r, w, h)
    ox0, oy0, ox1, oy1 = origin
    binary = (mask[oy0:oy1, ox0:ox1] > 0).astype(np.uint8)
    if r > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        binary = cv2.dilate(binary, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    inside = mask[oy0:oy1, ox0:ox1] > 0
    regions = []
    for label in range(1, count):
        # The box of the mask's own pixels in this component, not of the dilated component.
        x, y, bw, bh = (int(v) for v in stats[label, :4])
        own = (labels[y:y + bh, x:x + bw] == label) & inside[y:y + bh, x:x + bw]
        tx, ty, tw, th = cv2.boundingRect(own.view(np.uint8))
        regions.append(Region((ox0 + x + tx, oy0 + y + ty, ox0 + x + tx + tw,
                               oy0 + y + ty + th), [label]))
    regions = _merge_overlapping(regions)
    regions.sort(key=lambda reg: (reg.box[1], reg.box[0]))
    return MaskRegions(regions, labels, origin)


def _merge_overlapping(regions: list[Region]) -> list[Region]:
    merged = True
    while merged:
        merged = False
        out: list[Region] = []
        for reg in regions:
            for other in out:
                if boxes_overlap(reg.box, other.box):
                    other.box = union_box(other.box, reg.box)
                    other.labels.extend(reg.labels)
                    merged = True
                    break
            else:
                out.append(reg)
        regions = out
    return regions


def crop_boxes(mask: np.ndarray, margin: int,
               merge_distance: int = MERGE_DISTANCE) -> list[Box]:
    """The crop box (region box grown by `margin`, clipped) of every region of `mask`."""
    h, w = mask.shape
    return [grow_box(reg.box, margin, w, h) for reg in find_regions(mask, merge_distance).regions]


def fit_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(width, height) scaled down so the long side is at most `max_side` (never up)."""
    long_side = max(width, height)
    if long_side <= max_side:
        return width, height
    scale = max_side / long_side
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_image(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize an RGB/gray uint8 image: area averaging down, bicubic up."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    shrinking = width * height < w * h
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cv2.resize(image, (width, height), interpolation=interp)


def resize_hole(hole: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a binary hole mask (0/255) so that every pixel touched by the hole stays a hole.

    Down: a low-resolution pixel is a hole if any part of it was. Up: nearest neighbour.
    """
    h, w = hole.shape
    if (w, h) == (width, height):
        return hole
    if width * height < w * h:
        small = cv2.resize(hole, (width, height), interpolation=cv2.INTER_AREA)
        return np.where(small > 0, 255, 0).astype(np.uint8)
    return cv2.resize(hole, (width, height), interpolation=cv2.INTER_NEAREST)


# --------------------------------------------------------------------------------------------
# Shared crops for many small regions (a mask of scattered dots)

# What one model call costs beyond its pixels, as an area in pixels: resizing, padding, the
# framework's per-call overhead. Two regions share a crop when the shared crop costs less than
# two crops (area + this each), so dots close together go in one call and two dots far apart
# do not drag the empty photo between them through the model. Measured with the default net on
# one core: a 64 px pass 8 ms, 1024 px 1.0 s, about 0.8 s per megapixel plus 5 ms a call, so a
# call costs what about 80 x 80 pixels do (96 x 96 with the engine's own per-crop work).
CALL_COST_PIXELS = 96 * 96


# A connected part of a hole is thin when no pixel of it is farther than this from a known
# pixel (a scratch or a line up to about 8 px wide).
THIN_RADIUS = 4.0


def part_radius(hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distance of each hole pixel to the nearest known pixel, the largest such distance in
    the pixel's connected part of the hole), float32 arrays; 0 outside the hole."""
    binary = (np.asarray(hole) > 0).astype(np.uint8)
    if not binary.any():
        zeros = np.zeros(binary.shape, np.float32)
        return zeros, zeros
    dist = cv2.distanceTransform(binary, cv2.DIST_L2, 3)
    count, labels = cv2.connectedComponents(binary, connectivity=8)
    widest = np.zeros(count, np.float32)
    np.maximum.at(widest, labels.ravel(), dist.ravel())
    widest[0] = 0.0  # the known pixels
    return dist, widest[labels]


def thin_parts(hole: np.ndarray, radius: float = THIN_RADIUS) -> np.ndarray:
    """Boolean mask of the hole pixels (of a 0/255 or bool `hole`) that belong to a connected
    part whose widest point is at most `radius` px from a known pixel."""
    _, widest = part_radius(hole)
    return (widest > 0) & (widest <= radius)


def _area(box: Box) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


# A small region needs less context than the user's margin: a dust speck is filled from a few
# pixels around it, and a 128 px margin made each speck's crop 20x its size (300 specks on a
# 12 MP photo: 46 s, most of it the net reading known pixels). Its margin is at most this many
# times its long side, and never below MIN_MARGIN.
SMALL_REGION_CONTEXT = 2
MIN_MARGIN = 32


def region_margin(box: Box, margin: int) -> int:
    """The context margin of a region with bounding box `box` when the user asked for
    `margin`: the same for regions of `margin / SMALL_REGION_CONTEXT` px and larger."""
    side = max(box[2] - box[0], box[3] - box[1])
    return min(margin, max(MIN_MARGIN, SMALL_REGION_CONTEXT * side))


def group_regions(regions: list[Region], margin: int, max_side: int, width: int,
                  height: int, call_cost: int = CALL_COST_PIXELS) -> list[tuple[Region, Box]]:
    """Regions packed greedily into shared crops: a list of (group, crop box).

    Each region's own crop (its box grown by `margin`, clipped) lies inside the crop of its
    group, so every region keeps all of its context. A region joins the group whose crop grows
    least, if the joint crop stays within `max_side` on its long side and costs less than a
    crop of its own (`call_cost` per call plus the area); otherwise it starts a group. A region
    whose own crop is larger than `max_side` stays alone (it is resized as before). The group
    is a Region whose box is the union of its regions' boxes and whose labels are all theirs.
    """
    groups: list[tuple[Region, Box]] = []
    for reg in sorted(regions, key=lambda r: (r.box[1], r.box[0])):
        own = grow_box(reg.box, region_margin(reg.box, margin), width, height)
        best, best_extra = None, _area(own) + call_cost
        if max(own[2] - own[0], own[3] - own[1]) <= max_side:
            for i, (_, crop) in enumerate(groups):
                joint = union_box(crop, own)
                if max(joint[2] - joint[0], joint[3] - joint[1]) > max_side:
                    continue
                extra = _area(joint) - _area(crop)
                if extra < best_extra:
                    best, best_extra = i, extra
        if best is None:
            groups.append((Region(reg.box, list(reg.labels)), own))
        else:
            group, crop = groups[best]
            group.box = union_box(group.box, reg.box)
            group.labels.extend(reg.labels)
            groups[best] = (group, union_box(crop, own))
    return groups


# --------------------------------------------------------------------------------------------
# Tiles for a fill that is too large for one model call


def tile_cores(box: Box, core: int) -> list[Box]:
    """`box` cut into a grid of core x core tiles (the last row and column smaller)."""
    x0, y0, x1, y1 = box
    return [(x, y, min(x + core, x1), min(y + core, y1))
            for y in range(y0, y1, core) for x in range(x0, x1, core)]
