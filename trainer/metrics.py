"""Quality metrics restricted to the hole: PSNR and SSIM over the filled pixels only.

Outside the hole an engine returns the input unchanged, so whole-image scores would mostly
measure the hole's size. Both metrics take images in [0, 1] (torch, B x 3 x H x W) and masks
B x 1 x H x W (1 = hole); :func:`hole_psnr_u8` and :func:`hole_ssim_u8` take the project's
uint8 arrays (H x W x 3 RGB, mask H x W, 255 = hole).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

_PSNR_CAP = 100.0  # a perfect fill; keeps means finite


def hole_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over hole pixels and all channels, one value per image."""
    m = (mask > 0.5).to(pred.dtype).expand_as(pred)
    se = ((pred - target) ** 2 * m).flatten(1).sum(1)
    return se / m.flatten(1).sum(1).clamp_min(1.0)


def pooled_psnr(mse: torch.Tensor) -> float:
    """PSNR of the mean of per-image MSEs: the set's score.

    A mean of per-image PSNRs lets one flat hole that a method happens to fill exactly (PSNR
    near infinity) outweigh everything else; averaging errors first does not.
    """
    return float(10.0 * torch.log10(1.0 / mse.double().mean().clamp_min(1e-10)))


def hole_psnr(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """PSNR (dB, peak 1.0) over hole pixels and all channels, one value per image."""
    m = (mask > 0.5).to(pred.dtype).expand_as(pred)
    se = ((pred - target) ** 2 * m).flatten(1).sum(1)
    n = m.flatten(1).sum(1).clamp_min(1.0)
    mse = se / n
    psnr = 10.0 * torch.log10(1.0 / mse.clamp_min(1e-10))
    return psnr.clamp_max(_PSNR_CAP)


def _gaussian_window(size: int = 11, sigma: float = 1.5, dtype=torch.float32) -> torch.Tensor:
    x = torch.arange(size, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def ssim_map(a: torch.Tensor, b: torch.Tensor, size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Per-pixel SSIM (Wang et al. 2004) on gray levels in [0, 1], B x 1 x H x W.

    Gaussian window, separable, reflect-padded so the map has the image's size.
    """
    if a.shape[1] == 3:
        w = torch.tensor([0.299, 0.587, 0.114], dtype=a.dtype, device=a.device).view(1, 3, 1, 1)
        a, b = (a * w).sum(1, keepdim=True), (b * w).sum(1, keepdim=True)
    g = _gaussian_window(size, sigma, a.dtype).to(a.device)
    pad = size // 2
    mode = "reflect" if min(a.shape[-2:]) > pad else "replicate"

    def blur(x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (pad, pad, pad, pad), mode=mode)
        x = F.conv2d(x, g.view(1, 1, 1, -1))
        return F.conv2d(x, g.view(1, 1, -1, 1))

    c1, c2 = 0.01**2, 0.03**2
    mu_a, mu_b = blur(a), blur(b)
    saa = blur(a * a) - mu_a**2
    sbb = blur(b * b) - mu_b**2
    sab = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * sab + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (saa + sbb + c2)
    return num / den


def hole_ssim(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean SSIM over hole pixels, one value per image (1.0 where there is no hole)."""
    s = ssim_map(pred, target)
    m = (mask > 0.5).to(s.dtype)
    n = m.flatten(1).sum(1)
    val = (s * m).flatten(1).sum(1) / n.clamp_min(1.0)
    return torch.where(n > 0, val, torch.ones_like(val))


def _to_tensors(pred: np.ndarray, target: np.ndarray, mask: np.ndarray):
    def img(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.array(x, dtype=np.float64)).permute(2, 0, 1)[None] / 255.0

    m = torch.from_numpy(np.array(mask > 127, dtype=np.float64))[None, None]
    return img(pred), img(target), m


def hole_psnr_u8(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    """PSNR over the hole of two uint8 RGB images (mask: 255 = hole)."""
    p, t, m = _to_tensors(pred, target, mask)
    if not bool(m.any()):
        return math.inf
    return float(hole_psnr(p, t, m)[0])


def hole_ssim_u8(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    """SSIM (on luminance) averaged over the hole of two uint8 RGB images."""
    p, t, m = _to_tensors(pred, target, mask)
    return float(hole_ssim(p, t, m)[0])
