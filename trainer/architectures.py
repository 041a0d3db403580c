"""The networks the trainer trains (``--arch``), and what differs between them.

Each :class:`Arch` names a network (its name is also the model card's ``architecture`` and the
key of :data:`models.learned.ARCHITECTURES`), the task it serves, a CPU-sized default config,
its reconstruction loss and the default weight of an adversarial term. The loop
(:mod:`trainer.loop`) asks the run's :class:`Arch` for these and stays the same for all.

===================  ========  ============================================================
``--arch``           task      loss (defaults)
===================  ========  ============================================================
``ffc_unet``         inpaint   the default: L1 + gradient + SSIM (:mod:`trainer.losses`)
``partial_conv``     inpaint   Liu et al. 2018: hole L1 x 6 + valid L1 x 1 + TV x 0.1
``context_encoder``  inpaint   Pathak et al. 2016: hole L2 x 0.999 + adversarial x 0.001
``mat``              inpaint   Li et al. 2022 (mask-aware transformer): the default's loss
``hint_colorizer``   colorize  the default: L1 + chroma magnitude (:mod:`trainer.colorize`)
``pix2pix``          colorize  Isola et al. 2017: L1 x 100 + GAN x 1, on ab / 100
===================  ========  ============================================================

Adversarial training (:class:`Adversary`): a discriminator and its own Adam optimizer,
updated in the same step as the generator, before it (as in Pix2Pix): D learns on the real
and the detached generated images, then the generator's loss gets ``weight`` x the GAN loss
of D's verdict on its output (D frozen for that term). Context Encoder uses its DCGAN
discriminator (unconditional, one logit per image), Pix2Pix its PatchGAN conditioned on L;
any other architecture gets a PatchGAN (70 x 70 patches) with ``--adversarial W``, conditioned
on the hole mask (inpaint) or L (colorize). The discriminator's weights and optimizer state
go in the checkpoint, so ``--resume`` stays bit-exact; only the generator is exported.

Sizes of the default configs (parameters; the model card says it too): ``partial_conv``
1.73 M, ``context_encoder`` 1.55 M (+ 1.74 M discriminator), ``pix2pix`` 2.59 M (+ 0.69 M
discriminator), ``mat`` 1.50 M; the PatchGAN of ``--adversarial`` 0.70 M. A batch of 8 takes
about as long as the default nets' (1 CPU thread: partial_conv 3.6 s at 192 px like ffc_unet's
3.4 s, pix2pix 1.9 s like hint_colorizer's, context_encoder 0.5 s at 128 px; mat 24 crops/s at
128 px, bfloat16, beside ffc_unet's 28).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from models.nets import (
    colorize_net,
    context_encoder,
    inpaint_net,
    mask_detector,
    mat,
    partial_conv,
    pix2pix,
)
from models.nets.seed_losses import (
    context_encoder_loss,
    discriminator_loss,
    gan_loss,
    mask_detector_loss,
    pconv_loss,
    pix2pix_generator_loss,
)
from trainer import colorize as col
from trainer.errors import TrainError
from trainer.losses import InpaintLossWeights, inpaint_loss

AB_UNIT = 100.0  # the colorize task's loss works on ab / 100 (trainer.colorize)
L_HALF = 50.0  # L in [0, 100] -> L / 50 - 1 in [-1, 1]
COLORIZE_WORKING_SIZE = 256  # long side at which the app runs a colorizer (model cards)

# The PatchGAN that --adversarial adds to a net without a discriminator of its own. Small
# (32 base channels) for CPUs; 3 stride-2 layers see 70 x 70 patches, as in Pix2Pix.
PATCH_GAN: dict[str, Any] = {"disc_layers": 3, "disc_base": 32, "disc_max_width": 256,
                             "norm": "batch"}


@dataclass(frozen=True)
class Arch:
    name: str
    task: str
    build: Callable[[dict], nn.Module]
    CONFIG: dict  # network settings of a new run (missing keys: the module's own defaults)
    loss_defaults: dict
    # inpaint: (pred, image, mask, weights); colorize: (pred ab, true ab, weights)
    loss_fn: Callable[..., tuple[torch.Tensor, dict[str, float]]]
    weights_type: type | None = None  # a dataclass of loss weights, else a plain dict
    run_defaults: dict = field(default_factory=dict)  # trainer settings of a new run
    adversarial: float = 0.0  # default weight of the GAN term (0: no discriminator)
    discriminator: str = "patch"  # "patch" (conditional PatchGAN) or "dcgan" (Context Encoder)
    card: dict = field(default_factory=dict)  # extra model-card fields

    @property
    def ARCHITECTURE(self) -> str:  # noqa: N802 - the attribute name of the net modules
        return self.name

    @staticmethod
    def parameter_count(model: nn.Module) -> int:
        return sum(p.numel() for p in model.parameters())

    def loss_config(self, given: dict | None) -> dict:
        """The loss weights of a new run: ``given`` over the defaults; unknown keys refused."""
        given = dict(given or {})
        unknown = sorted(set(given) - set(self.loss_defaults))
        if unknown:
            raise TrainError(f"unknown loss weight(s) {', '.join(unknown)} for {self.name} "
                             f"(known: {', '.join(self.loss_defaults)})")
        return {**self.loss_defaults, **given}

    def loss_weights(self, loss_cfg: dict):
        return self.weights_type(**loss_cfg) if self.weights_type else dict(loss_cfg)

    def loss(self, pred: torch.Tensor, *targets: torch.Tensor, weights):
        return self.loss_fn(pred, *targets, weights)

    def card_extra(self, cfg: dict) -> dict:
        """Model-card fields beyond the common ones (none for ``ffc_unet``, as before)."""
        extra = dict(self.card)
        if self.name == context_encoder.ARCHITECTURE:  # the app shrinks crops to its size
            extra["working_size"] = int(cfg["model"]["input_size"])
        weight = adversarial_weight(cfg)
        if weight:
            extra["adversarial"] = {"weight": weight, "discriminator": describe_disc(self, cfg)}
        return extra


# ------------------------------------------------------------------------ the losses


def _pconv_loss(pred, image, mask, w):
    return pconv_loss(pred, image, mask, hole=w["hole"], valid=w["valid"], tv=w["tv"])


def _context_encoder_loss(pred, image, mask, w):
    # the paper's units: images in [-1, 1]; L2 over the hole (the "full" output)
    return context_encoder_loss(pred * 2 - 1, image * 2 - 1, None, mask=mask, rec=w["rec"])


def _pix2pix_loss(pred, ab, w):
    return pix2pix_generator_loss(pred / AB_UNIT, ab / AB_UNIT, None, l1=w["l1"])


def _detector_loss(logits, label, w):
    return mask_detector_loss(logits, label, bce=w["bce"], dice=w["dice"],
                              pos_weight=w["pos_weight"])


# ------------------------------------------------------------------------ the registry

ARCHS: dict[str, Arch] = {}


def _add(arch: Arch) -> None:
    ARCHS[arch.name] = arch


_add(Arch(inpaint_net.ARCHITECTURE, "inpaint", inpaint_net.build, inpaint_net.CONFIG,
          asdict(InpaintLossWeights()), inpaint_loss, InpaintLossWeights))
# A new run gets the classes (automatic colours) and the propagated hints; the module's
# defaults keep older cards (regression only) loading as they were trained.
_add(Arch(colorize_net.ARCHITECTURE, "colorize", colorize_net.build,
          {**colorize_net.CONFIG, "classes": True, "propagation": True, "propagation_factor": 2,
           "hint_residual": True},
          # milder class rebalancing than Zhang's 0.5: at 0.5 it painted gray subjects
          asdict(col.ColorizeLossWeights(l1=5.0, chroma=2.5, classes=1.0, rebalance=0.85)),
          col.colorize_loss,
          col.ColorizeLossWeights,
          # half the hinted crops get hints anywhere: a user (and the benchmark) also puts
          # them on gray walls and skies, which drawing them towards colour never taught;
          # patches of 1 to 9 px as users place them (Zhang et al. 2017)
          run_defaults={"hint_uniform_share": 0.5, "hint_patch": [1, 9]},
          card={"working_size": COLORIZE_WORKING_SIZE}))
# 6 levels (inputs padded to multiples of 64), 32..128 channels: 1.7 M parameters instead of
# the paper's 33 M, so that it trains on a 2-core CPU; the paper's learning rate.
_add(Arch(partial_conv.ARCHITECTURE, "inpaint", partial_conv.build,
          {**partial_conv.CONFIG, "widths": [32, 64, 128, 128, 128, 128],
           "kernels": [7, 5, 5, 3, 3, 3]},
          {"hole": 6.0, "valid": 1.0, "tv": 0.1}, _pconv_loss, run_defaults={"lr": 2e-4}))
# The arbitrary-region variant at 128 x 128 (mask as a 4th channel, a prediction for every
# pixel), with the paper's channel-wise fully-connected bottleneck: the dense 4000-unit one
# would be 33 M parameters at these widths.
_add(Arch(context_encoder.ARCHITECTURE, "inpaint", context_encoder.build_inpainter,
          {**context_encoder.CONFIG, "input_size": 128, "in_channels": 4, "base": 32,
           "max_width": 256, "bottleneck": "channelwise", "output": "full", "disc_base": 32},
          {"rec": 0.999}, _context_encoder_loss,
          run_defaults={"lr": 2e-4, "crop": 128}, adversarial=0.001, discriminator="dcgan"))
# 6 levels (multiples of 64), 32..128 channels: 2.6 M parameters instead of 54 M.
_add(Arch(pix2pix.ARCHITECTURE, "colorize", pix2pix.build_colorizer,
          {**pix2pix.CONFIG, "in_channels": 1, "out_channels": 2, "depth": 6, "base": 32,
           "max_width": 128, "disc_base": 32, "disc_max_width": 256, "ab_range": 110.0},
          {"l1": 100.0}, _pix2pix_loss, run_defaults={"lr": 2e-4}, adversarial=1.0,
          card={"working_size": COLORIZE_WORKING_SIZE, "uses_hints": False}))

# 8 mask-aware transformer blocks of 128-wide tokens at 1/8 resolution: 1.5 M parameters.
# No VGG or GAN term offline: it trains with the default net's loss (L1 + gradient + SSIM).
_add(Arch(mat.ARCHITECTURE, "inpaint", mat.build, mat.CONFIG,
          asdict(InpaintLossWeights()), inpaint_loss, InpaintLossWeights))

# The damage detector (--task detect): 5 levels, 16..128 channels (0.6 M parameters), so that
# 1 px scratches keep full-resolution features and a torn corner still fits its receptive
# field; damaged pixels are ~3 % of a crop, hence BCE with them up-weighted, plus Dice.
_add(Arch(mask_detector.ARCHITECTURE, "detect", mask_detector.build,
          {**mask_detector.CONFIG, "widths": [16, 32, 64, 128, 128]},
          {"bce": 1.0, "dice": 1.0, "pos_weight": 5.0}, _detector_loss,
          run_defaults={"crop": 256, "lr": 2e-3},
          card={"input": "RGB in [0, 1]; gray scans as 3 equal channels",
                "output": "logit of damaged per pixel (sigmoid > 1 - sensitivity)"}))

DEFAULT_ARCH = {"inpaint": inpaint_net.ARCHITECTURE, "colorize": colorize_net.ARCHITECTURE,
                "detect": mask_detector.ARCHITECTURE}
TASK_ARCHITECTURES: dict[str, set[str]] = {
    task: {a.name for a in ARCHS.values() if a.task == task} for task in DEFAULT_ARCH
}


def resolve(task: str, arch: str | None, base_arch: str | None = None) -> Arch:
    """The architecture of a new run: ``--arch``, else the base model's, else the task's."""
    if arch is not None and base_arch is not None and arch != base_arch:
        raise TrainError(f"--arch {arch} does not match the base model, a {base_arch!r} model "
                         "(fine-tuning keeps the architecture)")
    name = arch or base_arch or DEFAULT_ARCH[task]
    spec = ARCHS.get(name)
    if spec is None:
        raise TrainError(f"unknown --arch {name!r} (known: {', '.join(sorted(ARCHS))})")
    if spec.task != task:
        fits = ", ".join(sorted(TASK_ARCHITECTURES[task]))
        raise TrainError(f"--arch {name} is a {spec.task} network, not one for --task {task} "
                         f"(choose from {fits})")
    return spec


def for_config(cfg: dict) -> Arch:
    """The architecture of a run's config; a checkpoint without "arch" is the task default."""
    name = cfg.get("arch") or DEFAULT_ARCH.get(cfg["task"])
    if name not in ARCHS:
        raise TrainError(f"this trainer cannot train {name!r} networks")
    return ARCHS[name]


