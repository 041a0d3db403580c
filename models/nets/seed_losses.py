"""Loss terms of the seed architectures, as their papers define them.

- Partial-conv U-Net (Liu et al. 2018): hole L1 x 6 + valid L1 x 1 + total variation x 0.1 on
  the composited image over the 1-pixel dilation of the hole (:func:`pconv_loss`). The paper's
  perceptual (x 0.05) and style (x 120) terms need a pretrained VGG-16, which does not exist
  offline: left out.
- Pix2Pix (Isola et al. 2017): L1 x 100 + GAN (:func:`pix2pix_generator_loss`,
  :func:`discriminator_loss`), the GAN term as BCE with logits (the paper) or least squares
  ("lsgan", Mao et al. 2017).
- Context Encoder (Pathak et al. 2016): 0.999 x L2 on the hole + 0.001 x adversarial
  (:func:`context_encoder_loss`).
- Mask detector: BCE with logits + optional Dice (:func:`mask_detector_loss`).

Every loss returns ``(total, terms)`` with ``terms`` a dict of floats for logging. Masks are
B x 1 x H x W, 1 = hole. Pure torch: ``models`` does not depend on ``trainer`` (whose
``losses`` module has a region-normalized TV term of its own for the default network).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

GAN_MODES = ("bce", "lsgan")


def _terms(terms: dict[str, torch.Tensor]) -> dict[str, float]:
    return {k: float(v.detach()) for k, v in terms.items()}


def dilate(mask: torch.Tensor, pixels: int = 1) -> torch.Tensor:
    """Grow a 0/1 mask by ``pixels`` (square structuring element)."""
    if pixels <= 0:
        return mask
    return F.max_pool2d(mask, 2 * pixels + 1, stride=1, padding=pixels)


def tv_on_region(x: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Sum of absolute neighbour differences whose both pixels lie in ``region``, divided by
    the number of elements of ``x`` (the paper's normalization by N of the image)."""
    rx = region[..., :, 1:] * region[..., :, :-1]
    ry = region[..., 1:, :] * region[..., :-1, :]
    tx = ((x[..., :, 1:] - x[..., :, :-1]).abs() * rx).sum()
    ty = ((x[..., 1:, :] - x[..., :-1, :]).abs() * ry).sum()
    return (tx + ty) / x.numel()


def pconv_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
               hole: float = 6.0, valid: float = 1.0, tv: float = 0.1,
               ) -> tuple[torch.Tensor, dict[str, float]]:
    """Liu et al.'s loss without the VGG terms; L1 terms are normalized by the image's element
    count, as in the paper (so their weights keep the paper's balance)."""
    mask = mask.to(pred.dtype)
    err = (pred - target).abs()
    n = pred.numel()
    terms = {
        "hole": (err * mask).sum() / n,
        "valid": (err * (1.0 - mask)).sum() / n,
    }
    comp = pred * mask + target * (1.0 - mask)
    terms["tv"] = tv_on_region(comp, dilate(mask, 1))
    total = hole * terms["hole"] + valid * terms["valid"] + tv * terms["tv"]
    return total, _terms(terms)


def gan_loss(logits: torch.Tensor, real: bool, mode: str = "bce") -> torch.Tensor:
    """Loss that pushes ``logits`` towards "real" (True) or "fake" (False)."""
    target = torch.full_like(logits, 1.0 if real else 0.0)
    if mode == "bce":
        return F.binary_cross_entropy_with_logits(logits, target)
    if mode == "lsgan":
        return F.mse_loss(logits, target)
    raise ValueError(f"unknown GAN mode {mode!r}, expected one of {GAN_MODES}")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                       mode: str = "bce") -> tuple[torch.Tensor, dict[str, float]]:
    """Discriminator loss, halved as in Pix2Pix (slows D relative to G). Pass the fake
    logits computed on detached generator outputs."""
    terms = {"d_real": gan_loss(real_logits, True, mode),
             "d_fake": gan_loss(fake_logits, False, mode)}
    return 0.5 * (terms["d_real"] + terms["d_fake"]), _terms(terms)


def pix2pix_generator_loss(pred: torch.Tensor, target: torch.Tensor,
                           fake_logits: torch.Tensor | None = None, l1: float = 100.0,
                           adv: float = 1.0, mode: str = "bce",
                           ) -> tuple[torch.Tensor, dict[str, float]]:
    """L1 x ``l1`` + GAN x ``adv`` (``fake_logits``: D on the generated output; None skips the
    adversarial term, e.g. for an L1-only warm-up)."""
    terms = {"l1": (pred - target).abs().mean()}
    total = l1 * terms["l1"]
    if fake_logits is not None:
        terms["gan"] = gan_loss(fake_logits, True, mode)
        total = total + adv * terms["gan"]
    return total, _terms(terms)


def context_encoder_loss(pred: torch.Tensor, target: torch.Tensor,
                         fake_logits: torch.Tensor | None = None,
                         mask: torch.Tensor | None = None, rec: float = 0.999,
                         adv: float = 0.001, mode: str = "bce",
                         ) -> tuple[torch.Tensor, dict[str, float]]:
    """0.999 x L2 on the hole + 0.001 x adversarial.

    With the "center" output, ``pred`` and ``target`` are the hole itself and ``mask`` is None;
    with the "full" output, pass the hole mask (1 = hole; weights > 1 give the paper's heavier
    weight on an overlap band)."""
    sq = (pred - target) ** 2
    if mask is None:
        l2 = sq.mean()
    else:
        m = mask.to(pred.dtype).expand_as(sq)
        l2 = (sq * m).sum() / m.sum().clamp_min(1.0)
    terms = {"l2": l2}
    total = rec * l2
    if fake_logits is not None:
        terms["gan"] = gan_loss(fake_logits, True, mode)
        total = total + adv * terms["gan"]
    return total, _terms(terms)


def dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """1 - soft Dice coefficient per image, averaged over the batch."""
    p = torch.sigmoid(logits).flatten(1)
    t = target.to(p.dtype).flatten(1)
    inter = (p * t).sum(1)
    dice = (2 * inter + eps) / (p.sum(1) + t.sum(1) + eps)
    return (1.0 - dice).mean()


def mask_detector_loss(logits: torch.Tensor, target: torch.Tensor, bce: float = 1.0,
                       dice: float = 1.0, pos_weight: float | None = None,
                       ) -> tuple[torch.Tensor, dict[str, float]]:
    """BCE with logits (``pos_weight`` > 1 favours the rare damaged pixels) + ``dice`` x Dice
    (0 turns it off). ``target`` is the true mask, 1 = damaged / masked."""
    t = target.to(logits.dtype)
    pw = None if pos_weight is None else torch.tensor(pos_weight, dtype=logits.dtype)
    terms = {"bce": F.binary_cross_entropy_with_logits(logits, t, pos_weight=pw)}
    total = bce * terms["bce"]
    if dice:
        terms["dice"] = dice_loss(logits, t)
        total = total + dice * terms["dice"]
    return total, _terms(terms)
