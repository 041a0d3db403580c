"""Pix2Pix (Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial
Networks", arXiv 1611.07004): U-Net generator and PatchGAN discriminator. Written from the
paper's description.

Generator (:class:`UNetGenerator`): ``depth`` encoder blocks of 4 x 4 stride-2 convolutions
(LeakyReLU 0.2, normalization except on the first and the innermost block), a mirrored decoder
of 4 x 4 stride-2 transposed convolutions (ReLU, normalization, dropout 0.5 in the first
``dropout_blocks`` decoder blocks from the innermost) whose every block takes the concatenation
of the previous decoder output and the encoder output of the same size, and a tanh output.
The default (``depth`` 8, 64 base channels, at most 512) is the paper's 256 x 256 generator.

- input: B x ``in_channels`` x H x W float in [-1, 1], H and W multiples of ``2 ** depth``
  (e.g. 1 channel for L -> ab colorization, 4 for masked RGB + hole mask -> RGB inpainting,
  the mask then 1 = hole, as 0/1 or scaled to [-1, 1] by the caller);
- output: B x ``out_channels`` x H x W in [-1, 1] (tanh).

Discriminator (:class:`PatchDiscriminator`): conditional, it sees the generator's input and an
output (real or generated) concatenated along channels; ``disc_layers`` 4 x 4 stride-2
convolutions (64, 128, 256, ... channels, at most 512; no normalization on the first), one 4 x 4
stride-1 convolution and a 4 x 4 stride-1 convolution to one logit per patch. With 3 layers
every logit sees a 70 x 70 patch; the map is B x 1 x (H / 2 ** layers - 2) x (W / 2 ** layers -
2), e.g. 30 x 30 for 256 x 256 inputs.

:class:`Pix2PixColorizer` (:func:`build_colorizer`) is the L -> ab generator behind the
interface of the project's colorizers (``(lightness, hints) -> ab`` in Lab units); it ignores
the hints (the paper's model is automatic only) and takes any size.

Configurable (:data:`CONFIG`): channels in and out, depth, base and maximum width, the
normalization ("batch", "instance" or "none"), dropout rate and blocks, the discriminator's
layers and width. Losses (L1 x 100 + GAN, BCE-with-logits or least squares) are in
:mod:`models.nets.seed_losses` (:func:`pix2pix_generator_loss`,
:func:`discriminator_loss`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ARCHITECTURE = "pix2pix"

CONFIG: dict = {
    "in_channels": 1,  # 1 for L -> ab, 4 for masked RGB + mask -> RGB
    "out_channels": 2,
    "depth": 8,  # encoder blocks; inputs must be multiples of 2 ** depth
    "base": 64,
    "max_width": 512,
    "norm": "batch",  # "batch", "instance" or "none"
    "dropout": 0.5,
    "dropout_blocks": 3,  # decoder blocks with dropout, counted from the innermost
    "disc_layers": 3,  # stride-2 layers of the PatchGAN (3 -> 70 x 70 patches)
    "disc_base": 64,
    "disc_max_width": 512,
}


def make_norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}")


class UNetGenerator(nn.Module):
    def __init__(self, config: dict | None = None):
        super().__init__()
        cfg = {**CONFIG, **(config or {})}
        self.config = cfg
        depth, norm = int(cfg["depth"]), cfg["norm"]
        if depth < 2:
            raise ValueError("depth must be at least 2")
        bias = norm != "batch"
        widths = [min(cfg["base"] * 2**i, cfg["max_width"]) for i in range(depth)]
        self.depth = depth
        self.down = nn.ModuleList()
        prev = cfg["in_channels"]
        for i, w in enumerate(widths):
            layers: list[nn.Module] = [] if i == 0 else [nn.LeakyReLU(0.2)]
            layers.append(nn.Conv2d(prev, w, 4, 2, 1, bias=bias or i in (0, depth - 1)))
            if 0 < i < depth - 1:
                layers.append(make_norm(norm, w))
            self.down.append(nn.Sequential(*layers))
            prev = w
        self.up = nn.ModuleList()
        for j, i in enumerate(reversed(range(depth))):
            c_in = widths[i] if i == depth - 1 else 2 * widths[i]
            if i == 0:
                self.up.append(nn.Sequential(
                    nn.ReLU(), nn.ConvTranspose2d(c_in, cfg["out_channels"], 4, 2, 1), nn.Tanh()
                ))
                continue
            layers = [nn.ReLU(), nn.ConvTranspose2d(c_in, widths[i - 1], 4, 2, 1, bias=bias),
                      make_norm(norm, widths[i - 1])]
            if j < cfg["dropout_blocks"] and cfg["dropout"] > 0:
                layers.append(nn.Dropout(cfg["dropout"]))
            self.up.append(nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """B x in x H x W in [-1, 1] -> B x out x H x W in [-1, 1]."""
        s = 2**self.depth
        if x.shape[-2] % s or x.shape[-1] % s:
            raise ValueError(f"height and width must be multiples of {s}, got {tuple(x.shape)}")
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
        skips.pop()
        for j, block in enumerate(self.up):
            if j > 0:
                x = torch.cat([x, skips.pop()], dim=1)
            x = block(x)
        return x


class PatchDiscriminator(nn.Module):
    """Conditional PatchGAN: (condition, image) -> B x 1 x h x w patch logits."""

    def __init__(self, config: dict | None = None):
        super().__init__()
        cfg = {**CONFIG, **(config or {})}
        self.config = cfg
        n, norm = int(cfg["disc_layers"]), cfg["norm"]
        bias = norm != "batch"
        base, top = cfg["disc_base"], cfg["disc_max_width"]
        prev = cfg["in_channels"] + cfg["out_channels"]
        layers: list[nn.Module] = []
        for i in range(n + 1):
            w = min(base * 2**i, top)
            stride = 2 if i < n else 1
            layers.append(nn.Conv2d(prev, w, 4, stride, 1, bias=bias or i == 0))
            if i > 0:
                layers.append(make_norm(norm, w))
            layers.append(nn.LeakyReLU(0.2))
            prev = w
        layers.append(nn.Conv2d(prev, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([condition, image], dim=1))


class Pix2PixColorizer(UNetGenerator):
    """The generator as a colorizer: ``forward(lightness, hints) -> ab``, hints ignored.

    L in [0, 100] is mapped to [-1, 1] and the tanh output times ``ab_range`` is ab in Lab
    units. Inputs are padded (edge pixels repeated) to a multiple of ``2 ** depth`` and the
    output is cropped back. Its state dict is the generator's.
    """

    def __init__(self, config: dict | None = None):
        cfg = {**CONFIG, "ab_range": 110.0, **(config or {})}
        if cfg["in_channels"] != 1 or cfg["out_channels"] != 2:
            raise ValueError("a colorizer maps 1 channel (L) to 2 (ab)")
        super().__init__(cfg)
        self.ab_range = float(cfg["ab_range"])

    def forward(self, lightness: torch.Tensor,  # type: ignore[override]
                hints: torch.Tensor | None = None) -> torch.Tensor:
        """lightness B x 1 x H x W in [0, 100] (hints unused) -> ab B x 2 x H x W."""
        h, w = lightness.shape[-2:]
        s = 2**self.depth
        ph, pw = (-h) % s, (-w) % s
        x = lightness / 50.0 - 1.0
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        return (super().forward(x) * self.ab_range)[..., :h, :w]


def build(config: dict | None = None) -> UNetGenerator:
    """The generator for ``config`` (missing keys take :data:`CONFIG`'s values)."""
    return UNetGenerator(config)


def build_discriminator(config: dict | None = None) -> PatchDiscriminator:
    """The PatchGAN discriminator for ``config``."""
    return PatchDiscriminator(config)


def build_colorizer(config: dict | None = None) -> Pix2PixColorizer:
    """The L -> ab generator as a ``(lightness, hints) -> ab`` colorizer (see the class)."""
    return Pix2PixColorizer(config)
