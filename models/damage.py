"""The classical damage detector: "dust & scratches" by the difference from a median.

Scratches, dust specks and hairs are thin and much brighter or darker than what is around
them; a median filter removes them and keeps edges. So the absolute difference between the
gray photo and its median (5 x 5 for specks and lines up to ~2 px, 11 x 11 up to ~5 px),
measured against the photo's own noise level, says how likely a pixel is damaged. Film grain
and fine texture also differ from their median, which is why this is the fallback and the
baseline, not the default: it cannot tell grain from dust, nor see a torn corner or a stain.
"""

from __future__ import annotations

import cv2
import numpy as np

from .engine import CancelToken, DamageDetector, ProgressFn, register

KERNELS = (5, 11)
BAND = 1024  # rows per median pass: bounded memory and a cancel check on 24 MP scans


def noise_level(gray: np.ndarray) -> float:
    """Robust noise sigma (in gray levels) from the 3 x 3 median residual of a sample."""
    step = max(1, int(np.sqrt(gray.size / 1_000_000)))  # ~1 MP sample is plenty
    sample = np.ascontiguousarray(gray[::step, ::step])
    residual = np.abs(sample.astype(np.int16) - cv2.medianBlur(sample, 3))
    return float(1.4826 * np.median(residual))


@register
class MedianDetector(DamageDetector):
    name = "median"
    label = "Dust & scratches (median)"
    description = ("classical: pixels far from their neighbourhood's median, relative to the "
                   "photo's noise (specks and lines up to ~5 px; not stains or tears)")

    def _predict(self, image: np.ndarray, cancel: CancelToken,
                 progress: ProgressFn) -> np.ndarray:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        sigma = noise_level(gray)
        # confidence 0 at 2 sigma + 6 levels, 255 at 6 sigma + 30: grain stays below
        lo, hi = 2.0 * sigma + 6.0, 6.0 * sigma + 30.0
        h = gray.shape[0]
        pad = max(KERNELS) // 2
        out = np.empty(gray.shape, np.uint8)
        for y0 in range(0, h, BAND):
            cancel.check()
            a, b = max(0, y0 - pad), min(h, y0 + BAND + pad)
            band = gray[a:b]
            diff = np.zeros(band.shape, np.int16)
            for k in KERNELS:
                np.maximum(diff, np.abs(band.astype(np.int16) - cv2.medianBlur(band, k)),
                           out=diff)
            conf = (diff.astype(np.float32) - lo) * (255.0 / (hi - lo))
            out[y0 : min(h, y0 + BAND)] = np.clip(conf, 0, 255)[y0 - a : y0 - a + BAND]
            progress(min(1.0, (y0 + BAND) / h), "looking for dust and scratches")
        return out
