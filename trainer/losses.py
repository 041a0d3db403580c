"""Training losses for inpainting (and the seed designs' terms).

The default inpainting loss mixes:

- L1 on the hole (per hole pixel) and, lightly, on the known pixels;
- an L1 on image gradients inside the (slightly grown) hole, which rewards edges and texture
  that a per-pixel loss alone averages away, and keeps the fill continuous across the seam;
- 1 - SSIM over the hole, for local structure and contrast.

No adversarial or perceptual term by default: PSNR is the headline metric, and no pretrained
feature network exists offline.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from trainer.metrics import ssim_map


@dataclass
class InpaintLossWeights:
    hole: float = 1.0
    valid: float = 0.1
    grad: float = 0.5
    ssim: float = 0.2


def masked_mean(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Mean of ``x`` over pixels where ``m`` is 1 (m broadcast over channels), per batch."""
    m = m.expand_as(x)
    return (x * m).sum() / m.sum().clamp_min(1.0)


def grow(mask: torch.Tensor, pixels: int) -> torch.Tensor:
    """Dilate a B x 1 x H x W 0/1 mask by ``pixels`` (square structuring element)."""
    if pixels <= 0:
        return mask
    return F.max_pool2d(mask, 2 * pixels + 1, stride=1, padding=pixels)


def gradient_l1(pred: torch.Tensor, target: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """L1 between horizontal and vertical differences of two images, over ``region``."""
    dpx = pred[..., :, 1:] - pred[..., :, :-1]
    dtx = target[..., :, 1:] - target[..., :, :-1]
    dpy = pred[..., 1:, :] - pred[..., :-1, :]
    dty = target[..., 1:, :] - target[..., :-1, :]
    rx = torch.maximum(region[..., :, 1:], region[..., :, :-1])
    ry = torch.maximum(region[..., 1:, :], region[..., :-1, :])
    return 0.5 * (masked_mean((dpx - dtx).abs(), rx) + masked_mean((dpy - dty).abs(), ry))


def inpaint_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor,
    weights: InpaintLossWeights | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """(total loss, its terms) for a raw prediction; images in [0, 1], mask 1 = hole."""
    w = weights or InpaintLossWeights()
    valid = 1.0 - mask
    err = (pred - target).abs()
    terms = {"hole": masked_mean(err, mask), "valid": masked_mean(err, valid)}
    comp = pred * mask + target * valid
    band = grow(mask, 2)
    if w.grad:
        terms["grad"] = gradient_l1(comp, target, band)
    if w.ssim:
        terms["ssim"] = masked_mean(1.0 - ssim_map(comp, target, size=7, sigma=1.5), band)
    total = sum(getattr(w, k) * v for k, v in terms.items())
    return total, {k: float(v.detach()) for k, v in terms.items()}


def total_variation(x: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of neighbours inside ``region`` (the Partial-conv TV term)."""
    rx = region[..., :, 1:] * region[..., :, :-1]
    ry = region[..., 1:, :] * region[..., :-1, :]
    tx = masked_mean((x[..., :, 1:] - x[..., :, :-1]).abs(), rx)
    ty = masked_mean((x[..., 1:, :] - x[..., :-1, :]).abs(), ry)
    return tx + ty
