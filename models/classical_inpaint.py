"""Classical inpainting engines (OpenCV): they need no weights and always work.

- telea: Telea 2004, fast marching; smooth fills, blurs texture.
- navier-stokes: Bertalmio et al. 2001, continues isophotes; similar look to Telea.
- fsr: frequency-selective reconstruction (Seiler et al. 2015; Genser et al. 2018), the fast
  variant of cv2.xphoto: models each block as a sparse sum of Fourier basis functions, so it
  continues texture and straight structures better than the diffusion methods.

The default (Navier-Stokes) was chosen from `bench/inpaint_quality.py` and
`bench/engine_speed.py`; the numbers are in the comment above NavierStokesInpainter.
"""

from __future__ import annotations

import cv2
import numpy as np

from .engine import Inpainter, register

# Radius (pixels) of the neighbourhood the diffusion methods average over. 3 is OpenCV's
# sample value; larger radii blur more and measure no better on the val photos.
DIFFUSION_RADIUS = 3
FSR_BORDER = 16  # pixels of mirrored margin around an FSR input (see _FSRInpaint)


class _OpenCVInpaint(Inpainter):
    flag = cv2.INPAINT_TELEA

    def _predict(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        out = cv2.inpaint(bgr, hole, DIFFUSION_RADIUS, self.flag)
        return cv2.cvtColor(out, cv2.COLOR_BGR2RGB)


@register(priority=-10)
class TeleaInpainter(_OpenCVInpaint):
    name = "telea"
    label = "Telea (OpenCV)"
    description = "Fast marching fill (Telea 2004): instant, smooth, blurs texture."
    flag = cv2.INPAINT_TELEA


# The default classical inpainter: Navier-Stokes. bench/inpaint_quality.py on the 24 val
# photos (hole PSNR / hole SSIM, mean over object blobs, brush strokes and thin scratches):
#   telea 23.87 dB / 0.725, navier-stokes 24.17 / 0.739, fsr 25.67 / 0.767,
# at 0.03 s, 0.03 s and 1.6 s per photo. FSR fills best but is ~50x slower: about 5 s for a
# 400x400 object on a 12 MP photo, against the 1 s target (navier-stokes: 0.11 s,
# bench/engine_speed.py). Navier-Stokes is as fast as Telea and better in SSIM on every mask
# kind, so it has the best quality per time.
@register(priority=0)
class NavierStokesInpainter(_OpenCVInpaint):
    name = "navier-stokes"
    label = "Navier-Stokes (OpenCV)"
    description = "Fluid-dynamics fill (Bertalmio et al. 2001): instant, smooth, blurs texture."
    flag = cv2.INPAINT_NS


class _FSRInpaint(Inpainter):
    flag = cv2.xphoto.INPAINT_FSR_FAST
    # FSR costs about 0.3 ms per hole pixel once a hole is larger than a few blocks (measured
    # on 2 busy cores: a 64x64 hole in a 96x96 input 1.6 s, 128x128 in 192x192 10 s), and one
    # cv2 call cannot be interrupted. So a large fill goes in calls of 96 x 96 (a 48 x 48
    # core with 24 px of context, more than FSR's own neighbourhood): cancel within a second.
    # The hole pixels around a core stay holes (no coarse guide, tile_guide False): FSR is
    # local, and the blurred guide cost thin scratches 1-4 dB. Hole PSNR on 4 val photos x 3
    # mask kinds (crop strategy): 32.14 dB in one call, 31.86 tiled so, 30.90 with the guide.
    # (On one large smooth hole the guide did better: tiles trade a little FSR quality on
    # object-sized holes for a bounded call.)
    # The diffusion engines take 0.3 s for a 1024 x 1024 hole and keep the default tiles.
    tile_size = 96
    tile_margin = 24
    tile_guide = False

    def _predict(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        # FSR reconstructs blocks; a block cut by the image border comes out wrong (streaks
        # of false colour along the border, hole PSNR 25 instead of 40 dB on scratches), so
        # the image is mirrored by a margin first and the margin dropped afterwards.
        p = FSR_BORDER
        bgr = cv2.copyMakeBorder(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), p, p, p, p,
                                 cv2.BORDER_REFLECT_101)
        # xphoto's mask is inverted: non-zero = valid pixel, zero = to be filled.
        valid = cv2.copyMakeBorder(np.where(hole > 0, 0, 255).astype(np.uint8), p, p, p, p,
                                   cv2.BORDER_REFLECT_101)
        out = np.zeros_like(bgr)
        cv2.xphoto.inpaint(bgr, valid, out, self.flag)
        h, w = image.shape[:2]
        return cv2.cvtColor(out[p:p + h, p:p + w], cv2.COLOR_BGR2RGB)


@register(priority=-10)
class FSRInpainter(_FSRInpaint):
    name = "fsr"
    label = "Frequency-selective (OpenCV)"
    description = ("Frequency-selective reconstruction (Seiler et al. 2015): best classical "
                   "fill of texture and edges, but seconds per photo; good for scratches.")
    flag = cv2.xphoto.INPAINT_FSR_FAST


# INPAINT_FSR_BEST is not registered: it took 5-14 s on a 64x48 test image and 5 s on a
# 200x200 crop with an 80-pixel hole, minutes for an object on a photo; not usable here.
