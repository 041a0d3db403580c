"""U-Net mask detector: which pixels of an image are damaged (scratches, spots, tears) or
masked. Architecture after Ronneberger et al. 2015 ("U-Net", arXiv 1505.04597), in the role
that old-photo restoration pipelines give it (Wan et al. 2020, "Bringing Old Photos Back to
Life", arXiv 2004.09484, detect scratches with a U-Net before inpainting them). Written from the
papers' description.

Layout: per level two 3 x 3 convolutions (normalization, ReLU), 2 x 2 max-pooling between
levels, bilinear upsampling and concatenation with the encoder features of the same size on the
way up, a 1 x 1 convolution to one logit per pixel.

- input: B x ``in_channels`` x H x W float in [0, 1] (RGB, or 1 channel for gray scans); any
  H x W (reflect-padded to a multiple of ``2 ** (levels - 1)`` and cropped back);
- output: B x 1 x H x W **logits** of "damaged / masked" (sigmoid > 0.5 -> hole, 1 = hole as
  everywhere in the project). Loss: BCE with logits + optional Dice,
  :func:`models.nets.seed_losses.mask_detector_loss`.

Configurable (:data:`CONFIG`): input channels, width per level (their number sets the depth),
normalization ("batch", "instance", "none").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.nets.pix2pix import make_norm

ARCHITECTURE = "unet_mask_detector"

CONFIG: dict = {
    "in_channels": 3,
    "widths": [32, 64, 128, 256],  # channels per level, full resolution first
    "norm": "batch",
}


def double_conv(c_in: int, c_out: int, norm: str) -> nn.Sequential:
    bias = norm == "none"
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=bias), make_norm(norm, c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=bias), make_norm(norm, c_out),
        nn.ReLU(inplace=True),
    )


class MaskDetector(nn.Module):
    def __init__(self, config: dict | None = None):
        super().__init__()
        cfg = {**CONFIG, **(config or {})}
        self.config = cfg
        widths, norm = list(cfg["widths"]), cfg["norm"]
        self.stride = 2 ** (len(widths) - 1)
        self.down = nn.ModuleList()
        prev = cfg["in_channels"]
        for w in widths:
            self.down.append(double_conv(prev, w, norm))
            prev = w
        self.up = nn.ModuleList(
            double_conv(widths[i + 1] + widths[i], widths[i], norm)
            for i in reversed(range(len(widths) - 1))
        )
        self.head = nn.Conv2d(widths[0], 1, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """B x C x H x W in [0, 1] -> B x 1 x H x W logits (1 = damaged / masked)."""
        h, w = image.shape[-2:]
        ph, pw = (-h) % self.stride, (-w) % self.stride
        x = image
        if ph or pw:
            mode = "reflect" if ph < h and pw < w else "replicate"
            x = F.pad(x, (0, pw, 0, ph), mode=mode)
        skips = []
        for i, block in enumerate(self.down):
            if i > 0:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        skips.pop()
        for block in self.up:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], dim=1))
        return self.head(x)[..., :h, :w]


def build(config: dict | None = None) -> MaskDetector:
    """The detector for ``config`` (missing keys take :data:`CONFIG`'s values)."""
    return MaskDetector(config)
