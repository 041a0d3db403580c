"""The default inpainting network: a compact FFC U-Net that refines a pyramid fill.

Input: an RGB image in [0, 1] and a hole mask (1 = fill). A parameter-free pyramid
("push-pull") fill first puts a smooth guess into the hole; the network sees that guess and the
mask, and predicts a correction that is added to it. Starting from a sensible guess means the
first minutes of training already improve on it, instead of learning average colours first.

Layout (for a 512 x 512 input): pixel-unshuffle to 1/2 resolution, a stride-2 convolution per
further level down to 1/8, a stack of fast Fourier convolution residual blocks there (an
image-wide receptive field in every block), then back up with additive skips and a
pixel-shuffle head. Work at full resolution is kept to reshuffles, which is what makes a
512 x 512 pass cheap on a CPU. Any input size works: inputs are reflect-padded to a multiple of
the network's stride and the output is cropped back.

``forward`` returns the raw prediction for every pixel; callers composite it with the known
pixels (``models`` does that once for every engine).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.nets.blocks import FFCResBlock, act, down_path, pyramid_fill, unet_trunk, up_path

ARCHITECTURE = "ffc_unet"

CONFIG: dict = {
    "widths": [32, 64, 128],  # channels at 1/2, 1/4, 1/8 resolution
    "blocks": 6,  # FFC residual blocks at the lowest resolution
    "ratio_g": 0.75,  # share of global (spectral) channels in each FFC
    "dilations": [1, 2, 1, 2, 1, 2],  # of the local convolutions, cycled over the blocks
    "init_scale": 0.2,  # initial residual-branch scale of the blocks
    "head_scale": 0.1,  # initial scale of the output layer's weights
}


class InpaintNet(nn.Module):
    def __init__(self, config: dict | None = None):
        super().__init__()
        cfg = {**CONFIG, **(config or {})}
        self.config = cfg
        widths = list(cfg["widths"])
        dil = list(cfg["dilations"]) or [1]
        self.stride = 2 ** len(widths)
        # the lowest level must stay larger than the widest dilation's reflect padding
        self.min_size = self.stride * (max(dil) + 1)
        self.stem, self.downs = down_path(widths)
        self.blocks = nn.Sequential(*[
            FFCResBlock(widths[-1], cfg["ratio_g"], dil[i % len(dil)], cfg["init_scale"])
            for i in range(cfg["blocks"])
        ])
        self.reduce, self.ups, self.head = up_path(widths, cfg["head_scale"])
        self.act = act()

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """image B x 3 x H x W in [0, 1], mask B x 1 x H x W (1 = hole) -> B x 3 x H x W."""
        h, w = image.shape[-2:]
        ph = max((-h) % self.stride, self.min_size - h)
        pw = max((-w) % self.stride, self.min_size - w)
        if ph or pw:
            # reflect needs the pad smaller than the side; replicate covers tiny inputs
            mode = "reflect" if ph < h and pw < w else "replicate"
            image = F.pad(image, (0, pw, 0, ph), mode=mode)
            mask = F.pad(mask, (0, pw, 0, ph), mode=mode)
        mask = (mask > 0.5).to(image.dtype)
        valid = 1.0 - mask
        guess = pyramid_fill(image, valid)
        guess = image * valid + guess * mask
        x = torch.cat([guess * 2.0 - 1.0, mask], dim=1)
        x = self.stem(F.pixel_unshuffle(x, 2))
        x = unet_trunk(x, self.downs, self.blocks, self.reduce, self.ups, self.act)
        delta = F.pixel_shuffle(self.head(x), 2)
        out = guess + delta
        return out[..., :h, :w]


def build(config: dict | None = None) -> InpaintNet:
    """The network for ``config`` (missing keys take :data:`CONFIG`'s values)."""
    return InpaintNet(config)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
