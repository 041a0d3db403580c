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
plausible hue cheaper than gray, so the colours stay vivid.

Metrics: RGB PSNR of the colorized crop (true L + predicted ab) against the photo, and the
colourfulness of Hasler and Suesstrunk 2003.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

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
                 uniform_share: float = 0.0):
        """``uniform_share``: the share of hinted crops whose hint places are uniform
        rather than drawn towards colour (:func:`sample_hints`)."""
        if len(photos) == 0:
            raise ValueError("no colour photos to train on")
        self.photos = photos
        self.crop = crop
        self.scale_range = scale_range
        self.p_none = p_none
        self.uniform_share = uniform_share
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(Lab float32 n x S x S x 3, hints float32 n x S x S x 3)."""
        s = self.crop
        labs = np.empty((n, s, s, 3), np.float32)
        hints = np.empty((n, s, s, 3), np.float32)
        for i in range(n):
            img = self.photos.images[int(self.rng.integers(len(self.photos)))]
            labs[i] = to_lab(random_crop(img, s, self.rng, self.scale_range))
            # no draw at share 0: a run from before the option resumes on the same stream
            uniform = bool(self.uniform_share) and self.rng.random() < self.uniform_share
            hints[i] = sample_hints(labs[i], self.rng, self.p_none, uniform=uniform)
        return labs, hints

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


def lab_tensors(labs: np.ndarray, hints: np.ndarray) -> tuple[torch.Tensor, ...]:
    """(L B x 1 x H x W, ab B x 2 x H x W, hints B x 3 x H x W) tensors of numpy batches."""
    lab = torch.from_numpy(labs).permute(0, 3, 1, 2)
    return lab[:, :1].contiguous(), lab[:, 1:].contiguous(), \
        torch.from_numpy(hints).permute(0, 3, 1, 2).contiguous()


@dataclass
class ColorizeLossWeights:
    l1: float = 1.0
    chroma: float = 1.0  # |chroma(pred) - chroma(truth)|: rewards matching saturation


def colorize_loss(pred: torch.Tensor, target: torch.Tensor,
                  weights: ColorizeLossWeights | None = None):
    """(total, terms) for predicted and true ab (B x 2 x H x W, Lab units)."""
    w = weights or ColorizeLossWeights()
    p, t = pred / 100.0, target / 100.0
    terms = {"l1": (p - t).abs().mean()}
    if w.chroma:
        cp = torch.sqrt((p**2).sum(1) + 1e-6)
        ct = torch.sqrt((t**2).sum(1) + 1e-6)
        terms["chroma"] = (cp - ct).abs().mean()
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
