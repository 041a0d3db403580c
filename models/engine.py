"""The engine interface every inpainting, colorization, damage-detection and object-selection
model implements, and the registry.

An engine is a plain object with a small public method that does all the checking and the
high-resolution work, and a `_predict` that a model implements:

    engine = get_inpainter("telea")            # or get_inpainter() for the default
    result = engine.inpaint(image, mask, InpaintOptions(), cancel=token, progress=report)

    colorizer = get_colorizer()
    result = colorizer.colorize(image, hints, ColorizeOptions())
    result.image, result.notes

    confidence = get_detector().detect(image)   # uint8, 255 = surely damaged
    mask = damage_mask(confidence, sensitivity=0.5)

    mask = get_selector().select(image, box=(x0, y0, x1, y1), positive=[(x, y)])  # 255 = object

Conventions (design.md): images are uint8 H x W x 3 RGB, masks uint8 H x W with 255 = fill.
`Inpainter.inpaint` keeps every pixel where the mask is 0 bit-identical, through the single
`models.compositing.composite` step. An empty mask raises `NothingToDo` (the caller has the
image already, and can tell the user "nothing to erase" instead of showing a copy as a
result). A mask that leaves (almost) nothing of the photo to fill from raises `NoContext` (a
ValueError). A cancelled job raises `Cancelled`. Bad input raises `ValueError` with a one-line
message that can be shown to the user as it is.

Every model call is bounded, so progress moves and cancel is honoured between calls: mask
regions close together share one crop (`hd.group_regions`), and an input larger than one call
handles (the whole photo of the "original" strategy, a huge region of an engine that works at
any size) is filled tile by tile (`Inpainter._fill_tiled`).
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import cv2
import numpy as np

from . import hd
from .compositing import composite

ProgressFn = Callable[[float, str], None]  # fraction in [0, 1], a short message

INPAINT, COLORIZE, DETECT, SELECT = "inpaint", "colorize", "detect", "select"
NOTE_FROM_LUMINANCE = "already in colour: colorized from its luminance"
NOTE_NO_HINTS = "no colour hints: the result is the gray image (this engine needs hints)"
NOTE_HINTS_IGNORED = "this engine colours on its own and ignores colour hints"


class Cancelled(Exception):
    """The job's cancel token was set; raised between crops, tiles or solver iterations."""


class NothingToDo(Exception):
    """The request has nothing to change (an empty mask). The message says so."""


class NoContext(ValueError):
    """The mask leaves too few known pixels to fill the hole from (see MIN_KNOWN_FRACTION)."""


# A fill continues the picture from the pixels around the hole. With fewer than 1% of the photo
# left unmasked there is nothing to continue: the learned nets return a black or gray field and
# the classical ones smear a handful of pixels over the frame, so the "result" would be a
# made-up picture reported as success. 1% of a 12 MP photo is still 120,000 pixels (a margin
# a few pixels wide around the frame), enough for any real erase, while "Mask everything"
# (or a nearly full mask) is refused with a message instead.
MIN_KNOWN_FRACTION = 0.01


def check_known_pixels(mask: np.ndarray, threshold: int = 127) -> None:
    """Raise NoContext if fewer than MIN_KNOWN_FRACTION of the pixels are outside the hole.

    The hole is `mask > threshold` (as `Inpainter.inpaint` reads it); the GUI calls this
    before it starts a job, so the refusal comes at once.
    """
    total = mask.size
    known = total - int(np.count_nonzero(mask > threshold))
    if known < MIN_KNOWN_FRACTION * total:
        share = 100.0 * known / total if total else 0.0
        raise NoContext(f"the mask covers {'all' if known == 0 else f'{100 - share:.1f}%'} of "
                        f"the image: at least {MIN_KNOWN_FRACTION:.0%} must stay unmasked to "
                        f"fill the hole from")


def hole_threshold(mask: np.ndarray, bbox=None) -> int:
    """A model needs a binary hole: > 127 is the hole. A faint mask (no pixel above 127)
    still means "change these pixels a little", so then every non-zero pixel is a hole."""
    x0, y0, x1, y1 = bbox or (0, 0, mask.shape[1], mask.shape[0])
    return 127 if np.any(mask[y0:y1, x0:x1] > 127) else 0


class UnknownModel(KeyError):
    """No engine of that name is registered. `str()` lists the available names."""

    def __init__(self, name: str, kind: str, available: Sequence[str]):
        super().__init__(name)
        self.name, self.kind, self.available = name, kind, list(available)

    def __str__(self) -> str:
        names = ", ".join(self.available) or "none"
        return f"unknown {self.kind} model {self.name!r} (available: {names})"


