"""The one compositing step every engine's result goes through.

`composite(image, mask, prediction)` returns `mask * prediction + (1 - mask) * image` with the
mask read as alpha (0..255). It is computed in integers with rounding, so where the mask is 0
the result is bit-identical to the image and where it is 255 it is the prediction exactly;
the soft edge of a feathered mask blends the two.
"""

from __future__ import annotations

import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), in image pixels


def composite(image: np.ndarray, mask: np.ndarray, prediction: np.ndarray,
              box: Box | None = None) -> np.ndarray:
    """Blend `prediction` into a copy of `image` through `mask` (uint8, 255 = prediction).

    `prediction` covers `box` of the image (the whole image when `box` is None), so an engine
    that worked on a small part of a large photo never needs a full-size prediction array.
    Pixels outside `box` are copied unchanged; so are pixels inside it where the mask is 0.
    """
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (0, 0, w, h) if box is None else box
    if not (0 <= x0 <= x1 <= w and 0 <= y0 <= y1 <= h):
        raise ValueError(f"box {box} is outside the {w}x{h} image")
    if prediction.shape != (y1 - y0, x1 - x0) + image.shape[2:]:
        raise ValueError(f"prediction is {prediction.shape}, expected "
                         f"{(y1 - y0, x1 - x0) + image.shape[2:]} for box {box}")
    out = image.copy()
    if x1 == x0 or y1 == y0:
        return out
    alpha = mask[y0:y1, x0:x1].astype(np.uint16)
    if image.ndim == 3:
        alpha = alpha[:, :, None]
    blended = (prediction.astype(np.uint16) * alpha
               + image[y0:y1, x0:x1].astype(np.uint16) * (255 - alpha) + 127) // 255
    out[y0:y1, x0:x1] = blended.astype(np.uint8)
    return out
