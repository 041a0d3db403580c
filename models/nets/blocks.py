"""Building blocks of the inpainting networks: fast Fourier convolution and a pyramid fill.

The fast Fourier convolution (FFC) follows the idea of Chi et al. 2020 as used by LaMa (Suvorov
et al. 2022): part of the channels ("global") is transformed by a 1x1 convolution in the
frequency domain of the whole feature map, so every output pixel sees the whole image after one
layer; the rest ("local") uses ordinary 3x3 convolutions. Written from the papers' description.
No normalization layers: training crops and inference images differ in size and hole share, and
batch statistics would differ with them; residual branches are scaled by a learned per-channel
factor instead (small at the start, so deep stacks train from the first step).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def act() -> nn.Module:
    return nn.LeakyReLU(0.2, inplace=True)


class FourierUnit(nn.Module):
    """1x1 convolution of the real and imaginary parts of the 2-D spectrum."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(2 * channels, 2 * channels, 1, bias=False)
        self.act = act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        dtype = x.dtype
        spec = torch.fft.rfft2(x.float(), norm="ortho")
        z = torch.cat([spec.real, spec.imag], dim=1).to(dtype)
        z = self.act(self.conv(z)).float()
        re, im = z.chunk(2, dim=1)
        return torch.fft.irfft2(torch.complex(re, im), s=(h, w), norm="ortho").to(dtype)


class SpectralTransform(nn.Module):
    """Channel squeeze, Fourier unit with a skip, channel expand (LaMa's global branch)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        mid = max(1, c_out // 2)
        self.squeeze = nn.Sequential(nn.Conv2d(c_in, mid, 1, bias=False), act())
        self.fu = FourierUnit(mid)
        self.expand = nn.Conv2d(mid, c_out, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.squeeze(x)
        return self.expand(h + self.fu(h))


class FFC(nn.Module):
    """One fast Fourier convolution layer over ``channels`` (a ``ratio_g`` share is global)."""

    def __init__(self, channels: int, ratio_g: float = 0.75, dilation: int = 1,
                 final_act: bool = True):
        super().__init__()
        self.cg = int(round(channels * ratio_g))
        self.cl = channels - self.cg
        pad = dilation
        # local output from all inputs (local->local and global->local in one convolution)
        self.to_local = nn.Conv2d(channels, self.cl, 3, padding=pad, dilation=dilation,
                                  padding_mode="reflect") if self.cl else None
        self.l2g = nn.Conv2d(self.cl, self.cg, 3, padding=pad, dilation=dilation,
                             padding_mode="reflect") if self.cl and self.cg else None
        self.g2g = SpectralTransform(self.cg, self.cg) if self.cg else None
        self.act = act() if final_act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xl, xg = x[:, : self.cl], x[:, self.cl :]
        outs = []
        if self.to_local is not None:
            outs.append(self.to_local(x))
        if self.g2g is not None:
            g = self.g2g(xg)
            if self.l2g is not None:
                g = g + self.l2g(xl)
            outs.append(g)
        return self.act(torch.cat(outs, dim=1))


class FFCResBlock(nn.Module):
    """x + scale * FFC(FFC(x)), the scale per channel and learned."""

    def __init__(self, channels: int, ratio_g: float = 0.75, dilation: int = 1,
                 init_scale: float = 0.2):
        super().__init__()
        self.ffc1 = FFC(channels, ratio_g, dilation)
        self.ffc2 = FFC(channels, ratio_g, 1, final_act=False)
        self.scale = nn.Parameter(torch.full((1, channels, 1, 1), float(init_scale)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.scale * self.ffc2(self.ffc1(x))


def pyramid_fill(image: torch.Tensor, valid: torch.Tensor, min_size: int = 2) -> torch.Tensor:
    """Fill the invalid pixels of ``image`` smoothly from the valid ones ("push-pull").

    ``valid`` is B x 1 x H x W in [0, 1]. Valid pixels are averaged down an image pyramid
    (normalized convolution) and holes are filled from the coarsest level that has data,
    bilinearly upsampled, level by level. No parameters, any size, a few milliseconds.
    """
    imgs, weights = [image * valid], [valid]
    while min(imgs[-1].shape[-2:]) > min_size:
        imgs.append(F.avg_pool2d(imgs[-1], 2, ceil_mode=True))
        weights.append(F.avg_pool2d(weights[-1], 2, ceil_mode=True))
    eps = 1e-6
    fill = imgs[-1] / (weights[-1] + eps)
    for img_l, w_l in zip(reversed(imgs[:-1]), reversed(weights[:-1]), strict=True):
        up = F.interpolate(fill, size=img_l.shape[-2:], mode="bilinear", align_corners=False)
        est = img_l / (w_l + eps)
        alpha = torch.clamp(w_l * 2.0, 0.0, 1.0)
        fill = alpha * est + (1 - alpha) * up
    return fill


def down_path(widths: list[int]) -> tuple[nn.Sequential, nn.ModuleList]:
    """The down half of the inpainting nets: a stem on the 2x pixel-unshuffled image + mask
    (16 channels) at 1/2 resolution, then a stride-2 convolution per further level."""
    stem = nn.Sequential(nn.Conv2d(4 * 4, widths[0], 3, padding=1, padding_mode="reflect"),
                         act())
    downs = nn.ModuleList(
        nn.Sequential(nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1,
                                padding_mode="reflect"), act())
        for i in range(len(widths) - 1)
    )
    return stem, downs


def up_path(widths: list[int], head_scale: float) -> tuple[nn.ModuleList, nn.ModuleList, nn.Conv2d]:
    """The up half of the inpainting nets (for :func:`unet_trunk`): per level a 1x1 channel
    reduction and a 3x3 convolution, and a head that predicts 3 x 4 channels for a 2x pixel
    shuffle, its weights scaled by `head_scale` so the first predictions stay near the guess."""
    reduce = nn.ModuleList(
        nn.Conv2d(widths[i + 1], widths[i], 1) for i in range(len(widths) - 1)
    )
    ups = nn.ModuleList(
        nn.Sequential(nn.Conv2d(widths[i], widths[i], 3, padding=1, padding_mode="reflect"),
                      act())
        for i in range(len(widths) - 1)
    )
    head = nn.Conv2d(widths[0], 3 * 4, 3, padding=1, padding_mode="reflect")
    with torch.no_grad():
        head.weight.mul_(head_scale)
        head.bias.zero_()
    return reduce, ups, head


def unet_trunk(x: torch.Tensor, downs, blocks, reduce, ups, act, bottom=None) -> torch.Tensor:
    """The shared middle of the inpainting and colorizing nets: down the levels keeping a
    skip per level, the residual blocks at the bottom, then back up adding the skips.
    `bottom`, if given, maps the bottom-level features before the blocks."""
    skips = []
    for down in downs:
        skips.append(x)
        x = down(x)
    if bottom is not None:
        x = bottom(x)
    x = blocks(x)
    for i in reversed(range(len(ups))):
        x = reduce[i](x)
        x = F.interpolate(x, size=skips[i].shape[-2:], mode="bilinear", align_corners=False)
        x = ups[i](act(x + skips[i]))
    return x


def cpu_supports_bf16() -> bool:
    """Whether oneDNN has fast bfloat16 kernels on this CPU (AVX512-BF16 / AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def cpu_autocast_dtype() -> torch.dtype | None:
    """bfloat16 where the CPU runs it fast, else None (float32)."""
    return torch.bfloat16 if cpu_supports_bf16() else None