class CancelToken:
    """A thread-safe flag: the GUI calls `cancel()`, the engine calls `check()`."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")


def _no_progress(fraction: float, message: str) -> None:
    pass


def _check_image(image: np.ndarray, what: str = "image") -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 \
            or image.shape[2] != 3 or image.shape[0] == 0 or image.shape[1] == 0:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise ValueError(f"{what} must be an H x W x 3 uint8 RGB array, got shape {shape} "
                         f"and dtype {dtype}")


# --------------------------------------------------------------------------------------------
# Inpainting


@dataclass(frozen=True)
class InpaintOptions:
    """How a high-resolution photo is handled (design.md, "High resolution").

    - "crop" (default): each mask region gets its own box grown by `crop_margin` pixels of
      context; the box is resized down to the engine's working size if larger, inpainted,
      resized back and pasted.
    - "resize": the whole photo is resized so its long side is at most `resize_limit`,
      inpainted, and the result is resized back (only the hole is taken from it).
    - "original": the whole photo at its own resolution.
    """

    hd_strategy: str = hd.CROP
    crop_margin: int = 128
    resize_limit: int = 1280

    def __post_init__(self) -> None:
        if self.hd_strategy not in hd.HD_STRATEGIES:
            raise ValueError(f"unknown HD strategy {self.hd_strategy!r} "
                             f"(choose from {', '.join(hd.HD_STRATEGIES)})")
        if self.crop_margin < 0:
            raise ValueError(f"crop margin must be >= 0, got {self.crop_margin}")
        if self.resize_limit < 8:
            raise ValueError(f"resize limit must be >= 8, got {self.resize_limit}")


class Engine:
    """What every engine kind shares: the metadata the registry and the menus show, and the
    device a torch engine runs on (classical engines ignore it)."""

    name: str = ""
    label: str = ""
    description: str = ""
    uses_device: bool = False  # True for torch engines (they get a resolved device)

    def __init__(self, device: str = "cpu") -> None:
        self.device = device


class Inpainter(Engine):
    """Base class of inpainting engines. Subclasses set the metadata and implement `_predict`.

    `_predict(image, hole)` gets an RGB uint8 image whose sides are multiples of
    `pad_multiple` and a binary hole mask (0/255, the same size), and returns the filled
    RGB uint8 image of that size. It only needs to be good inside the hole: everything else
    is taken from the input by the compositing step.

    One `_predict` call never gets more than `tile_size` pixels on its long side (default:
    the working size, else DEFAULT_TILE_SIZE): a larger input is filled tile by tile, so that
    cancel is honoured and progress reported between calls. Set `tile_size` (and
    `tile_margin`, the context around each tile) for an engine whose calls are slow.
    """

    working_size: int | None = None  # long side the model works at best; None = any size
    pad_multiple: int = 1
    tile_size: int | None = None  # long side of one call at most; None = working size or 1024
    tile_margin: int | None = None  # context pixels around a tile's core; None = side // 8
    tile_guide: bool = True  # unfilled hole pixels around a tile's core: coarse fill or hole

    # The public entry point -------------------------------------------------------------
    def inpaint(self, image: np.ndarray, mask: np.ndarray, options: InpaintOptions | None = None,
                cancel: CancelToken | None = None,
                progress: ProgressFn | None = None) -> np.ndarray:
        """Fill the masked pixels of `image`; returns a new image, the input is not changed.

        Raises ValueError for bad input, NothingToDo for an empty mask, NoContext for a mask
        that leaves too little of the image to fill from, Cancelled when `cancel` is set
        (checked between model calls: crops and tiles).
        """
        options = options or InpaintOptions()
        cancel = cancel or CancelToken()
        progress = progress or _no_progress
        _check_image(image)
        mask = self._check_mask(mask, image)
        bbox = hd.mask_bbox(mask)
        if bbox is None:
            raise NothingToDo("mask is empty: nothing to erase")
        x0, y0, x1, y1 = bbox
        threshold = hole_threshold(mask, bbox)
        check_known_pixels(mask, threshold)
        cancel.check()
        progress(0.0, f"{self._title}: inpainting")
        if options.hd_strategy == hd.CROP:
            canvas, box = self._inpaint_crops(image, mask, threshold, bbox, options, cancel,
                                              progress)
        else:
            hole = _binary(mask, threshold)
            h, w = image.shape[:2]
            if options.hd_strategy == hd.RESIZE:
                sw, sh = hd.fit_size(w, h, options.resize_limit)
            else:
                sw, sh = w, h
            small = hd.resize_image(image, sw, sh)
            pred = self._run_model(small, hd.resize_hole(hole, sw, sh), fit_working_size=False,
                                   cancel=cancel, progress=progress)
            cancel.check()
            canvas, box = hd.resize_image(pred, w, h)[y0:y1, x0:x1], bbox
        result = composite(image, mask, canvas, box)
        progress(1.0, "done")
        return result

    @property
    def _title(self) -> str:
        return self.label or self.name

    # Steps ------------------------------------------------------------------------------
    @staticmethod
    def _check_mask(mask: np.ndarray, image: np.ndarray) -> np.ndarray:
        if isinstance(mask, np.ndarray) and mask.ndim == 3 and mask.shape[2] == 1:
            mask = mask[:, :, 0]
        if not isinstance(mask, np.ndarray) or mask.ndim != 2 or mask.dtype != np.uint8:
            shape = getattr(mask, "shape", None)
            dtype = getattr(mask, "dtype", type(mask).__name__)
            raise ValueError(f"mask must be an H x W uint8 array, got shape {shape} "
                             f"and dtype {dtype}")
        h, w = image.shape[:2]
        if mask.shape != (h, w):
            raise ValueError(f"mask is {mask.shape[1]}x{mask.shape[0]} but the image is {w}x{h}")
        return mask

    def _inpaint_crops(self, image, mask, threshold, bbox, options, cancel, progress):
        """Crop strategy: returns the prediction over the mask's bbox, and that bbox.

        Regions close together share a crop (`hd.group_regions`): a mask of hundreds of dots
        takes a few model calls, not one per dot. Every region's crop holds its own context
        margin, and its pixels are pasted from its group's crop only.
        """
        h, w = image.shape[:2]
        regions = hd.find_regions(mask)
        x0, y0, x1, y1 = bbox
        canvas = image[y0:y1, x0:x1].copy()
        groups = hd.group_regions(regions.regions, options.crop_margin,
                                  self.working_size or DEFAULT_TILE_SIZE, w, h)
        n = len(groups)
        for i, (group, (cx0, cy0, cx1, cy1)) in enumerate(groups):
            cancel.check()
            progress(i / n, f"{self._title}: crop {i + 1} of {n}")
            pred = self._run_model(image[cy0:cy1, cx0:cx1],
                                   _binary(mask[cy0:cy1, cx0:cx1], threshold),
                                   fit_working_size=True, cancel=cancel,
                                   progress=_sub_progress(progress, i / n, (i + 1) / n))
            # Paste this group's pixels only (a neighbouring region inside the margin was
            # a hole here too, and gets its own crop with its own context).
            px0, py0, px1, py1 = max(cx0, x0), max(cy0, y0), min(cx1, x1), min(cy1, y1)
            sel = regions.pixels(group, (px0, py0, px1, py1), mask)
            target = canvas[py0 - y0:py1 - y0, px0 - x0:px1 - x0]
            target[sel] = pred[py0 - cy0:py1 - cy0, px0 - cx0:px1 - cx0][sel]
        cancel.check()
        return canvas, bbox

    def _run_model(self, image: np.ndarray, hole: np.ndarray, fit_working_size: bool,
                   cancel: CancelToken | None = None,
                   progress: ProgressFn | None = None) -> np.ndarray:
        """Resize to the working size (crop strategy), predict (tile by tile if larger than
        one call takes), resize back."""
        h, w = image.shape[:2]
        sw, sh = w, h
        if fit_working_size and self.working_size:
            sw, sh = hd.fit_size(w, h, self.working_size)
        small, small_hole = hd.resize_image(image, sw, sh), hd.resize_hole(hole, sw, sh)
        side = self._tile_side()
        if max(sw, sh) > side:
            pred = self._fill_tiled(small, small_hole, side, cancel or CancelToken(),
                                    progress or _no_progress)
        else:
            pred = self._predict_padded(small, small_hole)
        return hd.resize_image(np.ascontiguousarray(pred), w, h)

    def _predict_padded(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """Pad to the model's multiple, predict, check the answer, unpad."""
        h, w = image.shape[:2]
        padded = hd.pad_to_multiple(np.ascontiguousarray(image), self.pad_multiple)
        padded_hole = hd.pad_to_multiple(np.ascontiguousarray(hole), self.pad_multiple)
        pred = self._predict(padded, padded_hole)
        if not isinstance(pred, np.ndarray) or pred.shape != padded.shape \
                or pred.dtype != np.uint8:
            raise RuntimeError(f"{self.name}: _predict returned {getattr(pred, 'shape', None)} "
                               f"{getattr(pred, 'dtype', None)}, expected {padded.shape} uint8")
        return hd.unpad(pred, h, w)

    def _tile_side(self) -> int:
        return self.tile_size or self.working_size or DEFAULT_TILE_SIZE

    def _fill_tiled(self, image: np.ndarray, hole: np.ndarray, side: int,
                    cancel: CancelToken, progress: ProgressFn) -> np.ndarray:
        """Fill `hole` in calls of at most side x side pixels; returns the filled image.

        First the whole input, shrunk to fit one call, is filled: a coarse guide. Then the
        hole's bounding box is cut into cores of `side - 2 * margin`; each core with hole
        pixels is filled at full resolution from a window grown by `margin`, in which every
        pixel outside the core is known: a real pixel, a core filled before, or the coarse
        guide where nothing is filled yet. Only the core is kept. Cores go in order of real
        context (the most known pixels in the window first, so the fill grows inwards from
        the hole's rim), and each continues the pixels of the cores filled before it: no
        seams, and a core deep inside a large hole still has context on every side. Cancel
        is checked between calls; progress is reported for each.

        With `tile_guide` False there is no coarse fill: all unfilled hole pixels around a
        core stay holes (filled with it, then dropped), and a core with no known pixel in its
        window waits until its neighbours are filled.
        """
        h, w = image.shape[:2]
        margin = self.tile_margin if self.tile_margin is not None else side // 8
        margin = max(0, min(margin, (side - 1) // 2))
        core = side - 2 * margin
        result = image.copy()
        todo = hole > 0
        bbox = hd.mask_bbox(hole)
        if bbox is None:
            return result
        cores = [c for c in hd.tile_cores(bbox, core) if todo[c[1]:c[3], c[0]:c[2]].any()]
        # Known pixels, the fills so far and the coarse guide: the context of later tiles.
        work = image.copy()
        n = len(cores) + 1
        if self.tile_guide:
            progress(0.0, f"{self._title}: coarse fill")
            sw, sh = hd.fit_size(w, h, side)
            guide = self._predict_padded(hd.resize_image(image, sw, sh),
                                         hd.resize_hole(hole, sw, sh))
            guide = hd.resize_image(np.ascontiguousarray(guide), w, h)
            work[todo] = guide[todo]
        windows = [hd.grow_box(c, margin, w, h) for c in cores]
        known = cv2.integral((~todo).view(np.uint8))
        counts = [int(known[y1, x1] - known[y0, x1] - known[y1, x0] + known[y0, x0])
                  for x0, y0, x1, y1 in windows]
        grid = {((c[0] - bbox[0]) // core, (c[1] - bbox[1]) // core): i
                for i, c in enumerate(cores)}
        reach = -(-margin // core) if core else 0  # cores whose windows reach a neighbour
        heap = [(-counts[i] / hd._area(windows[i]), i) for i in range(len(cores))]
        heapq.heapify(heap)
        done = [False] * len(cores)
        for k in range(1, n):
            cancel.check()
            progress(k / n, f"{self._title}: tile {k} of {n - 1}")
            while True:
                key, i = heapq.heappop(heap)
                if not done[i] and key == -counts[i] / hd._area(windows[i]):
                    break
            done[i] = True
            wx0, wy0, wx1, wy1 = windows[i]
            cx0, cy0, cx1, cy1 = cores[i]
            if self.tile_guide:  # the core's hole only: around it, everything is known
                tile_hole = np.zeros((wy1 - wy0, wx1 - wx0), np.uint8)
                tile_hole[cy0 - wy0:cy1 - wy0, cx0 - wx0:cx1 - wx0][todo[cy0:cy1, cx0:cx1]] = 255
            else:
                tile_hole = np.where(todo[wy0:wy1, wx0:wx1], 255, 0).astype(np.uint8)
            pred = self._predict_padded(work[wy0:wy1, wx0:wx1], tile_hole)
            pred = pred[cy0 - wy0:cy1 - wy0, cx0 - wx0:cx1 - wx0]
            new = todo[cy0:cy1, cx0:cx1].copy()
            work[cy0:cy1, cx0:cx1][new] = pred[new]
            result[cy0:cy1, cx0:cx1] = pred
            todo[cy0:cy1, cx0:cx1] = False
            gx, gy = (cx0 - bbox[0]) // core, (cy0 - bbox[1]) // core
            for dy in range(-reach, reach + 1):
                for dx in range(-reach, reach + 1):
                    j = grid.get((gx + dx, gy + dy))
                    if j is None or done[j]:
                        continue
                    jx0, jy0, jx1, jy1 = windows[j]
                    ix0, iy0, ix1, iy1 = max(jx0, cx0), max(jy0, cy0), min(jx1, cx1), \
                        min(jy1, cy1)
                    if ix0 < ix1 and iy0 < iy1:
                        gained = int(np.count_nonzero(new[iy0 - cy0:iy1 - cy0,
                                                          ix0 - cx0:ix1 - cx0]))
                        if gained:
                            counts[j] += gained
                            heapq.heappush(heap, (-counts[j] / hd._area(windows[j]), j))
        return result

    def _predict(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        raise NotImplementedError


DEFAULT_TILE_SIZE = 1024  # long side of one call of an engine that works at any size


def _sub_progress(progress: ProgressFn, start: float, stop: float) -> ProgressFn:
    """`progress` for a step that covers [start, stop] of the whole job."""
    return lambda f, message: progress(start + (stop - start) * f, message)


def _binary(mask: np.ndarray, threshold: int) -> np.ndarray:
    """0/255 hole mask: the pixels of `mask` above `threshold`."""
    return np.where(mask > threshold, 255, 0).astype(np.uint8)


# --------------------------------------------------------------------------------------------
# Colorization


class Hint(NamedTuple):
    """A colour hint in image pixel coordinates: x to the right, y down, rgb 0..255.

    `size`: the side of the square patch the hint colours, in image pixels, centred on the
    pixel (ideepcolor's patch size); None = the engine's own default patch."""

    x: float
    y: float
    rgb: tuple[int, int, int]
    size: float | None = None


class ChromaHint(NamedTuple):
    """A hint as a colorizer's `_predict` gets it: working-resolution pixels, Lab chroma.

    `size`: the patch side in working-resolution pixels (at least 1), None = the engine's
    default patch."""

    x: float
    y: float
    a: float
    b: float
    size: float | None = None


@dataclass(frozen=True)
class ColorizeOptions:
    """`working_size`: long side (pixels) at which chroma is predicted; None = the engine's."""

    working_size: int | None = None

    def __post_init__(self) -> None:
        if self.working_size is not None and self.working_size < 8:
            raise ValueError(f"working size must be >= 8, got {self.working_size}")


@dataclass
class ColorizeResult:
    """The colorized image and notes for the user (e.g. NOTE_FROM_LUMINANCE)."""

    image: np.ndarray
    notes: list[str] = field(default_factory=list)


def is_colour(image: np.ndarray, tolerance: int = 8, fraction: float = 0.005) -> bool:
    """True when more than `fraction` of the pixels have channels differing by > tolerance.

    JPEG noise in a gray scan saved as RGB stays below the tolerance.
    """
    step = max(1, int(np.sqrt(image.shape[0] * image.shape[1] / 250_000)))
    sample = image[::step, ::step].astype(np.int16)
    spread = sample.max(axis=2) - sample.min(axis=2)
    return float(np.mean(spread > tolerance)) > fraction


def rgb_to_lab(image: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float32 Lab (L in [0, 100], ab about [-110, 110])."""
    return cv2.cvtColor(image.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)


_GRAY_LIGHTNESS: np.ndarray | None = None


def lightness(image: np.ndarray) -> np.ndarray:
    """CIE L (float32 H x W, [0, 100]) of a uint8 RGB image, as cv2's float Lab gives it.

    A gray image (all channels equal, the usual scan) goes through a 256-entry table, which
    is several times faster than the full conversion on a 12 MP photo.
    """
    global _GRAY_LIGHTNESS
    red = cv2.extractChannel(image, 0)
    if np.array_equal(red, cv2.extractChannel(image, 1)) \
            and np.array_equal(red, cv2.extractChannel(image, 2)):
        if _GRAY_LIGHTNESS is None:
            levels = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
            _GRAY_LIGHTNESS = np.ascontiguousarray(rgb_to_lab(levels)[:, :, 0])
        return cv2.LUT(red, _GRAY_LIGHTNESS)
    return rgb_to_lab(image)[:, :, 0].copy()


def lab_to_rgb(luma: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """float32 L (H x W) and ab (H x W x 2) -> uint8 RGB, rounded.

    Where L and ab make a colour outside sRGB, the chroma is shrunk (hue and L kept) until
    it fits, rather than clipping each channel, which would change the luminance and hue.
    """
    lab = cv2.merge([luma.astype(np.float32), ab[:, :, 0].astype(np.float32),
                     ab[:, :, 1].astype(np.float32)])
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)  # clips to [0, 1] by itself
    outside = _outside_gamut(lab, rgb)
    if outside.any():
        ys, xs = np.nonzero(outside)
        rgb[ys, xs] = _fit_gamut(lab[ys, xs])
    return cv2.convertScaleAbs(rgb, alpha=255.0)


_GAMUT_TOLERANCE = (0.3, 1.0, 1.0)  # L, a, b: above float round-trip noise


def _outside_gamut(lab: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Where cv2 had to clip: the clipped RGB no longer converts back to the same Lab."""
    diff = cv2.absdiff(cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab), lab)
    return cv2.inRange(diff, (0, 0, 0), _GAMUT_TOLERANCE) == 0


def _fit_gamut(lab: np.ndarray, steps: int = 10) -> np.ndarray:
    """RGB of Lab colours (N x 3) with ab scaled down by bisection until inside sRGB."""
    lab = np.ascontiguousarray(lab.reshape(-1, 1, 3))
    lo = np.zeros((len(lab), 1, 1), np.float32)  # ab x 0 (gray) is always inside
    hi = np.ones_like(lo)
    scaled = lab.copy()
    for _ in range(steps):
        mid = (lo + hi) / 2
        scaled[:, :, 1:] = lab[:, :, 1:] * mid
        inside = ~_outside_gamut(scaled, cv2.cvtColor(scaled, cv2.COLOR_Lab2RGB))
        lo = np.where(inside[:, :, None], mid, lo)
        hi = np.where(inside[:, :, None], hi, mid)
    scaled[:, :, 1:] = lab[:, :, 1:] * lo
    return cv2.cvtColor(scaled, cv2.COLOR_Lab2RGB).reshape(-1, 3)


class Colorizer(Engine):
    """Base class of colorization engines. Subclasses set the metadata and `_predict`.

    `colorize` takes the luminance of the image at full resolution, shrinks it so its long
    side is at most the working size, asks `_predict(lightness, hints, cancel, progress)` for
    the chroma (ab, float32 h x w x 2) at that size, upsamples the chroma bilinearly and puts
    it onto the full-resolution luminance. So the output's L is the input's L (up to uint8
    rounding) and all detail comes from the original scan.
    """

    working_size: int = 256
    pad_multiple: int = 1
    needs_hints: bool = False  # True: without hints the result is the gray image
    uses_hints: bool = True  # False: automatic only, hints are accepted and ignored

    def colorize(self, image: np.ndarray, hints: Sequence = (),
                 options: ColorizeOptions | None = None, cancel: CancelToken | None = None,
                 progress: ProgressFn | None = None) -> ColorizeResult:
        """Colorize `image` (RGB uint8; a colour image is colorized from its luminance).

        `hints` are (x, y, (r, g, b)) or (x, y, (r, g, b), size) in image pixels (e.g.
        `Hint`; size: the patch side, None = the engine's default); one outside the image
        raises ValueError. Returns a ColorizeResult with the image and notes for the user.
        """
        options = options or ColorizeOptions()
        cancel = cancel or CancelToken()
        progress = progress or _no_progress
        image, hints = self._checked(image, hints)
        h, w = image.shape[:2]
        notes = []
        if is_colour(image):
            notes.append(NOTE_FROM_LUMINANCE)
        if hints and not self.uses_hints:
            notes.append(NOTE_HINTS_IGNORED)
        cancel.check()
        progress(0.0, f"{self.label or self.name}: luminance")
        luma = lightness(image)
        if self.needs_hints and not hints:
            notes.append(NOTE_NO_HINTS)
            ab = np.zeros((h, w, 2), np.float32)
            progress(1.0, "done")
            return ColorizeResult(lab_to_rgb(luma, ab), notes)
        small_l, chroma_hints = self._working_inputs(
            luma, hints, options.working_size or self.working_size)
        sh, sw = small_l.shape
        padded = hd.pad_to_multiple(small_l, self.pad_multiple)
        ab = self._predict(padded, chroma_hints, cancel, progress)
        if not isinstance(ab, np.ndarray) or ab.shape != padded.shape + (2,):
            raise RuntimeError(f"{self.name}: _predict returned {getattr(ab, 'shape', None)}, "
                               f"expected {padded.shape + (2,)}")
        ab = np.ascontiguousarray(hd.unpad(ab, sh, sw), dtype=np.float32)
        cancel.check()
        progress(0.9, f"{self.label or self.name}: full resolution")
        if (sw, sh) != (w, h):
            ab = cv2.resize(ab, (w, h), interpolation=cv2.INTER_LINEAR)
        result = lab_to_rgb(luma, ab)
        progress(1.0, "done")
        return ColorizeResult(result, notes)

    def suggest_colours(self, image: np.ndarray, hints: Sequence, x: float, y: float,
                        count: int = 6) -> list[tuple[int, int, int]]:
        """The engine's most likely colours at pixel (x, y) of ``image`` given ``hints``, as
        RGB at that pixel's lightness, most likely first (the colour palette of the Colour
        hint tool). [] for engines that have no colour distribution (the classical ones)."""
        return []

    def _checked(self, image: np.ndarray, hints: Sequence) -> tuple[np.ndarray, list[Hint]]:
        """(the image as RGB uint8, the hints checked against its size); ValueError for bad
        input (a gray H x W image is accepted and made RGB)."""
        if isinstance(image, np.ndarray) and image.ndim == 2 and image.dtype == np.uint8:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        _check_image(image)
        h, w = image.shape[:2]
        return image, [self._check_hint(i, hint, w, h) for i, hint in enumerate(hints)]

    @staticmethod
    def _working_inputs(luma: np.ndarray, hints: Sequence[Hint],
                        size: int) -> tuple[np.ndarray, list[ChromaHint]]:
        """(L shrunk so its long side is at most ``size``, the hints in its pixels as Lab
        chroma, their patch sizes scaled alike) of the full-resolution L and checked hints."""
        h, w = luma.shape
        sw, sh = hd.fit_size(w, h, size)
        small_l = luma if (sw, sh) == (w, h) else cv2.resize(
            luma, (sw, sh), interpolation=cv2.INTER_AREA)
        sx, sy = sw / w, sh / h
        chroma_hints = []
        for x, y, rgb, patch in hints:
            lab = rgb_to_lab(np.array([[rgb]], dtype=np.uint8))[0, 0]
            if patch is not None:  # image pixels -> working pixels, never below one
                patch = max(1.0, patch * 0.5 * (sx + sy))
            chroma_hints.append(ChromaHint(min((x + 0.5) * sx - 0.5, sw - 1.0),
                                           min((y + 0.5) * sy - 0.5, sh - 1.0),
                                           float(lab[1]), float(lab[2]), patch))
        return small_l, chroma_hints

    @staticmethod
    def _check_hint(index: int, hint, width: int, height: int) -> Hint:
        try:
            x, y, rgb, *rest = hint  # (x, y, rgb) or (x, y, rgb, size)
            if len(rest) > 1:
                raise ValueError
            size = rest[0] if rest else None
            x, y = float(x), float(y)
            r, g, b = (int(c) for c in rgb)
            size = None if size is None else float(size)
        except (TypeError, ValueError):
            raise ValueError(f"hint {index + 1}: expected (x, y, (r, g, b)) or "
                             f"(x, y, (r, g, b), size), got {hint!r}") from None
        if not (0 <= x < width and 0 <= y < height):
            raise ValueError(f"hint {index + 1} at ({x:g}, {y:g}) is outside the "
                             f"{width}x{height} image")
        if not all(0 <= c <= 255 for c in (r, g, b)):
            raise ValueError(f"hint {index + 1}: colour {rgb!r} is not 0..255 RGB")
        if size is not None and not (math.isfinite(size) and size > 0):
            raise ValueError(f"hint {index + 1}: patch size {size:g} is not a positive number")
        return Hint(x, y, (r, g, b), size)

    def _predict(self, lightness: np.ndarray, hints: list[ChromaHint], cancel: CancelToken,
                 progress: ProgressFn) -> np.ndarray:
        raise NotImplementedError


# --------------------------------------------------------------------------------------------
# Damage detection

DEFAULT_SENSITIVITY = 0.5


class DamageDetector(Engine):
    """Base class of damage detectors (scratches, dust, cracks, tears on old photos).

    `detect(image)` returns a uint8 H x W confidence map of the image's own size (255 =
    surely damaged); `damage_mask(confidence, sensitivity)` turns it into a mask. Keeping the
    confidence lets the editor's sensitivity slider re-threshold live without running the
    model again. Subclasses implement `_predict(image, cancel, progress)` -> that map.
    """

    def detect(self, image: np.ndarray, cancel: CancelToken | None = None,
               progress: ProgressFn | None = None) -> np.ndarray:
        """Confidence of damage per pixel (uint8 H x W). Raises ValueError for bad input,
        Cancelled when `cancel` is set (checked between model calls)."""
        _check_image(image)
        cancel = cancel or CancelToken()
        progress = progress or _no_progress
        progress(0.0, f"{self.label or self.name}: looking for damage")
        out = self._predict(image, cancel, progress)
        progress(1.0, "done")
        return out

    def _predict(self, image: np.ndarray, cancel: CancelToken,
                 progress: ProgressFn) -> np.ndarray:
        raise NotImplementedError


def damage_mask(confidence: np.ndarray, sensitivity: float = DEFAULT_SENSITIVITY) -> np.ndarray:
    """uint8 mask (255 = damaged) of a confidence map: a pixel counts when its confidence is
    above 1 - `sensitivity` (0 finds nothing, 1 everything the detector saw at all)."""
    if not 0.0 <= sensitivity <= 1.0:
        raise ValueError(f"sensitivity must be between 0 and 1, got {sensitivity}")
    if sensitivity <= 0.0:
        return np.zeros(confidence.shape, np.uint8)
    level = int(round(255 * (1.0 - sensitivity)))
    return np.where(confidence > level, 255, 0).astype(np.uint8)


# --------------------------------------------------------------------------------------------
# Object selection

Point = tuple[float, float]


class Selector(Engine):
    """Base class of object selectors: image + a box and/or clicks -> the object's mask.

    `select(image, box, positive, negative, previous)` checks the request and returns a uint8
    H x W mask of the image's size, 255 = the object. `box` is (x0, y0, x1, y1) in image
    pixels (x1, y1 exclusive), `positive` / `negative` are clicks (x, y) on the object / on
    what is not the object, `previous` an earlier answer (uint8 mask) to refine. A box or at
    least one positive click is needed. Subclasses implement `_predict(image, box, positive,
    negative, previous, cancel, progress)` with the checked request (box clipped to whole
    pixels, or None; clicks as float tuples) -> that mask.
    """

    def select(self, image: np.ndarray, box: Sequence[float] | None = None,
               positive: Sequence[Point] = (), negative: Sequence[Point] = (),
               previous: np.ndarray | None = None, cancel: CancelToken | None = None,
               progress: ProgressFn | None = None) -> np.ndarray:
        """The object's mask (uint8, 255 = object). Raises ValueError for a bad request (no
        box and no positive click, a box outside the image or empty, a click outside the
        image, a previous mask of another size), Cancelled when `cancel` is set."""
        _check_image(image)
        cancel = cancel or CancelToken()
        progress = progress or _no_progress
        h, w = image.shape[:2]
        checked_box = None if box is None else check_box(box, w, h)
        pos = [_check_click(p, w, h, "click") for p in positive]
        neg = [_check_click(p, w, h, "negative click") for p in negative]
        if checked_box is None and not pos:
            raise ValueError("nothing to select from: give a box or a click on the object")
        if previous is not None:
            if not isinstance(previous, np.ndarray) or previous.shape != (h, w) \
                    or previous.dtype != np.uint8:
                raise ValueError(f"the previous mask must be {w}x{h} uint8, got "
                                 f"{getattr(previous, 'shape', None)}")
        cancel.check()
        progress(0.0, f"{self.label or self.name}: selecting")
        out = self._predict(image, checked_box, pos, neg, previous, cancel, progress)
        if not isinstance(out, np.ndarray) or out.shape != (h, w) or out.dtype != np.uint8:
            raise RuntimeError(f"{self.name}: _predict returned {getattr(out, 'shape', None)}"
                               f" {getattr(out, 'dtype', None)}, expected ({h}, {w}) uint8")
        progress(1.0, "done")
        return out

    def _predict(self, image: np.ndarray, box: tuple[int, int, int, int] | None,
                 positive: list[Point], negative: list[Point], previous: np.ndarray | None,
                 cancel: CancelToken, progress: ProgressFn) -> np.ndarray:
        raise NotImplementedError


def check_box(box: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) on whole pixels, ordered, clipped to the image; ValueError if it is
    not four numbers, lies wholly outside the image or is empty (under a pixel wide)."""
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise ValueError(f"a box is four numbers x0 y0 x1 y1, got {box!r}") from None
    if not all(np.isfinite(v) for v in (x0, y0, x1, y1)):
        raise ValueError(f"the box {box!r} is not finite")
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
        raise ValueError(f"the box ({x0:g}, {y0:g}, {x1:g}, {y1:g}) is outside the "
                         f"{width}x{height} image")
    cx0, cy0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
    cx1, cy1 = min(width, int(np.ceil(x1))), min(height, int(np.ceil(y1)))
    if x1 - x0 < 1 or y1 - y0 < 1 or cx1 - cx0 < 1 or cy1 - cy0 < 1:
        raise ValueError(f"the box ({x0:g}, {y0:g}, {x1:g}, {y1:g}) is empty: it must be at "
                         f"least a pixel wide and high")
    return cx0, cy0, cx1, cy1


def _check_click(point, width: int, height: int, what: str) -> Point:
    try:
        x, y = (float(v) for v in point)
    except (TypeError, ValueError):
        raise ValueError(f"a {what} is two numbers x y, got {point!r}") from None
    if not (0 <= x < width and 0 <= y < height):
        raise ValueError(f"the {what} at ({x:g}, {y:g}) is outside the {width}x{height} image")
    return x, y


# --------------------------------------------------------------------------------------------
# Registry


@dataclass(frozen=True)
class EngineInfo:
    """What the registry knows of an engine without building it.

    `factory(device)` builds it; `priority` orders the list and picks the default (the
    highest wins: classical engines use 0 and below, learned models will use more).
    """

    name: str
    kind: str  # INPAINT, COLORIZE, DETECT or SELECT
    label: str
    description: str
    factory: Callable[[str], Inpainter | Colorizer | DamageDetector | Selector]
    priority: int = 0
    uses_device: bool = False


_REGISTRY: dict[str, dict[str, EngineInfo]] = {INPAINT: {}, COLORIZE: {}, DETECT: {},
                                                SELECT: {}}


def register(cls=None, *, priority: int = 0):
    """Register an Inpainter, Colorizer, DamageDetector or Selector subclass by its `name`
    (usable as a decorator).

    `@register` or `@register(priority=10)`. Registering a name again replaces it.
    """

    def do(cls):
        if issubclass(cls, Inpainter):
            kind = INPAINT
        elif issubclass(cls, Colorizer):
            kind = COLORIZE
        elif issubclass(cls, DamageDetector):
            kind = DETECT
        elif issubclass(cls, Selector):
            kind = SELECT
        else:
            raise TypeError(f"{cls!r} is not an Inpainter, Colorizer, DamageDetector or "
                            f"Selector")
        if not cls.name:
            raise ValueError(f"{cls.__name__} has no name")
        register_info(EngineInfo(cls.name, kind, cls.label or cls.name, cls.description, cls,
                                 priority, cls.uses_device))
        return cls

    return do(cls) if cls is not None else do


def register_info(info: EngineInfo) -> None:
    """Register an engine built by a factory (e.g. one weights file of a learned model)."""
    if info.kind not in _REGISTRY:
        raise ValueError(f"unknown engine kind {info.kind!r}")
    _REGISTRY[info.kind][info.name] = info


def unregister(name: str) -> None:
    for engines in _REGISTRY.values():
        engines.pop(name, None)


def _sorted(kind: str) -> list[EngineInfo]:
    return sorted(_REGISTRY[kind].values(), key=lambda info: (-info.priority, info.name))


def inpainters() -> list[EngineInfo]:
    """Registered inpainting engines, the default first."""
    return _sorted(INPAINT)


def colorizers() -> list[EngineInfo]:
    """Registered colorization engines, the default first."""
    return _sorted(COLORIZE)


def detectors() -> list[EngineInfo]:
    """Registered damage detectors, the default first."""
    return _sorted(DETECT)


def selectors() -> list[EngineInfo]:
    """Registered object selectors, the default first."""
    return _sorted(SELECT)


def default_inpainter() -> str:
    """Name of the default inpainting engine (the highest priority)."""
    return _default(INPAINT)


def default_colorizer() -> str:
    """Name of the default colorization engine (the highest priority)."""
    return _default(COLORIZE)


def _default(kind: str) -> str:
    engines = _sorted(kind)
    if not engines:
        raise UnknownModel("(default)", kind, [])
    return engines[0].name


def engine_info(kind: str, name: str | None = None) -> EngineInfo:
    """The registry entry of `name` (None = the default); unknown -> UnknownModel."""
    name = name or _default(kind)
    try:
        return _REGISTRY[kind][name]
    except KeyError:
        raise UnknownModel(name, kind, [info.name for info in _sorted(kind)]) from None


def get_inpainter(name: str | None = None, device: str = "auto") -> Inpainter:
    """Build the inpainter `name` (None = default) on `device` (see `select_device`).

    Engines that do not use torch ignore the device and never import torch.
    """
    return _get(INPAINT, name, device)


def get_colorizer(name: str | None = None, device: str = "auto") -> Colorizer:
    """Build the colorizer `name` (None = default) on `device` (see `select_device`)."""
    return _get(COLORIZE, name, device)


def get_detector(name: str | None = None, device: str = "auto") -> DamageDetector:
    """Build the damage detector `name` (None = default) on `device`."""
    return _get(DETECT, name, device)


def get_selector(name: str | None = None, device: str = "auto") -> Selector:
    """Build the object selector `name` (None = default) on `device`."""
    return _get(SELECT, name, device)


def _get(kind: str, name: str | None, device: str):
    """A named engine must build; for the default, an engine whose weights fail to load
    (damaged file, checksum mismatch) falls back to the next one, down to the classical
    engines, which always build. The failures are kept in `fallback_problems`."""
    if name is not None:
        return _build(engine_info(kind, name), device)
    engines = _sorted(kind)
    if not engines:
        raise UnknownModel("(default)", kind, [])
    for info in engines[:-1]:
        try:
            return _build(info, device)
        except (ValueError, OSError, RuntimeError) as e:  # WeightsError is a ValueError
            fallback_problems.append(f"{info.name}: {str(e).strip().splitlines()[0]}")
    return _build(engines[-1], device)


fallback_problems: list[str] = []


def _build(info: EngineInfo, device: str):
    return info.factory(select_device(device) if info.uses_device else "cpu")


DEVICES = ("auto", "cpu", "cuda", "mps")


def select_device(request: str = "auto") -> str:
    """"auto" -> "cuda" if available, else "mps", else "cpu"; an explicit request is checked.

    Returns a torch device string. A requested device that is not available raises
    ValueError. torch is imported here, not when this module is imported.
    """
    if request not in DEVICES:
        raise ValueError(f"unknown device {request!r} (choose from {', '.join(DEVICES)})")
    if request == "cpu":
        return "cpu"
    import torch

    cuda = torch.cuda.is_available()
    mps_backend = getattr(torch.backends, "mps", None)
    mps = bool(mps_backend and mps_backend.is_available())
    if request == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if request == "cuda" and not cuda:
        raise ValueError("device 'cuda' was requested but no CUDA GPU is available")
    if request == "mps" and not mps:
        raise ValueError("device 'mps' was requested but Apple MPS is not available")
    return request
