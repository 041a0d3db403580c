"""Classical object selection: GrabCut from a box and/or clicks, and the magic wand.

`GrabCutSelector` ("grabcut") is the classical selector and the baseline of
`bench/select_quality.py`. What it does beyond plain `cv2.grabCut(image, rect)`, each step
measured on the benchmark's composites (the README has the numbers):

1. It works on a crop: the box plus a margin of `MARGIN` of its long side. The background
   model then comes from what is around the object, not from the whole photo (a red parrot
   far away no longer makes a red fish "background"), and a 24 MP photo costs what a small
   one does.
2. The crop is shrunk so that its long side is at most `WORK_SIDE` px for GrabCut.
3. The start is a position prior rather than "everything in the box is probably object":
   the ellipse inscribed in the box is probable object, the box's corners outside it probable
   background (an object fills its box's middle, rarely its corners), outside the box sure
   background. Clicks are discs of sure object (positive) or sure background (negative).
4. If GrabCut gives up (under `MIN_SHARE` of the box, which happens when object and ground
   have the same colours, e.g. a gray coin on gray grass), it runs again with the middle of
   the box (or the clicks) as sure object: a box was drawn around something.
5. Islands far smaller than the main part are dropped and small holes filled.
6. The edge is refined at the full resolution: the small mask is enlarged, and in a band
   around its edge every pixel is decided by GrabCut's own colour models (the fitted
   foreground and background Gaussian mixtures) weighted with the enlarged mask, then
   smoothed with a joint-bilateral-like guided filter of the full-resolution crop. So the
   edge follows the photo's pixels, not the blocks of the small mask.

Clicks alone (no box): a window around the click as a hint that GrabCut may go past, the
part under the click kept (`select_from_clicks`).

`magic_wand` is the classical "select similar colour" tool (cv2.floodFill with a fixed
range, or a colour distance over the whole image when not contiguous).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .engine import CancelToken, Point, ProgressFn, Selector, register

WORK_SIDE = 320  # long side (px) of the crop that GrabCut runs on
MARGIN = 0.05  # context around the box, of its long side (at least MIN_MARGIN full-res px)
MIN_MARGIN = 8
ITERATIONS = 5
CLICK_RADIUS = 0.012  # a click's disc, of the working crop's long side (at least 2 px)
PRIOR_SCALE = 1.0  # the probable-object ellipse, of the ellipse inscribed in the box
MIN_SHARE = 0.05  # a result under this share of the box counts as "GrabCut gave up"
ISLAND = 0.02  # parts under this share of the largest part are dropped
HOLE = 0.01  # holes under this share of the object are filled
CLICK_REACH = 0.15  # room around a positive click outside the box, of the box's long side
CLICK_PATCH = 0.25  # a click's patch reaches this share of the box's long side at most
CLICK_TOLERANCE = (10, 7, 7)  # Lab difference from the clicked colour within its patch
CLICK_WINDOW = 0.3  # clicks alone: the first guess's window, of the image's width and height
BAND, LLR_WEIGHT, GF_RADIUS, GF_EPS, GF_GRAY = 1.5, 1.0, 0.5, 0.04, True
REFINE_SIDE = 1024  # long side (px) at which the edge is decided
GC_FGD, GC_BGD, GC_PR_FGD, GC_PR_BGD = cv2.GC_FGD, cv2.GC_BGD, cv2.GC_PR_FGD, cv2.GC_PR_BGD


# --------------------------------------------------------------------------------------------
# small helpers


def _disk(r: int) -> np.ndarray:
    r = max(1, int(r))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _resize(a: np.ndarray, w: int, h: int, interpolation=None) -> np.ndarray:
    if a.shape[1] == w and a.shape[0] == h:
        return a
    if interpolation is None:
        interpolation = cv2.INTER_AREA if w < a.shape[1] else cv2.INTER_LINEAR
    return cv2.resize(a, (w, h), interpolation=interpolation)


def _u8(mask: np.ndarray) -> np.ndarray:
    """bool -> uint8 0/255 without a wide temporary (a 24 MP crop is 200 MB as int64)."""
    return np.multiply(mask, np.uint8(255), dtype=np.uint8)


def _clicked(fg: np.ndarray, keep: Sequence[tuple[int, int]]) -> np.ndarray:
    """The connected parts of `fg` (bool) under the clicks `keep` ((x, y) in its pixels); all
    of it when no click is on it."""
    count, labels = cv2.connectedComponents(fg.astype(np.uint8), connectivity=8)
    wanted = {int(labels[y, x]) for x, y in keep} - {0}
    if count <= 2 or not wanted:
        return fg
    return np.isin(labels, sorted(wanted))


def _tidy(fg: np.ndarray, keep: Sequence[tuple[int, int]] = ()) -> np.ndarray:
    """Drop islands under ISLAND of the largest part (but never one under a positive click,
    `keep`: (x, y) in `fg`'s pixels) and fill holes under HOLE of the object."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), 8)
    if count <= 1:
        return fg
    areas = stats[1:, cv2.CC_STAT_AREA]
    wanted = areas >= ISLAND * areas.max()
    for x, y in keep:
        if labels[y, x] > 0:
            wanted[labels[y, x] - 1] = True
    fg = wanted[labels - 1] & (labels > 0)
    # holes: background parts that do not reach the border, small against the object
    h, w = fg.shape
    bg = np.zeros((h + 2, w + 2), np.uint8)
    bg[1:-1, 1:-1] = ~fg
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bg, 4)
    limit = HOLE * max(1, int(fg.sum()))
    outside = labels[0, 0]
    small = (stats[:, cv2.CC_STAT_AREA] < limit)
    small[outside] = False
    small[0] = False  # the fg label of this labelling
    return fg | small[labels[1:-1, 1:-1]]


