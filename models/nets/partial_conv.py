"""Partial-convolution U-Net (Liu et al. 2018, "Image Inpainting for Irregular Holes Using
Partial Convolutions", arXiv 1804.07723). Written from the paper's description.

A partial convolution only looks at valid (known) pixels: with ``M`` the valid mask under the
window, ``X`` the input and ``W`` the weights,

    out = W^T (X * M) * sum(1) / sum(M) + b    where sum(M) > 0, else 0,

and the layer's output mask is 1 wherever at least one valid pixel lay under the window, so the
holes shrink layer by layer. The network is a U-Net of such layers: stride-2 partial
convolutions down, then nearest-neighbour upsampling, concatenation of the skip's features *and*
of its mask with the upsampled ones, and a stride-1 partial convolution, up to a last layer that
also sees the input image and its mask.

Inputs and outputs (:class:`PConvUNet`):

- ``image``: B x C x H x W float in [0, 1] (C = ``in_channels``, 3 by default);
- ``mask``: B x 1 x H x W, **1 = hole** (the convention of the whole project; the layers
  internally use the paper's valid mask ``1 - mask``);
- returns the raw B x ``out_channels`` x H x W prediction for every pixel (no output
  activation, as in the paper); callers composite it with the known pixels.

Any H x W works: inputs are zero-padded to a multiple of ``2 ** depth`` with the padding marked
as hole, and the output is cropped back.

Configurable (:data:`CONFIG`): channels and kernel size per encoder level (their number sets the
depth; the default is the paper's 8 levels, 64-128-256-512x5 with kernels 7-5-5-3x5, for 512 x
512 inputs), input/output channels, BatchNorm on or off, the decoder's LeakyReLU slope.

The paper's loss is hole L1 x 6 + valid L1 x 1 + total variation x 0.1 + perceptual x 0.05 +
style x 120; the first three are in :mod:`models.nets.seed_losses` (:func:`pconv_loss`). The
perceptual and style terms need a pretrained VGG-16, which does not exist offline, so they are
left out. The paper's second training phase (encoder BatchNorm frozen, lower learning rate)
is a trainer setting: :meth:`PConvUNet.freeze_encoder_bn` provides it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# the model card's "architecture" and the trainer's --arch
ARCHITECTURE = "partial_conv"

CONFIG: dict = {
    "in_channels": 3,
    "out_channels": 3,
    "widths": [64, 128, 256, 512, 512, 512, 512, 512],  # encoder channels per level
    "kernels": [7, 5, 5, 3, 3, 3, 3, 3],  # encoder kernel size per level
    "batch_norm": True,  # BN after every layer but the first encoder and the last decoder one
    "leaky_slope": 0.2,  # decoder activation (the encoder uses ReLU)
}


class PartialConv2d(nn.Module):
    """Mask-aware 2-D convolution with the per-layer mask update.

    ``forward(x, valid)`` takes a valid mask (1 = known pixel, the paper's ``M``) that is either
    B x 1 x H x W (shared by all input channels) or B x C_in x H x W (one per channel, e.g. after
    concatenating features of different masks), and returns ``(out, new_valid)`` with
    ``new_valid`` B x 1 x H' x W'. Zero padding counts as unknown, so border outputs are
    renormalised as well.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, dilation: int = 1, bias: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation,
                              bias=False)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.in_channels = in_channels
        self.window = float(in_channels * kernel_size * kernel_size)  # sum(1)
        self.register_buffer("ones", torch.ones(1, 1, kernel_size, kernel_size),
                             persistent=False)

    @property
    def weight(self) -> torch.Tensor:
        return self.conv.weight

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.conv
        with torch.no_grad():
            per_channel = valid.shape[1] != 1
            m = valid.sum(1, keepdim=True) if per_channel else valid
            msum = F.conv2d(m.to(x.dtype), self.ones.to(x.dtype), None, c.stride, c.padding,
                            c.dilation)
            if not per_channel:
                msum = msum * self.in_channels
            new_valid = (msum > 0).to(x.dtype)
            ratio = self.window / msum.clamp_min(1.0) * new_valid
        out = c(x * valid) * ratio
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1)
        return out * new_valid, new_valid


class _PConvBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, bn: bool,
                 activation: nn.Module | None):
        super().__init__()
        self.pconv = PartialConv2d(c_in, c_out, kernel, stride, kernel // 2, bias=not bn)
        self.bn = nn.BatchNorm2d(c_out) if bn else None
        self.act = activation

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, valid = self.pconv(x, valid)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x, valid


class PConvUNet(nn.Module):
    def __init__(self, config: dict | None = None):
        super().__init__()
        cfg = {**CONFIG, **(config or {})}
        self.config = cfg
        widths, kernels = list(cfg["widths"]), list(cfg["kernels"])
        if len(widths) != len(kernels) or not widths:
            raise ValueError("widths and kernels must be non-empty and of the same length")
        bn = bool(cfg["batch_norm"])
        c_in, c_out = cfg["in_channels"], cfg["out_channels"]
        self.depth = len(widths)
        self.encoder = nn.ModuleList()
        prev = c_in
        for i, (w, k) in enumerate(zip(widths, kernels, strict=True)):
            self.encoder.append(_PConvBlock(prev, w, k, 2, bn and i > 0, nn.ReLU(inplace=True)))
            prev = w
        # decoder level i upsamples level i+1's output and merges it with level i's skip
        skips = [c_in, *widths[:-1]]
        self.decoder = nn.ModuleList()
        for i in reversed(range(self.depth)):
            last = i == 0
            out = c_out if last else skips[i]
            act = None if last else nn.LeakyReLU(cfg["leaky_slope"], inplace=True)
            self.decoder.append(_PConvBlock(prev + skips[i], out, 3, 1, bn and not last, act))
            prev = out

    def freeze_encoder_bn(self, frozen: bool = True) -> None:
        """Phase two of the paper's training: encoder BatchNorm in eval mode, not updated.

        Call it after ``model.train()`` (which puts every BatchNorm back in training mode).
        """
        for block in self.encoder:
            if block.bn is not None:
                block.bn.train(self.training and not frozen)
                for p in block.bn.parameters():
                    p.requires_grad_(not frozen)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """image B x C x H x W in [0, 1], mask B x 1 x H x W (1 = hole) -> B x out x H x W."""
        h, w = image.shape[-2:]
        s = 2**self.depth
        ph, pw = (-h) % s, (-w) % s
        valid = 1.0 - mask.to(image.dtype)
        if ph or pw:
            image = F.pad(image, (0, pw, 0, ph))
            valid = F.pad(valid, (0, pw, 0, ph))  # padding is unknown
        x, m = image, valid
        feats = [(x, m)]
        for block in self.encoder:
            x, m = block(x, m)
            feats.append((x, m))
        feats.pop()
        for block in self.decoder:
            sx, sm = feats.pop()
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            m = F.interpolate(m, scale_factor=2.0, mode="nearest")
            merged_m = torch.cat([m.expand(-1, x.shape[1], -1, -1),
                                  sm.expand(-1, sx.shape[1], -1, -1)], dim=1)
            x, m = block(torch.cat([x, sx], dim=1), merged_m)
        return x[..., :h, :w]


def build(config: dict | None = None) -> PConvUNet:
    """The network for ``config`` (missing keys take :data:`CONFIG`'s values)."""
    return PConvUNet(config)
