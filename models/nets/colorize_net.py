"""The default colorizer: lightness + sparse colour hints in, chroma out (one net, two modes).

After Zhang et al. 2017 ("Real-Time User-Guided Image Colorization"), sized for a CPU: the
input is the CIE L channel, the hint chroma (a, b where the user placed a hint, 0 elsewhere)
and the hint mask, so the same network colours a photo on its own (no hints: automatic mode)
and follows the user's hints (guided mode).

Layout (for a 256 x 256 input): pixel-unshuffle to 1/2 resolution, stride-2 convolutions to 1/4
and 1/8, a stack of dilated residual blocks at 1/8 (dilations up to 8 there give a receptive
field of most of the picture, which automatic colorization needs to tell sky from grass), then
back up with additive skips, and a pixel-shuffle head. The hint channels also reach the 1/2
level directly (average-pooled), so a hint's colour is reproduced near it without having to
pass through the bottleneck. A fixed (not learned) hint pyramid spreads the hints over the
picture before the network sees them: normalized convolution at 1/8, 1/16, ... of the input
and over the whole picture (the mean hint colour near each place and how many hints back it),
so one hint already colours its surroundings at step 0 and the network only learns where an
edge of L should stop it. A global-context branch (the mean of the bottom features, fed back
to every place) lets the scene as a whole (beach, forest, portrait) steer the colours.

Output: ab in Lab units (about [-110, 110]). Two heads (``classes``; older cards have only
the second):

- automatic colours by classification (Zhang et al. 2016, "Colorful Image Colorization"): a
  distribution over the in-gamut ab bins of a 10-unit grid (:func:`gamut_bins`, 261 bins) at
  1/2 resolution, decoded by the annealed mean (softmax of the logits / T, T = 0.38). A
  regression settles on the average of the plausible colours, which is the sepia gray of a
  red-or-green-or-blue jumper; the annealed mean commits to the likely mode instead. The bins'
  probabilities are also the colour palette the editor offers at a clicked pixel.
- with hints, a regression head that follows them, blended in by a learned gate where the
  hints say something (the gate is 0 for a photo without hints, so automatic mode is the
  classifier's alone).

``propagation`` adds an input: the hints spread edge-aware over the picture by the
optimization colorizer (Levin et al., run at 1/``propagation_factor`` resolution by the
caller: :func:`models.classical_colorize.propagate_hints`), so a hint colours the object it was
placed on up to its edges before the network refines it. With ``hint_residual`` the hint head
predicts a correction of that propagation rather than the colours themselves: the net starts
as good as the classical method on the same hints and learns where it goes wrong.

Any input size works: inputs are padded to a multiple of the stride and the output is cropped.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.nets.blocks import act, unet_trunk

ARCHITECTURE = "hint_colorizer"

CONFIG: dict = {
    "widths": [32, 64, 128],  # channels at 1/2, 1/4, 1/8 resolution
    "dilations": [1, 2, 4, 8, 2, 1],  # one dilated residual block per entry, at 1/8
    "init_scale": 0.2,  # initial residual-branch scale of the blocks
    "ab_scale": 100.0,  # the head's output unit in Lab ab
    "hint_levels": 4,  # levels of the fixed hint pyramid (1/8, 1/16, ...; + the whole picture)
    "global_context": True,  # the mean of the bottom features added back at every place
    "classes": False,  # the classification head (automatic colours) and the hint gate
    "bin_size": 10,  # ab grid of the classes, Lab units
    "class_width": 64,  # channels of the classification head's hidden layer
    "temperature": 0.38,  # annealed mean of Zhang et al. 2016
    # 0..1: how much of the class rebalancing decoding undoes (probabilities / weights^this)
    "prior_correction": 0.0,
    "propagation": False,  # a third input: edge-aware propagated hints (a, b, coverage)
    "propagation_factor": 4,  # ... computed at 1/this of the working size
    "hint_residual": False,  # the hint head adds to the propagated hints instead of guessing
}


class ColorOutput(NamedTuple):
    """What a net with classes returns in training mode."""

    ab: torch.Tensor  # B x 2 x H x W, the blend of both heads (the automatic part detached)
    logits: torch.Tensor  # B x Q x H/2 x W/2
    bins: torch.Tensor  # Q x 2, the bins' ab
    bin_weights: torch.Tensor | None  # Q class-rebalancing weights (set by the trainer)


def gamut_bins(size: float = 10.0) -> np.ndarray:
    """float32 Q x 2: the centres of the ab grid cells (``size`` Lab units) that sRGB colours
    reach, from a cube of 65^3 colours (261 cells for size 10)."""
    v = np.unique(np.r_[np.arange(0, 256, 4), 255]).astype(np.float32) / 255.0
    rgb = np.stack(np.meshgrid(v, v, v, indexing="ij"), -1).reshape(-1, 1, 3)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    cells = np.unique(np.round(lab[:, 1:] / size).astype(np.int64), axis=0)
    return (cells * size).astype(np.float32)


def annealed_mean(logits: torch.Tensor, bins: torch.Tensor, temperature: float) -> torch.Tensor:
    """ab (B x 2 x h x w) of class logits (B x Q x h x w): the mean of the distribution
    sharpened by 1 / temperature (0: its mode, 1: its mean)."""
    p = torch.softmax(logits.float() / max(temperature, 1e-3), 1)
    return torch.einsum("bqhw,qc->bchw", p, bins.float())


class DilatedBlock(nn.Module):
    """Two 3x3 convolutions (the first dilated) with a learned per-channel residual scale."""

    def __init__(self, channels: int, dilation: int, init_scale: float):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.act = act()
        self.scale = nn.Parameter(torch.full((1, channels, 1, 1), float(init_scale)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(self.act(self.conv1(x)))
        return self.act(x + self.scale * y)


class ColorizeNet(nn.Module):
    def __init__(self, config: dict | None = None):
        super().__init__()
        cfg = {**CONFIG, **(config or {})}
        self.config = cfg
        widths = list(cfg["widths"])
        dil = list(cfg["dilations"]) or [1]
        self.stride = 2 ** len(widths)
        self.ab_scale = float(cfg["ab_scale"])
        self.stem = nn.Sequential(nn.Conv2d(4 * 4, widths[0], 3, padding=1), act())
        self.downs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1), act())
            for i in range(len(widths) - 1)
        )
        self.blocks = nn.Sequential(*[DilatedBlock(widths[-1], d, cfg["init_scale"]) for d in dil])
        self.reduce = nn.ModuleList(
            nn.Conv2d(widths[i + 1], widths[i], 1) for i in range(len(widths) - 1)
        )
        self.ups = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i], widths[i], 3, padding=1), act())
            for i in range(len(widths) - 1)
        )
        self.hint_in = nn.Conv2d(3, widths[0], 1)  # hints straight to the 1/2 level
        self.hint_levels = int(cfg["hint_levels"])
        # Both start at zero, so they can be added to a trained net without changing its output.
        self.pyramid_in = (zero_conv(3 * (self.hint_levels + 1), widths[-1])
                           if self.hint_levels else None)
        self.context = zero_conv(widths[-1], widths[-1]) if cfg["global_context"] else None
        self.head = nn.Conv2d(widths[0], 2 * 4, 3, padding=1)
        with torch.no_grad():
            self.head.weight.mul_(0.1)
            self.head.bias.zero_()
        self.act = act()
        self.temperature = float(cfg["temperature"])
        self.prior_correction = float(cfg["prior_correction"])
        self.uses_propagation = bool(cfg["propagation"])
        self.propagation_factor = int(cfg["propagation_factor"])
        self.hint_residual = bool(cfg["hint_residual"]) and self.uses_propagation
        self.prop_in = zero_conv(3, widths[0]) if self.uses_propagation else None
        self.classes = None
        if cfg["classes"]:
            bins = torch.from_numpy(gamut_bins(float(cfg["bin_size"])))
            self.register_buffer("bins", bins)
            # the class-rebalancing weights, set by the trainer from its photos; kept in the
            # weights, as decoding divides them out again (``prior_correction``)
            self.register_buffer("bin_weights", torch.ones(len(bins)))
            self._register_load_state_dict_pre_hook(_default_bin_weights, with_module=True)
            cw = int(cfg["class_width"])
            self.classes = nn.Sequential(nn.Conv2d(widths[0], cw, 3, padding=1), act(),
                                         nn.Conv2d(cw, len(bins), 1))
            self.gate = nn.Conv2d(widths[0], 1, 3, padding=1)
            with torch.no_grad():  # starts near the hint head alone, where hints exist
                self.gate.weight.mul_(0.1)
                self.gate.bias.fill_(2.0)

    def forward(self, lightness: torch.Tensor, hints: torch.Tensor,
                propagated: torch.Tensor | None = None):
        """lightness B x 1 x H x W (L in [0, 100]); hints B x 3 x H x W (a, b in Lab units where
        the mask, the third channel, is 1; 0 elsewhere); ``propagated`` (nets with
        ``propagation``) B x 3 x h x w at any size: the hints spread by the optimization
        colorizer (a, b, 1 where it has a value; zeros without hints) -> ab B x 2 x H x W in
        Lab units; in training mode a net with classes returns a :class:`ColorOutput`."""
        h, w = lightness.shape[-2:]
        x, mask = self._features(lightness, hints, propagated)
        if self.classes is None:
            return self._hint_head(x, propagated, h, w)
        logits = self.classes(x)
        auto = annealed_mean(self._decoding_logits(logits), self.bins, self.temperature)
        auto = F.interpolate(auto, scale_factor=2, mode="bilinear",
                             align_corners=False)[..., :h, :w]
        has_hints = (mask.flatten(1).amax(1) > 0).to(auto.dtype)[:, None, None, None]
        if not self.training and not bool(has_hints.any()):
            return auto  # the gate is 0 without hints: the hint head would not count
        ab = self._hint_head(x, propagated, h, w)
        gate = torch.sigmoid(F.interpolate(self.gate(x).float(), scale_factor=2,
                                           mode="bilinear", align_corners=False))[..., :h, :w]
        gate = gate * has_hints
        if not self.training:
            return auto + gate * (ab.float() - auto)
        # the hint head and gate learn from the blend; the classes from their own loss only
        blend = auto.detach() + gate * (ab.float() - auto.detach())
        return ColorOutput(blend, logits[..., : (h + 1) // 2, : (w + 1) // 2],
                           self.bins, self.bin_weights)

    def distribution(self, lightness: torch.Tensor, hints: torch.Tensor,
                     propagated: torch.Tensor | None = None) -> torch.Tensor:
        """The classes' probabilities (B x Q x H/2 x W/2) for the same inputs as forward."""
        h, w = lightness.shape[-2:]
        x, _ = self._features(lightness, hints, propagated)
        p = torch.softmax(self.classes(x).float(), 1)
        return p[..., : (h + 1) // 2, : (w + 1) // 2]

    def _decoding_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """The logits that the automatic colours decode: the rebalanced classes trained with
        weights w predict about p * w; dividing by w^prior_correction takes the vivid
        rare-colour bias back towards the photos' own statistics (a gray cat stays gray)."""
        if not self.prior_correction:
            return logits
        log_w = torch.log(self.bin_weights.float().clamp_min(1e-6))
        return logits.float() - self.prior_correction * log_w[None, :, None, None]

    def _hint_head(self, x: torch.Tensor, propagated: torch.Tensor | None, h: int,
                   w: int) -> torch.Tensor:
        """The regression head's ab (on the propagated hints for ``hint_residual`` nets)."""
        ab = (F.pixel_shuffle(self.head(x), 2) * self.ab_scale)[..., :h, :w]
        if self.hint_residual and propagated is not None:
            ab = ab + F.interpolate(propagated[:, :2].float(), size=(h, w), mode="bilinear",
                                    align_corners=False)
        return ab

    def _features(self, lightness, hints, propagated):
        """(the 1/2-resolution features the heads read, the hint mask), inputs padded."""
        h, w = lightness.shape[-2:]
        ph, pw = (-h) % self.stride, (-w) % self.stride
        if ph or pw:
            lightness = F.pad(lightness, (0, pw, 0, ph), mode="replicate")
            hints = F.pad(hints, (0, pw, 0, ph))
        mask = hints[:, 2:3]
        x = torch.cat([lightness / 50.0 - 1.0, hints[:, :2] / self.ab_scale * mask, mask], 1)
        x = self.stem(F.pixel_unshuffle(x, 2))
        x = x + self.hint_in(hints_half(hints, mask, self.ab_scale))
        if self.prop_in is not None:
            if propagated is None:
                propagated = torch.zeros_like(hints)
            # resized to the padded 1/2 level; a propagation of the unpadded photo covers
            # its own part of it
            full = propagated.new_zeros(propagated.shape[:2] + lightness.shape[-2:])
            prop = F.interpolate(propagated, size=(h, w), mode="bilinear", align_corners=False)
            full[..., :h, :w] = prop
            prop = F.avg_pool2d(full, 2)
            x = x + self.prop_in(torch.cat([prop[:, :2] / self.ab_scale, prop[:, 2:3]], 1))
        x = unet_trunk(x, self.downs, self.blocks, self.reduce, self.ups, self.act,
                       bottom=self._bottom(hints, mask))
        return x, mask


    def _bottom(self, hints: torch.Tensor, mask: torch.Tensor):
        """What is added to the bottom-level features before the residual blocks."""
        if self.pyramid_in is None and self.context is None:
            return None

        def add(x: torch.Tensor) -> torch.Tensor:
            if self.pyramid_in is not None:
                x = x + self.pyramid_in(hint_pyramid(hints, mask, self.hint_levels,
                                                     x.shape[-2:], self.ab_scale))
            if self.context is not None:
                x = x + self.context(x.mean((2, 3), keepdim=True))
            return x

        return add


def _default_bin_weights(module, state_dict, prefix, *_args) -> None:
    """Weights saved before the class weights were kept load with none (all 1)."""
    key = prefix + "bin_weights"
    if prefix + "bins" in state_dict and key not in state_dict:
        state_dict[key] = torch.ones(len(state_dict[prefix + "bins"]))


def zero_conv(cin: int, cout: int) -> nn.Conv2d:
    conv = nn.Conv2d(cin, cout, 1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


def hint_pyramid(hints: torch.Tensor, mask: torch.Tensor, levels: int, size, ab_scale: float):
    """Hints spread by normalized convolution, at `size` (the bottom level): for each of
    `levels` cell sizes (the bottom's, then x2, x4, ...) and for the whole picture, the mean
    hint ab over the cells around a place (bilinear weights) and a coverage 1 - exp(-count),
    count = hint pixels behind that mean. B x 3 (levels + 1) x size."""
    ab = hints[:, :2] * mask
    h, w = mask.shape[-2:]
    cell = max(1, h // size[0])
    num, den = F.avg_pool2d(ab, cell, ceil_mode=True), F.avg_pool2d(mask, cell, ceil_mode=True)
    out = []
    for level in range(levels + 1):
        if level == levels:  # the whole picture
            n, d = num.mean((2, 3), keepdim=True), den.mean((2, 3), keepdim=True)
            area = float(h * w)
        else:
            if level:
                num = F.avg_pool2d(num, 2, ceil_mode=True)
                den = F.avg_pool2d(den, 2, ceil_mode=True)
            n, d = num, den
            area = float((cell * 2 ** level) ** 2)
        n = F.interpolate(n, size=size, mode="bilinear", align_corners=False)
        d = F.interpolate(d, size=size, mode="bilinear", align_corners=False)
        est = n / d.clamp_min(1e-6) * (d > 1e-6).to(n.dtype)
        out += [est / ab_scale, 1.0 - torch.exp(-d * area)]
    return torch.cat(out, 1)


def hints_half(hints: torch.Tensor, mask: torch.Tensor, ab_scale: float) -> torch.Tensor:
    """Hint chroma and coverage at 1/2 resolution: mean hint ab where any hint pixel falls."""
    cover = F.avg_pool2d(mask, 2)
    ab = F.avg_pool2d(hints[:, :2] * mask, 2) / cover.clamp_min(1e-6)
    return torch.cat([ab / ab_scale, (cover > 0).to(ab.dtype)], 1)


def build(config: dict | None = None) -> ColorizeNet:
    """The network for ``config`` (missing keys take :data:`CONFIG`'s values)."""
    return ColorizeNet(config)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