def check_resumed(cfg: dict, arch: str | None) -> None:
    """A resumed run keeps its checkpoint's architecture: a different ``--arch`` is an error."""
    saved = for_config(cfg).name
    if arch is not None and arch != saved:
        raise TrainError(f"the checkpoint is a {saved!r} run: --arch {arch} cannot resume it")


# ------------------------------------------------------------------------ adversarial


def adversarial_weight(cfg: dict) -> float:
    """The GAN term's weight of a run (0: none; configs from before the option have none)."""
    weight = cfg.get("adversarial")
    weight = float(weight) if weight is not None else for_config(cfg).adversarial
    if not weight >= 0:
        raise TrainError(f"--adversarial must be a weight >= 0, got {weight}")
    return weight


class _Unconditional(nn.Module):
    """(condition, image) -> logits for a discriminator that only looks at the image."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, _condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)


def _disc_config(arch: Arch, cfg: dict) -> dict:
    if arch.discriminator == "dcgan" or arch.name == pix2pix.ARCHITECTURE:
        return dict(cfg["model"])  # its own settings are part of the net's config
    channels = 3 if arch.task == "inpaint" else 2
    return {**pix2pix.CONFIG, **PATCH_GAN, "in_channels": 1, "out_channels": channels}


def describe_disc(arch: Arch, cfg: dict) -> str:
    d = _disc_config(arch, cfg)
    if arch.discriminator == "dcgan":
        return f"DCGAN, {d['disc_base']} base channels, one logit per image"
    cond = "the hole mask" if arch.task == "inpaint" else "L"
    return (f"PatchGAN, {d['disc_layers']} stride-2 layers, {d['disc_base']} base channels, "
            f"conditioned on {cond}")


def build_discriminator(arch: Arch, cfg: dict) -> nn.Module:
    d = _disc_config(arch, cfg)
    if arch.discriminator == "dcgan":
        return _Unconditional(context_encoder.build_discriminator(d))
    return pix2pix.build_discriminator(d)


def views(task: str, pred: torch.Tensor, *batch: torch.Tensor):
    """(condition, real, fake) as the discriminator sees them, in about [-1, 1].

    inpaint (batch: image, mask): the hole mask; the photo; the prediction composited into it.
    colorize (batch: L, true ab): L; true ab; predicted ab.
    """
    if task == "inpaint":
        image, mask = batch
        fake = pred * mask + image * (1 - mask)
        return mask, image * 2 - 1, fake * 2 - 1
    lum, ab = batch
    return lum / L_HALF - 1, ab / AB_UNIT, pred / AB_UNIT


class Adversary:
    """A discriminator with its optimizer, trained in the generator's step (see the module)."""

    def __init__(self, disc: nn.Module, weight: float, device: torch.device):
        self.disc = disc.to(device)
        self.weight = weight
        # Pix2Pix / DCGAN settings; the learning rate follows the run's schedule
        self.opt = torch.optim.Adam(self.disc.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def step(self, loss: torch.Tensor, terms: dict[str, float], task: str, pred: torch.Tensor,
             batch: tuple[torch.Tensor, ...], lr: float):
        """Update D once on this batch; return the generator's ``loss`` + weight x its GAN
        term, and the terms. ``batch``: (image, mask) or (L, ab), see :func:`views`."""
        cond, real, fake = views(task, pred, *batch)
        for group in self.opt.param_groups:
            group["lr"] = lr
        self.disc.train()
        self.disc.requires_grad_(True)
        d_loss, d_terms = discriminator_loss(self.disc(cond, real), self.disc(cond, fake.detach()))
        self.opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt.step()
        self.disc.requires_grad_(False)  # the generator's term must not train D
        g_adv = gan_loss(self.disc(cond, fake), True)
        return loss + self.weight * g_adv, {**terms, **d_terms, "gan": float(g_adv.detach())}

    def state_dict(self) -> dict:
        return {"disc": self.disc.state_dict(), "optimizer": self.opt.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.disc.load_state_dict(state["disc"])
        self.opt.load_state_dict(state["optimizer"])


def make_adversary(arch: Arch, cfg: dict, device: torch.device, world: int) -> Adversary | None:
    """The run's discriminator, or None when its adversarial weight is 0."""
    weight = adversarial_weight(cfg)
    if not weight:
        return None
    if world > 1:
        raise TrainError("adversarial training runs in one process (not under torchrun) yet")
    return Adversary(build_discriminator(arch, cfg), weight, device)
