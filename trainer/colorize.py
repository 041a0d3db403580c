"""The colorize task: gray copies of the photos, sampled colour hints, loss and metrics.

Training pairs are random crops (random scale, horizontal flip) of the colour photos in CIE
Lab: the network sees L and, with probability ``p_none`` none (automatic mode), else a
geometric number of hints. A hint is the mean ab of a small square patch (1 to 5 pixels) at a
random place, drawn more often where the photo is colourful, written into the hint ab channels
over that patch with the hint mask set to 1, as in Zhang et al. 2017.

Near-monochrome photos (gray scans, sepia prints) teach nothing about colour and are left out
(and reported): :func:`trainer.chroma.drop_monochrome`.

Loss (on ab / 100): L1, plus L1 between the predicted and the true chroma magnitude
``sqrt(a^2 + b^2)``. The first alone settles on the per-channel median, which is gray wherever
the hue is uncertain (the washed-out sepia look); the second makes a saturated guess of some
plausible hue cheaper than gray. Nets with classes (:mod:`models.nets.colorize_net`) add the
loss of Zhang et al. 2016 for their automatic colours: cross-entropy against the true ab
soft-encoded on its 5 nearest bins (Gaussian, sigma 5), each pixel weighted by the rarity of
its colour in the training photos (:func:`rebalance_weights`), so that the rare saturated
colours are not drowned by the common grays and browns; the L1 terms then train the hint head.

Metrics: RGB PSNR of the colorized crop (true L + predicted ab) against the photo, and the
colourfulness of Hasler and Suesstrunk 2003.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from models.classical_colorize import propagate_hints
from models.nets.colorize_net import ColorOutput
from trainer.chroma import to_lab
from trainer.data import PhotoSet, random_crop

HINT_SAMPLE_STRIDE = 4  # candidate hint places: every 4th pixel of the crop


def sample_hints(
    lab: np.ndarray,
    rng: np.random.Generator,
    p_none: float = 0.5,
    p_stop: float = 0.125,
    max_hints: int = 40,
    count: int | None = None,
    patch: tuple[int, int] = (1, 5),
    uniform: bool = False,
) -> np.ndarray:
    """Hint channels (float32 H x W x 3: a, b, mask) for one Lab crop.

    ``count`` None: no hints with probability ``p_none``, else a geometric number (mean
    1 / ``p_stop``, at most ``max_hints``). Places are drawn with probability growing with the
    local chroma, so colourful regions get more hints than gray ones; ``uniform``: anywhere
    alike (hints on gray walls and skies, as a user who clicks everywhere gives them).
    """
    h, w = lab.shape[:2]
    out = np.zeros((h, w, 3), np.float32)
    if count is None:
        count = 0 if rng.random() < p_none else min(int(rng.geometric(p_stop)), max_hints)
    if count <= 0:
        return out
    st = HINT_SAMPLE_STRIDE
    ab = lab[::st, ::st, 1:]
    chroma = np.sqrt((ab**2).sum(-1)).ravel()
    weight = np.ones_like(chroma) if uniform else chroma + 0.25 * chroma.mean() + 1.0
    places = rng.choice(len(weight), size=count, p=weight / weight.sum())
    gw = ab.shape[1]
    for place in places:
        cy, cx = divmod(int(place), gw)
        size = int(rng.integers(patch[0], patch[1] + 1))
        y0 = min(max(cy * st - size // 2, 0), h - size)
        x0 = min(max(cx * st - size // 2, 0), w - size)
        mean = lab[y0 : y0 + size, x0 : x0 + size, 1:].reshape(-1, 2).mean(0)
        out[y0 : y0 + size, x0 : x0 + size, :2] = mean
        out[y0 : y0 + size, x0 : x0 + size, 2] = 1.0
    return out


class ColorizeSampler:
    """Random (Lab crop, hint channels) batches, reproducible from its RNG state."""

    def __init__(self, photos: PhotoSet, crop: int = 192, seed=0,
                 scale_range: tuple[float, float] = (0.5, 1.0), p_none: float = 0.5,
                 uniform_share: float = 0.0, patch: tuple[int, int] = (1, 5),
                 propagation: int = 0):
        """``uniform_share``: the share of hinted crops whose hint places are uniform
        rather than drawn towards colour (:func:`sample_hints`); ``patch``: the range of hint
        patch sides; ``propagation`` > 0: batches also carry the hints propagated at
        1/``propagation`` of the crop's size."""
        if len(photos) == 0:
            raise ValueError("no colour photos to train on")
        self.photos = photos
        self.crop = crop
        self.scale_range = scale_range
        self.p_none = p_none
        self.uniform_share = uniform_share
        self.patch = tuple(patch)
        self.propagation = propagation
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(Lab float32 n x S x S x 3, hints float32 n x S x S x 3, propagated hints
        float32 n x S/4 x S/4 x 3 or None without ``propagation``)."""
        s = self.crop
        labs = np.empty((n, s, s, 3), np.float32)
        hints = np.empty((n, s, s, 3), np.float32)
        for i in range(n):
            img = self.photos.images[int(self.rng.integers(len(self.photos)))]
            labs[i] = to_lab(random_crop(img, s, self.rng, self.scale_range))
            # no draw at share 0: a run from before the option resumes on the same stream
            uniform = bool(self.uniform_share) and self.rng.random() < self.uniform_share
            hints[i] = sample_hints(labs[i], self.rng, self.p_none, uniform=uniform,
                                    patch=self.patch)
        return labs, hints, (propagations(labs, hints, self.propagation)
                             if self.propagation else None)

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


VAL_HINTS = 10  # hints per crop in the guided validation


def fixed_val_set(photos: PhotoSet, crop: int, per_photo: int = 3, seed: int = 1234):
    """(rgb uint8 n x S x S x 3, Lab float32, 10-point hints float32): fixed held-out crops."""
    rgbs, labs, hints = [], [], []
    for p, img in enumerate(photos.images):
        for j in range(per_photo):
            rng = np.random.default_rng([seed, p, j])
            rgb = random_crop(img, crop, rng, (0.5, 1.0), flip=False)
            lab = to_lab(rgb)
            rgbs.append(rgb)
            labs.append(lab)
            hints.append(sample_hints(lab, rng, count=VAL_HINTS, patch=(1, 1)))
    if not rgbs:
        z = np.empty((0, crop, crop, 3), np.float32)
        return z.astype(np.uint8), z, z
    return np.stack(rgbs), np.stack(labs), np.stack(hints)


def propagations(labs: np.ndarray, hints: np.ndarray, factor: int = 4) -> np.ndarray:
    """float32 n x S/f x S/f x 3: each crop's hints propagated by the optimization colorizer
    at 1/``factor`` (:func:`models.classical_colorize.propagate_hints`)."""
    return np.stack([propagate_hints(np.ascontiguousarray(lab[..., 0]), hint, factor)
                     for lab, hint in zip(labs, hints, strict=True)])


def prop_tensor(props: np.ndarray | None) -> torch.Tensor | None:
    return None if props is None else torch.from_numpy(props).permute(0, 3, 1, 2).contiguous()


def rebalance_weights(photos: PhotoSet, bins: np.ndarray, mix: float = 0.5,
                      sigma: float = 5.0, side: int = 64) -> np.ndarray:
    """float32 Q: Zhang et al. 2016's class weights, w ~ 1 / ((1 - mix) p + mix / Q) with p the
    bins' frequency in ``photos`` (each shrunk to ``side``) smoothed by a Gaussian of ``sigma``
    ab units, normalised so that the expected weight is 1."""
    bins = np.asarray(bins, np.float32)
    counts = np.zeros(len(bins), np.float64)
    for img in photos.images:
        h, w = img.shape[:2]
        s = min(1.0, side / max(h, w))
        small = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))),
                           interpolation=cv2.INTER_AREA)
        ab = to_lab(small)[..., 1:].reshape(-1, 2)
        nearest = ((ab[:, None] - bins[None]) ** 2).sum(-1).argmin(1)
        counts += np.bincount(nearest, minlength=len(bins))
    p = counts / max(counts.sum(), 1.0)
    d2 = ((bins[:, None] - bins[None]) ** 2).sum(-1)
    kernel = np.exp(-d2 / (2 * sigma**2))
    p = kernel @ p / kernel.sum(1)
    p /= p.sum()
    w = 1.0 / ((1 - mix) * p + mix / len(bins))
    w /= (p * w).sum()
    return w.astype(np.float32)


def soft_encode(ab: torch.Tensor, bins: torch.Tensor, neighbours: int = 5,
                sigma: float = 5.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(target distribution B x Q x h x w, nearest bin B x h x w) of ab (B x 2 x h x w): the
    Gaussian-weighted ``neighbours`` nearest bins of each pixel."""
    b, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2).float()
    d2 = torch.cdist(flat, bins.float()) ** 2
    near, idx = d2.topk(neighbours, dim=1, largest=False)
    weight = torch.softmax(-near / (2 * sigma**2), 1)
    target = torch.zeros_like(d2).scatter_(1, idx, weight)
    return (target.reshape(b, h, w, -1).permute(0, 3, 1, 2),
            idx[:, 0].reshape(b, h, w))


