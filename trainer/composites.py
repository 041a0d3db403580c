"""Object composites with exact masks: the test pictures of object selection (and the training
pairs of a future learned selector).

Photos whose object stands on a plain background (a fish on black, coins on a dark cloth, a
flower against a blurred backdrop) give clean cut-outs; pasted onto other photos they make
pictures whose object mask is known exactly, because the paste made it.

1. :func:`find_cutouts` takes one photo. Its border strip (``BORDER`` of the shorter side) is
   the background sample (5 k-means colours, so a ground that shades from dark to light is
   still one ground; a border of many colours means no plain ground, and no cut-outs): GrabCut
   starts from it as sure background, with the pixels close to its colours as probable
   background and the rest as probable foreground. Each
   connected part of the result is a candidate, kept only if it passes every check of
   :func:`reject_reason` (well inside the frame, a sensible size, a ring around it that looks
   like the background, an edge of clear contrast, the same part when GrabCut starts from a
   stricter threshold). Busy photos give no cut-outs at all: that is the point.
2. :func:`paste` puts a cut-out at a random place and scale (and maybe mirrored) onto another
   photo, with a slightly feathered edge (no jagged seam for a selector to key on); the mask
   is the pasted alpha above one half, so it is exact for what the picture shows.
3. :func:`composites` does both for a folder with a fixed seed: every composite's background
   comes from another photo than its object.

Everything is seeded by the caller (a ``numpy.random.Generator`` or a seed), so a benchmark
sees the same pictures in every run. Images are uint8 RGB, masks uint8 with 255 = object.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

BORDER = 1 / 50  # width of the background sample strip, of the shorter side (at least 3 px)
MIN_AREA, MAX_AREA = 0.012, 0.4  # a cut-out's share of its photo
FRAME_GAP = 2  # px between a cut-out and the border strip
RING = 4  # px: the ring just outside a cut-out that must look like the background
RING_BACKGROUND = 0.95  # share of that ring that must be background-like
EDGE_MEDIAN, EDGE_LOW = 30.0, 12.0  # Lab contrast across the edge: median, 10th percentile
NOTCHES = 0.02  # area that closing with a disk of 3 % of the object's size may add
STABLE_IOU = 0.85  # agreement with GrabCut started from a stricter threshold
MAX_PER_PHOTO = 6  # a photo of 24 coins should not make every composite a coin
SEED = 19


@dataclass
class Cutout:
    rgb: np.ndarray  # h x w x 3 uint8: the object's bounding box (plus a margin) in its photo
    alpha: np.ndarray  # h x w uint8, 255 = object
    source: str  # the photo's name
    index: int  # which object of that photo

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.alpha > 127))


@dataclass
class Composite:
    image: np.ndarray  # H x W x 3 uint8 RGB
    mask: np.ndarray  # H x W uint8, 255 = the pasted object (exactly what shows of it)
    box: tuple[int, int, int, int]  # the mask's bounding box (x0, y0, x1, y1), x1/y1 exclusive
    object_source: str
    background_source: str


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)


def _border_ring(h: int, w: int, b: int) -> np.ndarray:
    ring = np.zeros((h, w), bool)
    ring[:b], ring[-b:], ring[:, :b], ring[:, -b:] = True, True, True, True
    return ring


def _background_distance(lab: np.ndarray, border: np.ndarray, k: int = 5) -> np.ndarray:
    """Lab distance of every pixel to the nearest of `k` colours of the border strip (k-means):
    a background that shades from dark to light is still near one of them."""
    samples = np.ascontiguousarray(lab[border].reshape(-1, 3), dtype=np.float32)
    k = min(k, len(samples))
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    _, _, centres = cv2.kmeans(samples, k, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    best = np.full(lab.shape[:2], np.inf, np.float32)
    for c in centres:
        np.minimum(best, np.linalg.norm(lab - c, axis=2), out=best)
    return best


def _grabcut(rgb: np.ndarray, init: np.ndarray, iterations: int = 5) -> np.ndarray:
    """GrabCut from an initial GC_* label mask; returns the foreground (bool)."""
    labels = init.copy()
    if not np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).any() or \
            not np.isin(labels, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():
        return np.zeros(labels.shape, bool)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), labels, None, bgd, fgd, iterations,
                cv2.GC_INIT_WITH_MASK)
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """`mask` (bool) with every background region that does not reach the border filled."""
    h, w = mask.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = mask
    flood = pad.copy()
    cv2.floodFill(flood, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 2)
    return (flood != 2)[1:-1, 1:-1]


def edge_contrast(lab: np.ndarray, part: np.ndarray, radius: int = 3) -> np.ndarray:
    """Lab distance between the mean colour just inside and just outside `part`, at each of
    its boundary pixels (windows of 2 * radius + 1 px)."""
    m = part.astype(np.float32)
    k = (2 * radius + 1, 2 * radius + 1)
    inside = cv2.boxFilter(m, -1, k, normalize=False)
    outside = cv2.boxFilter(1 - m, -1, k, normalize=False)
    edge = part & ~cv2.erode(part.astype(np.uint8), _disk(1)).astype(bool)
    ys, xs = np.nonzero(edge)
    a = np.empty((len(ys), 3), np.float32)
    b = np.empty((len(ys), 3), np.float32)
    for c in range(3):
        ch = lab[..., c]
        si = cv2.boxFilter(ch * m, -1, k, normalize=False)
        so = cv2.boxFilter(ch * (1 - m), -1, k, normalize=False)
        a[:, c] = si[ys, xs] / np.maximum(inside[ys, xs], 1e-3)
        b[:, c] = so[ys, xs] / np.maximum(outside[ys, xs], 1e-3)
    return np.linalg.norm(a - b, axis=1)


def reject_reason(part: np.ndarray, lab: np.ndarray, distance: np.ndarray, level: float,
                  other: np.ndarray, frame: np.ndarray) -> str | None:
    """Why this connected part (bool, the photo's size) is not a clean cut-out, or None.

    - between MIN_AREA and MAX_AREA of the photo, and well inside the frame (no pixel in or
      near the border strip: an object cut by the frame is not whole);
    - the ring of RING px around it mostly background-like (RING_BACKGROUND of it below the
      colour distance `level`): no shadow or neighbouring clutter glued to it;
    - a clear edge: the Lab contrast across its boundary (`edge_contrast`) has a median of
      EDGE_MEDIAN and a 10th percentile of EDGE_LOW (a faint crater on the moon is no object);
    - no bites: closing it with a disk of 3 % of its size adds under NOTCHES of its area
      (where an object has the background's colour, say a guitar's black pickguard on a black
      ground, the cut takes notches out of it, and the paste would show them);
    - stable: GrabCut started from a stricter threshold (`other`) finds the same part, IoU
      at least STABLE_IOU (an object that depends on where GrabCut started is not clean).
    """
    area = part.mean()
    if not MIN_AREA <= area <= MAX_AREA:
        return f"area {area:.3f}"
    if (part & frame).any():
        return "touches the frame"
    ring = cv2.dilate(part.astype(np.uint8), _disk(RING)).astype(bool) & ~part
    ring_bg = (distance[ring] < level).mean() if ring.any() else 0.0
    if ring_bg < RING_BACKGROUND:
        return f"ring background-like {ring_bg:.2f}"
    contrast = edge_contrast(lab, part)
    lo, mid = np.percentile(contrast, 10), np.median(contrast)
    if mid < EDGE_MEDIAN or lo < EDGE_LOW:
        return f"edge contrast {lo:.0f} / {mid:.0f}"
    r = max(2, round(0.03 * np.sqrt(part.sum())))
    closed = cv2.morphologyEx(np.pad(part.astype(np.uint8), r + 1), cv2.MORPH_CLOSE, _disk(r))
    gain = closed.sum() / part.sum() - 1.0
    if gain > NOTCHES:
        return f"notches (closing adds {gain:.1%})"
    near = cv2.dilate(part.astype(np.uint8), _disk(3 * RING)).astype(bool)
    theirs = other & near
    iou = (part & theirs).sum() / max((part | theirs).sum(), 1)
    if iou < STABLE_IOU:
        return f"unstable (IoU {iou:.2f} with the second GrabCut)"
    return None


def find_cutouts(rgb: np.ndarray, source: str = "", limit: int = MAX_PER_PHOTO,
                 rejected: list[str] | None = None) -> list[Cutout]:
    """The clean objects of a photo with a plain background (none for a busy photo).

    At most `limit` are returned (the largest), each as its bounding box plus a margin, with
    holes inside it filled (a ring of background inside an object is rare in such photos and
    a pasted hole would show the wrong photo through it).
    """
    h, w = rgb.shape[:2]
    if min(h, w) < 64:
        return []
    lab = _lab(rgb)
    b = max(3, round(min(h, w) * BORDER))
    border = _border_ring(h, w, b)
    distance = _background_distance(lab, border)
    spread = float(np.percentile(distance[border], 90))
    if spread > 20:  # the border is not one ground (a room, a landscape): no plain ground
        return []
    level = max(2.0 * spread + 6.0, 20.0)
    init = np.full((h, w), cv2.GC_PR_FGD, np.uint8)
    init[distance < level] = cv2.GC_PR_BGD
    init[border] = cv2.GC_BGD
    found = _grabcut(rgb, init)
    found = cv2.morphologyEx(found.astype(np.uint8), cv2.MORPH_OPEN, _disk(1)).astype(bool)
    # The second opinion: GrabCut started from a stricter threshold; a clean object does not
    # care where GrabCut started.
    init2 = np.full((h, w), cv2.GC_PR_FGD, np.uint8)
    init2[distance < 1.3 * level] = cv2.GC_PR_BGD
    init2[border] = cv2.GC_BGD
    other = _grabcut(rgb, init2)
    frame = cv2.dilate(border.astype(np.uint8), _disk(FRAME_GAP)).astype(bool)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(found.astype(np.uint8), 8)
    order = sorted(range(1, count), key=lambda i: -stats[i, cv2.CC_STAT_AREA])
    out = []
    for i in order:
        if stats[i, cv2.CC_STAT_AREA] < MIN_AREA * h * w:
            break
        part = _fill_holes(labels == i)
        why = reject_reason(part, lab, distance, level, other, frame)
        if why is not None:
            if rejected is not None:
                rejected.append(why)
            continue
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        m = RING
        x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(w, x + bw + m), min(h, y + bh + m)
        alpha = np.where(part[y0:y1, x0:x1], 255, 0).astype(np.uint8)
        out.append(Cutout(np.ascontiguousarray(rgb[y0:y1, x0:x1]), alpha, source, i))
        if len(out) >= limit:
            break
    return out


def paste(background: np.ndarray, cutout: Cutout, rng: np.random.Generator,
          area_range: tuple[float, float] = (0.02, 0.2), flip: bool = True,
          background_source: str = "") -> Composite:
    """The cut-out at a random scale (its mask's share of the picture drawn from
    `area_range`) and place (wholly inside) on a copy of `background`."""
    bh, bw = background.shape[:2]
    ch, cw = cutout.alpha.shape
    share = float(rng.uniform(*area_range))
    scale = np.sqrt(share * bh * bw / max(cutout.area, 1))
    scale = min(scale, 0.95 * bw / cw, 0.95 * bh / ch)  # it must fit
    nw, nh = max(4, round(cw * scale)), max(4, round(ch * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    rgb = cv2.resize(cutout.rgb, (nw, nh), interpolation=interp)
    alpha = cv2.resize(cutout.alpha.astype(np.float32) / 255.0, (nw, nh),
                       interpolation=cv2.INTER_LINEAR)
    hard = alpha > 0.5
    if flip and rng.random() < 0.5:
        rgb, hard = rgb[:, ::-1], hard[:, ::-1]
    # A slightly soft edge (as a photographed object has), then the truth from it.
    soft = cv2.GaussianBlur(hard.astype(np.float32), (0, 0), 0.6)
    x = int(rng.integers(0, bw - nw + 1))
    y = int(rng.integers(0, bh - nh + 1))
    image = background.copy()
    region = image[y:y + nh, x:x + nw].astype(np.float32)
    a = soft[..., None]
    image[y:y + nh, x:x + nw] = np.clip(a * rgb + (1 - a) * region + 0.5, 0, 255)\
        .astype(np.uint8)
    mask = np.zeros((bh, bw), np.uint8)
    mask[y:y + nh, x:x + nw] = np.where(soft > 0.5, 255, 0).astype(np.uint8)
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    return Composite(image, mask, box, cutout.source, background_source)


def load_cutouts(photos: Sequence[np.ndarray], names: Sequence[str]) -> list[Cutout]:
    out: list[Cutout] = []
    for rgb, name in zip(photos, names):
        out += find_cutouts(rgb, name)
    return out


def composites(folder: str | os.PathLike, count: int, seed: int = SEED,
               max_side: int = 768, area_range: tuple[float, float] = (0.02, 0.2)
               ) -> tuple[list[Composite], list[Cutout]]:
    """`count` composites from the photos of `folder` (objects from the photos with a plain
    background, pasted onto the others or onto another plain one), and the cut-outs used.

    Objects are drawn photo first, then an object of that photo, so a photo of many coins
    does not outweigh a photo of one fish. Raises ValueError when no photo gives a cut-out.
    """
    from trainer.data import PhotoSet

    photos = PhotoSet.load(folder, max_side=max_side)
    names = [p.name for p in photos.paths]
    cutouts = load_cutouts(photos.images, names)
    if not cutouts:
        raise ValueError(f"{folder}: no photo with a plain background gave a clean cut-out")
    by_source: dict[str, list[Cutout]] = {}
    for c in cutouts:
        by_source.setdefault(c.source, []).append(c)
    sources = sorted(by_source)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        source = sources[int(rng.integers(len(sources)))]
        cutout = by_source[source][int(rng.integers(len(by_source[source])))]
        others = [i for i, n in enumerate(names) if n != source]
        if not others:
            raise ValueError(f"{folder}: needs a second photo to paste onto")
        j = others[int(rng.integers(len(others)))]
        out.append(paste(photos.images[j], cutout, rng, area_range, background_source=names[j]))
    return out, cutouts
