"""Restore an old photo: find the damage, fill it on the gray photo, colorize (optional).

The pipeline of the restoration contest write-up (mask detector -> inpainting -> colorizer),
as the CLI's `restore` and the editor's one-click Restore run it. Each step is an ordinary
engine (models/engine.py), so any detector, inpainter and colorizer combine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from .engine import (
    DEFAULT_SENSITIVITY,
    CancelToken,
    Colorizer,
    DamageDetector,
    Inpainter,
    InpaintOptions,
    NothingToDo,
    ProgressFn,
    _no_progress,
    _sub_progress,
    damage_mask,
)


def grow_pixels(width: int, height: int) -> int:
    """How far the found damage is grown before filling: ~1 px per 1000 px of long side
    (1-6), so the soft rim of a scratch and the JPEG ringing around a speck go too."""
    return int(min(6, max(1, round(max(width, height) / 1000))))


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    if pixels <= 0 or not mask.any():
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask, kernel)


def gray_rgb(image: np.ndarray) -> np.ndarray:
    """The photo's gray (BT.601 luma) as 3 equal channels: what an old print is restored on."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(np.repeat(gray[..., None], 3, axis=2))


@dataclass
class Restored:
    image: np.ndarray  # the restored photo (gray as RGB, or colorized), the input's size
    mask: np.ndarray  # the damage that was filled, uint8 255 = damaged (after growing)
    notes: list[str] = field(default_factory=list)


def restore(image: np.ndarray, detector: DamageDetector, inpainter: Inpainter,
            colorizer: Colorizer | None = None, sensitivity: float = DEFAULT_SENSITIVITY,
            hints: Sequence = (), options: InpaintOptions | None = None,
            cancel: CancelToken | None = None, progress: ProgressFn | None = None) -> Restored:
    """Detect, fill (on the gray photo) and, with a colorizer, colorize. Raises what the
    engines raise (ValueError for bad input or a photo that is all damage, Cancelled)."""
    cancel = cancel or CancelToken()
    progress = progress or _no_progress
    confidence = detector.detect(image, cancel, _sub_progress(progress, 0.0, 0.3))
    h, w = image.shape[:2]
    mask = grow(damage_mask(confidence, sensitivity), grow_pixels(w, h))
    notes = []
    gray = gray_rgb(image)
    try:
        filled = inpainter.inpaint(gray, mask, options, cancel, _sub_progress(progress, 0.3, 0.8))
        share = np.count_nonzero(mask) / mask.size
        notes.append(f"filled {share:.2%} of the photo as damage")
    except NothingToDo:
        filled = gray
        notes.append("no damage found")
    if colorizer is None:
        progress(1.0, "done")
        return Restored(filled, mask, notes)
    result = colorizer.colorize(filled, hints, cancel=cancel,
                                progress=_sub_progress(progress, 0.8, 1.0))
    return Restored(result.image, mask, notes + list(result.notes))