def lab_tensors(labs: np.ndarray, hints: np.ndarray) -> tuple[torch.Tensor, ...]:
    """(L B x 1 x H x W, ab B x 2 x H x W, hints B x 3 x H x W) tensors of numpy batches."""
    lab = torch.from_numpy(labs).permute(0, 3, 1, 2)
    return lab[:, :1].contiguous(), lab[:, 1:].contiguous(), \
        torch.from_numpy(hints).permute(0, 3, 1, 2).contiguous()


@dataclass
class ColorizeLossWeights:
    l1: float = 1.0
    chroma: float = 1.0  # |chroma(pred) - chroma(truth)|: rewards matching saturation
    classes: float = 0.0  # rebalanced cross-entropy of the classes (nets that have them)
    rebalance: float = 0.5  # the uniform share in the class weights (1: no rebalancing)


def classes_loss(out: ColorOutput, target: torch.Tensor) -> torch.Tensor:
    """Rebalanced soft-encoded cross-entropy of a net's classes against the true ab
    (B x 2 x H x W), at the classes' 1/2 resolution."""
    small = F.avg_pool2d(target.float(), 2, ceil_mode=True)[..., : out.logits.shape[-2],
                                                            : out.logits.shape[-1]]
    with torch.no_grad():
        soft, nearest = soft_encode(small, out.bins)
        weight = (out.bin_weights[nearest] if out.bin_weights is not None
                  else torch.ones_like(nearest, dtype=torch.float32))
    ce = -(soft * torch.log_softmax(out.logits.float(), 1)).sum(1)
    return (ce * weight).mean()


