"""Colour statistics of photos that need no torch: the Lab conversion of the trainer and the
near-monochrome rule (so that ``python -m trainer --scan`` of a colorize folder starts fast)."""

from __future__ import annotations

import cv2
import numpy as np

from trainer.data import PhotoSet

MONO_CHROMA_STD = 3.0  # ab units; gray or evenly toned prints are near 0, colour photos ~15


def chroma_std(rgb: np.ndarray, side: int = 128) -> float:
    """sqrt(var a + var b) of a photo (downscaled to ``side`` for speed), in Lab ab units."""
    h, w = rgb.shape[:2]
    if max(h, w) > side:
        s = side / max(h, w)
        rgb = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))),
                         interpolation=cv2.INTER_AREA)
    lab = to_lab(rgb)
    return float(np.sqrt(lab[..., 1].var() + lab[..., 2].var()))


def drop_monochrome(photos: PhotoSet, threshold: float = MONO_CHROMA_STD) -> PhotoSet:
    """The colour photos of ``photos``; the others are added to its ``skipped`` list."""
    keep = []
    for i, img in enumerate(photos.images):
        std = chroma_std(img)
        if std < threshold:
            photos.skipped.append(
                (photos.paths[i], f"near-monochrome (chroma std {std:.1f} < {threshold:g})"))
        else:
            keep.append(i)
    out = photos.subset(keep)
    out.skipped = photos.skipped
    return out


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB (... x 3) -> float32 Lab, as the app's engines convert."""
    return cv2.cvtColor(rgb.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)