def _click_patch(lab: np.ndarray, x: int, y: int, limit: int) -> np.ndarray:
    """The pixels of about the clicked colour connected to (x, y) in the (blurred) Lab work
    image, at most `limit` px away: what a click means beyond its own pixel (bool)."""
    h, w = lab.shape[:2]
    x0, y0, x1, y1 = max(0, x - limit), max(0, y - limit), min(w, x + limit + 1), \
        min(h, y + limit + 1)
    window = np.ascontiguousarray(lab[y0:y1, x0:x1])
    fill = np.zeros((y1 - y0 + 2, x1 - x0 + 2), np.uint8)
    flags = 4 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (1 << 8)
    cv2.floodFill(window, fill, (x - x0, y - y0), 0, CLICK_TOLERANCE, CLICK_TOLERANCE, flags)
    disc = np.zeros_like(fill)
    cv2.circle(disc, (x - x0 + 1, y - y0 + 1), limit, 1, -1)
    out = np.zeros((h, w), bool)
    out[y0:y1, x0:x1] = (fill & disc)[1:-1, 1:-1] > 0
    return out


def _gmm_loglik(model: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """log p(pixel) under one of GrabCut's fitted Gaussian mixtures (cv2's 1 x 65 layout:
    5 weights, 5 x 3 means, 5 x 3 x 3 covariances), for N x 3 float pixels (the colour space
    GrabCut ran in)."""
    m = model.reshape(-1)
    k = 5
    weights, means, covs = m[:k], m[k:4 * k].reshape(k, 3), m[4 * k:13 * k].reshape(k, 3, 3)
    out = np.full(len(pixels), -np.inf)
    for i in range(k):
        if weights[i] <= 0:
            continue
        cov = covs[i] + np.eye(3) * 0.01
        inv = np.linalg.inv(cov)
        det = max(np.linalg.det(cov), 1e-12)
        d = pixels - means[i]
        q = np.einsum("ni,ij,nj->n", d, inv, d)
        out = np.logaddexp(out, np.log(weights[i]) - 0.5 * (q + np.log(det)
                                                             + 3 * np.log(2 * np.pi)))
    return out


# --------------------------------------------------------------------------------------------
# GrabCut on a crop


class _Cut:
    """One GrabCut run: the crop box, the working scale, the labels and the fitted models."""

    def __init__(self, crop_box, scale, fg, bgd_model, fgd_model):
        self.crop_box, self.scale, self.fg = crop_box, scale, fg
        self.bgd_model, self.fgd_model = bgd_model, fgd_model


def _grabcut(work_bgr: np.ndarray, labels: np.ndarray, iterations: int):
    """GrabCut from a label mask; (foreground bool, bgd model, fgd model), or None when the
    labels hold no foreground or no background at all."""
    if not np.isin(labels, (GC_FGD, GC_PR_FGD)).any() or \
            not np.isin(labels, (GC_BGD, GC_PR_BGD)).any():
        return None
    labels = labels.copy()
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # k-means start of the mixtures: the same answer every time
    cv2.grabCut(work_bgr, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    return (labels == GC_FGD) | (labels == GC_PR_FGD), bgd, fgd


def _ellipse(shape, box, scale: float) -> np.ndarray:
    """The ellipse inscribed in `box` (work pixels), scaled by `scale`, as a bool mask."""
    x0, y0, x1, y1 = box
    out = np.zeros(shape, np.uint8)
    centre = (int(round((x0 + x1 - 1) / 2)), int(round((y0 + y1 - 1) / 2)))
    axes = (max(1, int(round((x1 - x0) * scale / 2))), max(1, int(round((y1 - y0) * scale / 2))))
    cv2.ellipse(out, centre, axes, 0, 0, 360, 1, -1)
    return out.astype(bool)


def cut(image: np.ndarray, box: tuple[int, int, int, int], positive: Sequence[Point] = (),
        negative: Sequence[Point] = (), previous: np.ndarray | None = None,
        work_side: int = WORK_SIDE, margin: float = MARGIN, iterations: int = ITERATIONS,
        refine: bool = True, prior: bool = True, soft_outside: bool = False,
        keep_clicked: bool = False, cancel: CancelToken | None = None) -> np.ndarray:
    """The object in `box` (x0, y0, x1, y1 image pixels), with clicks and an earlier mask to
    refine, as a uint8 mask of the image's size (255 = object). See the module docstring."""
    cancel = cancel or CancelToken()
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    # A positive click outside the box says the object goes on there: the box widens to
    # take the click and some room around it, and stops being a limit (soft_outside).
    reach = max(MIN_MARGIN, int(round(CLICK_REACH * max(x1 - x0, y1 - y0))))
    outside_clicks = [(px, py) for px, py in positive if not (x0 <= px < x1 and y0 <= py < y1)]
    for px, py in outside_clicks:
        soft_outside = True
        x0, y0 = max(0, min(x0, int(px) - reach)), max(0, min(y0, int(py) - reach))
        x1, y1 = min(w, max(x1, int(px) + 1 + reach)), min(h, max(y1, int(py) + 1 + reach))
    m = max(MIN_MARGIN, int(round(margin * max(x1 - x0, y1 - y0))))
    cx0, cy0, cx1, cy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    crop = image[cy0:cy1, cx0:cx1]
    ch, cw = crop.shape[:2]
    s = min(1.0, work_side / max(ch, cw))
    ww, wh = max(1, int(round(cw * s))), max(1, int(round(ch * s)))
    sx, sy = ww / cw, wh / ch
    work = _resize(crop, ww, wh)
    work_bgr = np.ascontiguousarray(work[:, :, ::-1])
    bx0, by0 = int(np.floor((x0 - cx0) * sx)), int(np.floor((y0 - cy0) * sy))
    bx1 = max(bx0 + 1, int(np.ceil((x1 - cx0) * sx)))
    by1 = max(by0 + 1, int(np.ceil((y1 - cy0) * sy)))
    wbox = (bx0, by0, bx1, by1)

    labels = np.full((wh, ww), GC_BGD, np.uint8)
    inside = np.zeros((wh, ww), bool)
    inside[by0:by1, bx0:bx1] = True
    if previous is not None:
        prev = _resize(previous[cy0:cy1, cx0:cx1], ww, wh, cv2.INTER_AREA) > 127
        labels[inside & prev] = GC_PR_FGD
        labels[inside & ~prev] = GC_PR_BGD
        # an earlier answer may reach beyond the box (after positive clicks): keep it possible
        labels[~inside & prev] = GC_PR_FGD
    elif prior:
        labels[inside] = GC_PR_BGD
        labels[inside & _ellipse((wh, ww), wbox, PRIOR_SCALE)] = GC_PR_FGD
    else:
        labels[inside] = GC_PR_FGD
    if soft_outside:  # the box is a hint, not a limit: only the crop's frame is sure ground
        labels[(labels == GC_BGD) & ~inside] = GC_PR_BGD
        labels[:2, :], labels[-2:, :], labels[:, :2], labels[:, -2:] = GC_BGD, GC_BGD, \
            GC_BGD, GC_BGD
    r = max(2, int(round(CLICK_RADIUS * max(ww, wh))))
    pos_work = [(min(ww - 1, int((px - cx0) * sx)), min(wh - 1, int((py - cy0) * sy)))
                for px, py in positive]
    neg_work = [(min(ww - 1, int((px - cx0) * sx)), min(wh - 1, int((py - cy0) * sy)))
                for px, py in negative if cx0 <= px < cx1 and cy0 <= py < cy1]
    # A click stands for the patch of its colour around it (`_click_patch`): probable
    # object (or ground) as a whole, its middle sure. Without this, the rest of a missed part
    # would start the other side's colour model (a flat patch of the object's colour would
    # get a ground component of its own and never join the object).
    if pos_work or neg_work:
        lab = cv2.cvtColor(cv2.GaussianBlur(work, (0, 0), 1.0), cv2.COLOR_RGB2LAB)
        limit = max(r, int(round(CLICK_PATCH * max(bx1 - bx0, by1 - by0))))
        for x, y in neg_work:
            labels[_click_patch(lab, x, y, limit) & (labels != GC_FGD)] = GC_PR_BGD
        for x, y in pos_work:
            labels[_click_patch(lab, x, y, limit)] = GC_PR_FGD
    for x, y in neg_work:
        cv2.circle(labels, (x, y), r, int(GC_BGD), -1)
    for x, y in pos_work:
        cv2.circle(labels, (x, y), r, int(GC_FGD), -1)
    if (labels == GC_BGD).all() or not (labels != GC_BGD).any():
        return np.zeros((h, w), np.uint8)
    cancel.check()
    result = _grabcut(work_bgr, labels, iterations)
    box_area = max(1, (bx1 - bx0) * (by1 - by0))
    if result is None or result[0][inside].sum() < MIN_SHARE * box_area:
        # GrabCut gave up: a box was drawn around something, so its middle is object
        cancel.check()
        retry = labels.copy()
        retry[inside & _ellipse((wh, ww), wbox, 0.2)] = GC_FGD
        for x, y in neg_work:
            cv2.circle(retry, (x, y), r, int(GC_BGD), -1)
        result = _grabcut(work_bgr, retry, iterations) or result
    if result is None:
        return np.zeros((h, w), np.uint8)
    fg, bgd, fgd = result
    fg = _tidy(fg, pos_work)
    if keep_clicked and pos_work:  # clicks without a box: only the parts under them
        fg = _clicked(fg, pos_work)
    cancel.check()
    out = np.zeros((h, w), np.uint8)
    if s >= 1.0 or not refine:
        big = _resize(fg.astype(np.float32), cw, ch, cv2.INTER_LINEAR) > 0.5
        out[cy0:cy1, cx0:cx1] = _u8(big)
        return out
    out[cy0:cy1, cx0:cx1] = _refine(crop, fg, bgd, fgd, s)
    return out


def _refine(crop: np.ndarray, fg: np.ndarray, bgd: np.ndarray, fgd: np.ndarray,
            scale: float) -> np.ndarray:
    """The small mask `fg` (work resolution, `scale` of the crop) at the crop's resolution,
    its edge decided by the colour models and the crop's own pixels (uint8 0/255).

    The decision is made on a copy of the crop at most REFINE_SIDE px long (4x to 8x the
    working resolution on a large photo), whose soft answer is then enlarged to the crop:
    an edge placed to a pixel of that copy is within 1-3 px on a 24 MP photo, and the
    full-resolution work is one resize and one threshold.
    """
    ch, cw = crop.shape[:2]
    s2 = min(1.0, REFINE_SIDE / max(ch, cw))
    mw, mh = max(1, int(round(cw * s2))), max(1, int(round(ch * s2)))
    mid = _resize(crop, mw, mh)
    soft = cv2.resize(fg.astype(np.float32), (mw, mh), interpolation=cv2.INTER_LINEAR)
    small = fg.astype(np.uint8)
    r = max(1, int(np.ceil(BAND)))
    ring = cv2.dilate(small, _disk(r)) & ~cv2.erode(small, _disk(r)) & 1
    band = cv2.resize(ring, (mw, mh), interpolation=cv2.INTER_NEAREST).astype(bool)
    ys, xs = np.nonzero(band)
    if len(ys):
        pixels = mid[ys, xs][:, ::-1].astype(np.float64)  # GrabCut's models are in BGR
        llr = _gmm_loglik(fgd, pixels) - _gmm_loglik(bgd, pixels)
        prior = np.clip(soft[ys, xs], 1e-3, 1 - 1e-3)
        logit = np.clip(llr, -8, 8) * LLR_WEIGHT + np.log(prior / (1 - prior))
        soft[ys, xs] = 1.0 / (1.0 + np.exp(-logit))
        radius = max(1, int(round(GF_RADIUS * s2 / scale)))
        guide = cv2.cvtColor(mid, cv2.COLOR_RGB2GRAY) if GF_GRAY else mid
        soft = cv2.ximgproc.guidedFilter(guide, soft, radius, (GF_EPS * 255) ** 2)
    if (mw, mh) != (cw, ch):
        soft = cv2.resize(soft, (cw, ch), interpolation=cv2.INTER_LINEAR)
    return _u8(soft > 0.5)


# --------------------------------------------------------------------------------------------
# clicks alone


def _window(x: float, y: float, share: float, w: int, h: int) -> tuple[int, int, int, int]:
    """A box of `share` of the image's width and height centred on (x, y), shifted inside."""
    bw, bh = max(1, int(round(w * share))), max(1, int(round(h * share)))
    x0 = min(max(0, int(round(x - bw / 2))), w - bw)
    y0 = min(max(0, int(round(y - bh / 2))), h - bh)
    return x0, y0, x0 + bw, y0 + bh


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _pad(box, share: float, w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    d = int(round(share * max(x1 - x0, y1 - y0))) + 2
    return max(0, x0 - d), max(0, y0 - d), min(w, x1 + d), min(h, y1 + d)


def select_from_clicks(image: np.ndarray, positive: Sequence[Point],
                       negative: Sequence[Point] = (), previous: np.ndarray | None = None,
                       cancel: CancelToken | None = None) -> np.ndarray:
    """The object under the positive clicks, without a box.

    A window of CLICK_WINDOW of the image's width and height around the first click (and
    holding the others) is the box, but only as a hint (`soft_outside`: GrabCut may go past
    it, only the frame of a crop twice its size is sure ground), and only the parts under the
    clicks are kept. (Cutting the found part's own box again, as a drawn box, scored lower
    on both sets of composites.) With an earlier answer (`previous`) to refine, its box plus
    the clicks is the box.
    """
    h, w = image.shape[:2]
    extra = [(int(x), int(y), int(x) + 1, int(y) + 1) for x, y in positive]
    prev_box = _bbox(previous > 127) if previous is not None else None
    if prev_box is None:
        window = _window(positive[0][0], positive[0][1], CLICK_WINDOW, w, h)
        for b in extra:
            window = _union(window, b)
        return cut(image, window, positive, negative, margin=1.0, soft_outside=True,
                   keep_clicked=True, cancel=cancel)
    box = prev_box
    for b in extra:
        box = _union(box, b)
    return cut(image, _pad(box, 0.05, w, h), positive, negative, previous, keep_clicked=True,
               cancel=cancel)


def _union(a, b):
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


# --------------------------------------------------------------------------------------------
# the engine


@register
class GrabCutSelector(Selector):
    name = "grabcut"
    label = "GrabCut"
    description = ("classical: GrabCut (Rother et al. 2004) on a crop around the box with a "
                   "position prior, the edge refined at full resolution; clicks add or remove")

    def _predict(self, image, box, positive, negative, previous, cancel: CancelToken,
                 progress: ProgressFn) -> np.ndarray:
        if box is None:
            return select_from_clicks(image, positive, negative, previous, cancel=cancel)
        return cut(image, box, positive, negative, previous, cancel=cancel)


# --------------------------------------------------------------------------------------------
# magic wand


def magic_wand(image: np.ndarray, x: float, y: float, tolerance: float = 32,
               contiguous: bool = True) -> np.ndarray:
    """The pixels of about the colour at (x, y): uint8 mask of the image's size, 255 = chosen.

    `tolerance` (0..255) is the largest difference per RGB channel from the clicked pixel's
    colour. Contiguous: only the pixels connected to the click (8-neighbours, a flood fill
    with a fixed range, cv2.floodFill); otherwise every such pixel of the image.
    """
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 \
            or image.dtype != np.uint8:
        raise ValueError(f"image must be an H x W x 3 uint8 RGB array, got "
                         f"{getattr(image, 'shape', None)}")
    h, w = image.shape[:2]
    if not (0 <= x < w and 0 <= y < h):
        raise ValueError(f"the click at ({x:g}, {y:g}) is outside the {w}x{h} image")
    if not 0 <= tolerance <= 255:
        raise ValueError(f"tolerance must be between 0 and 255, got {tolerance}")
    xi, yi = int(x), int(y)
    t = int(round(tolerance))
    if contiguous:
        mask = np.zeros((h + 2, w + 2), np.uint8)
        flags = 8 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (255 << 8)
        cv2.floodFill(np.ascontiguousarray(image), mask, (xi, yi), 0, (t, t, t), (t, t, t),
                      flags)
        return np.ascontiguousarray(mask[1:-1, 1:-1])
    seed = image[yi, xi].astype(np.int16)
    lo = np.clip(seed - t, 0, 255).astype(np.uint8)
    hi = np.clip(seed + t, 0, 255).astype(np.uint8)
    return cv2.inRange(image, lo, hi)