def colorize_loss(pred, target: torch.Tensor, weights: ColorizeLossWeights | None = None):
    """(total, terms) for predicted (B x 2 x H x W, or a :class:`ColorOutput`) and true ab
    (B x 2 x H x W, Lab units)."""
    w = weights or ColorizeLossWeights()
    out = pred if isinstance(pred, ColorOutput) else None
    if out is not None:
        pred = out.ab
    p, t = pred.float() / 100.0, target.float() / 100.0
    terms = {"l1": (p - t).abs().mean()}
    if w.chroma:
        cp = torch.sqrt((p**2).sum(1) + 1e-6)
        ct = torch.sqrt((t**2).sum(1) + 1e-6)
        terms["chroma"] = (cp - ct).abs().mean()
    if out is not None and w.classes:
        terms["classes"] = classes_loss(out, target)
    total = sum(getattr(w, k) * v for k, v in terms.items())
    return total, {k: float(v.detach()) for k, v in terms.items()}


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk 2003 colourfulness of a uint8 RGB image (0 for a gray one)."""
    x = rgb.reshape(-1, 3).astype(np.float64)
    rg = x[:, 0] - x[:, 1]
    yb = 0.5 * (x[:, 0] + x[:, 1]) - x[:, 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def compose(lab: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """uint8 RGB of the true L of ``lab`` and chroma ``ab`` (H x W x 2), gamut-fitted."""
    from models.engine import lab_to_rgb

    return lab_to_rgb(np.ascontiguousarray(lab[..., 0]), np.ascontiguousarray(ab))


def score(rgbs: np.ndarray, labs: np.ndarray, abs_: list[np.ndarray]) -> dict[str, float]:
    """RGB PSNR (of the mean MSE over crops) and mean colourfulness of colorized crops."""
    mses, cols = [], []
    for rgb, lab, ab in zip(rgbs, labs, abs_, strict=True):
        out = compose(lab, ab)
        mses.append(np.mean((out.astype(np.float64) - rgb) ** 2) / 255.0**2)
        cols.append(colourfulness(out))
    mse = max(float(np.mean(mses)), 1e-10)
    return {"psnr": round(10 * float(np.log10(1 / mse)), 3),
            "colourfulness": round(float(np.mean(cols)), 2)}
