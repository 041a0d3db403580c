"""Context Encoder (Pathak et al. 2016, "Context Encoders: Feature Learning by Inpainting",
arXiv 1604.07379). Written from the paper's description.

Generator (:class:`ContextEncoder`): an encoder of DCGAN blocks (4 x 4 stride-2 convolution,
BatchNorm except on the first, LeakyReLU 0.2) from ``input_size`` down to 4 x 4, a bottleneck,
and a decoder of DCGAN blocks (4 x 4 stride-2 transposed convolution, BatchNorm, ReLU) with a
tanh output. Two bottlenecks (``bottleneck``):

- ``"fc"``: a 4 x 4 convolution to ``bottleneck_units`` x 1 x 1 (4000 in the paper), i.e. a fully
  connected layer over the whole 4 x 4 map, and a 4 x 4 transposed convolution back;
- ``"channelwise"``: the paper's channel-wise fully-connected layer (each channel's 4 x 4 map is
  mapped by its own 16 x 16 matrix, so information spreads over the whole map without the
  cost of a dense layer across channels), then a 1 x 1 ("stride-1") convolution that mixes the
  channels.

Inputs and outputs:

- input: B x ``in_channels`` x S x S float in [-1, 1], S = ``input_size`` (128 in the paper),
  the hole filled with a constant by the caller (the paper uses the dataset mean); with
  ``in_channels`` 4 the hole mask (1 = hole) is the fourth channel;
- output: B x ``out_channels`` x S/2 x S/2 in [-1, 1] for ``output`` = ``"center"`` (the
  paper's setting: the central S/2 x S/2 square, see :func:`center_box`) or S x S for
  ``"full"``.

Discriminator (:class:`DCGANDiscriminator`): DCGAN blocks from the output size down to 4 x 4
and a 4 x 4 convolution to one logit per image.

Joint loss 0.999 x L2 on the hole + 0.001 x adversarial: :func:`models.nets.seed_losses.
context_encoder_loss`. Left out: the paper's 10x loss weight on a few pixels of overlap
around the predicted centre (a trainer choice: pass a weighted mask).

:class:`ContextEncoderInpainter` (:func:`build_inpainter`) is the same generator behind the
interface of every inpainting net of the project (``(image in [0, 1], mask 1 = hole) -> RGB``),
for the paper's arbitrary-region variant (``output`` "full", the mask as a fourth input
channel): it is what the trainer trains and the app runs. The design has a fixed input size,
so it stretches any other size to ``input_size`` x ``input_size`` and the prediction back.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

ARCHITECTURE = "context_encoder"

CONFIG: dict = {
    "input_size": 128,  # a power of two, at least 16
    "in_channels": 3,
    "out_channels": 3,
    "base": 64,  # encoder/decoder channels: base, base, 2 base, 4 base, 8 base (capped)
    "max_width": 512,
    "bottleneck": "fc",  # "fc" (dense, bottleneck_units wide) or "channelwise"
    "bottleneck_units": 4000,
    "bottleneck_dropout": 0.0,  # after the channel-wise layer (the paper's AlexNet variant: 0.5)
    "output": "center",  # "center" (S/2 x S/2 centre) or "full" (S x S)
    "disc_base": 64,
}


def center_box(size: int) -> tuple[int, int]:
    """(start, stop) of the central hole of a ``size`` x ``size`` input, per axis."""
    return size // 4, size // 4 + size // 2


def center_mask(size: int) -> torch.Tensor:
    """1 x 1 x size x size mask, 1 on the central size/2 x size/2 square (the hole)."""
    m = torch.zeros(1, 1, size, size)
    a, b = center_box(size)
    m[..., a:b, a:b] = 1.0
    return m


def _levels(size: int) -> int:
    n = int(round(math.log2(size / 4)))
    if size < 16 or 4 * 2**n != size:
        raise ValueError(f"input_size must be a power of two >= 16, got {size}")
    return n


def _widths(n: int, base: int, top: int) -> list[int]:
    # base, base, 2 base, 4 base, ... as in the paper's 128 x 128 encoder
    return [min(base * 2 ** max(0, i - 1), top) for i in range(n)]


def down_block(c_in: int, c_out: int, norm: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


def up_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class ChannelwiseFC(nn.Module):
    """A separate dense layer per channel over its h x w map (no mixing across channels)."""

    def __init__(self, channels: int, size: int):
        super().__init__()
        n = size * size
        self.weight = nn.Parameter(torch.randn(channels, n, n) / math.sqrt(n))
        self.bias = nn.Parameter(torch.zeros(channels, n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        y = torch.einsum("cij,bcj->bci", self.weight, x.reshape(b, c, h * w)) + self.bias
        return y.reshape(b, c, h, w)


class ContextEncoder(nn.Module):
    def __init__(self, config: dict | None = None):
        super().__init__()
        cfg = {**CONFIG, **(config or {})}
        self.config = cfg
        n = _levels(int(cfg["input_size"]))
        widths = _widths(n, cfg["base"], cfg["max_width"])
        enc: list[nn.Module] = []
        prev = cfg["in_channels"]
        for i, w in enumerate(widths):
            enc.append(down_block(prev, w, norm=i > 0))
            prev = w
        self.encoder = nn.Sequential(*enc)
        top = widths[-1]
        if cfg["bottleneck"] == "fc":
            units = cfg["bottleneck_units"]
            self.bottleneck = nn.Sequential(
                nn.Conv2d(top, units, 4, bias=False), nn.BatchNorm2d(units),
                nn.LeakyReLU(0.2, inplace=True),
                nn.ConvTranspose2d(units, top, 4, bias=False), nn.BatchNorm2d(top),
                nn.ReLU(inplace=True),
            )
        elif cfg["bottleneck"] == "channelwise":
            layers: list[nn.Module] = [ChannelwiseFC(top, 4), nn.ReLU(inplace=True)]
            if cfg["bottleneck_dropout"] > 0:
                layers.append(nn.Dropout(cfg["bottleneck_dropout"]))
            layers += [nn.Conv2d(top, top, 1, bias=False), nn.BatchNorm2d(top),
                       nn.ReLU(inplace=True)]
            self.bottleneck = nn.Sequential(*layers)
        else:
            raise ValueError(f"unknown bottleneck {cfg['bottleneck']!r}")
        if cfg["output"] not in ("center", "full"):
            raise ValueError(f"unknown output {cfg['output']!r}")
        # decoder widths mirror the encoder; "center" stops one level (S/2) early
        stop = 1 if cfg["output"] == "center" else 0
        dec: list[nn.Module] = []
        prev = top
        for i in range(n - 1, stop, -1):
            dec.append(up_block(prev, widths[i - 1]))
            prev = widths[i - 1]
        dec += [nn.ConvTranspose2d(prev, cfg["out_channels"], 4, 2, 1), nn.Tanh()]
        self.decoder = nn.Sequential(*dec)
        self.input_size = int(cfg["input_size"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """B x in x S x S in [-1, 1] -> B x out x S/2 x S/2 ("center") or S x S, in [-1, 1]."""
        if x.shape[-2:] != (self.input_size, self.input_size):
            raise ValueError(f"expected {self.input_size} x {self.input_size} inputs")
        return self.decoder(self.bottleneck(self.encoder(x)))


class DCGANDiscriminator(nn.Module):
    """size x size image in [-1, 1] -> B x 1 logit (one per image)."""

    def __init__(self, config: dict | None = None):
        super().__init__()
        cfg = {**CONFIG, **(config or {})}
        self.config = cfg
        size = int(cfg["input_size"]) // (2 if cfg["output"] == "center" else 1)
        n = _levels(size) if size >= 16 else 1
        widths = [min(cfg["disc_base"] * 2**i, cfg["max_width"]) for i in range(n)]
        layers: list[nn.Module] = []
        prev = cfg["out_channels"]
        for i, w in enumerate(widths):
            layers.append(down_block(prev, w, norm=i > 0))
            prev = w
        layers.append(nn.Conv2d(prev, 1, 4))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)


class ContextEncoderInpainter(ContextEncoder):
    """The generator as an inpainting net: ``forward(image, mask)`` like the project's others.

    Its state dict is the generator's (it adds no weights). The hole is filled with 0 in the
    generator's [-1, 1] units (mid gray, the paper's "dataset mean" fill); with
    ``in_channels`` 4 the mask is the fourth channel. Inputs of another size than
    ``input_size`` are resized to it (a square: the aspect ratio is not kept, the net was
    trained on square crops of every shape's content) and the prediction is resized back;
    callers composite it with the known pixels, as for every engine.
    """

    def __init__(self, config: dict | None = None):
        cfg = {**CONFIG, **(config or {})}
        if cfg["output"] != "full":
            raise ValueError("an inpainter needs output 'full' (a prediction for every pixel)")
        if cfg["in_channels"] not in (3, 4) or cfg["out_channels"] != 3:
            raise ValueError("an inpainter takes 3 (RGB) or 4 (RGB + mask) channels, gives 3")
        super().__init__(cfg)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """image B x 3 x H x W in [0, 1], mask B x 1 x H x W (1 = hole) -> B x 3 x H x W."""
        h, w = image.shape[-2:]
        s = self.input_size
        if (h, w) != (s, s):
            image = F.interpolate(image, size=(s, s), mode="bilinear", align_corners=False,
                                  antialias=True)
            # any coverage counts as hole: no hole pixel may leak into the known input
            mask = F.interpolate(mask.to(image.dtype), size=(s, s), mode="bilinear",
                                 align_corners=False, antialias=True)
        hole = (mask > 0.5 if (h, w) == (s, s) else mask > 1e-3).to(image.dtype)
        x = (image * 2.0 - 1.0) * (1.0 - hole)
        if self.config["in_channels"] == 4:
            x = torch.cat([x, hole], dim=1)
        y = (super().forward(x) + 1.0) * 0.5
        if (h, w) != (s, s):
            y = F.interpolate(y, size=(h, w), mode="bilinear", align_corners=False)
        return y


def build(config: dict | None = None) -> ContextEncoder:
    """The generator for ``config`` (missing keys take :data:`CONFIG`'s values)."""
    return ContextEncoder(config)


def build_discriminator(config: dict | None = None) -> DCGANDiscriminator:
    """The discriminator for the generator's output size under ``config``."""
    return DCGANDiscriminator(config)


def build_inpainter(config: dict | None = None) -> ContextEncoderInpainter:
    """The generator as an ``(image, mask) -> RGB`` inpainting net (see the class)."""
    return ContextEncoderInpainter(config)
