"""Validation metrics of a run's held-out crops, and of the classical methods for reference.

Inpainting: hole PSNR (of the mean MSE over all crops) and mean hole SSIM of the prediction
composited into the truth and rounded to 8 bits, as the app would show it. Colorization:
RGB PSNR and colourfulness in automatic mode and with 10 point hints (:mod:`trainer.colorize`).
Damage detection: pixel F1 and IoU of the damage found at sensitivity 0.5 against the
synthetic damage's label (pooled over all crops), the classical median detector for reference.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import torch

from models.nets.blocks import pyramid_fill
from trainer import colorize as col
from trainer.metrics import hole_mse, hole_ssim, pooled_psnr

BATCH = 8

Predict = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@torch.no_grad()
def inpaint_score(predict: Predict, images: torch.Tensor, masks: torch.Tensor) -> dict:
    """``val_psnr`` and ``val_ssim`` of a predictor (image, hole mask -> image) in [0, 1]."""
    mses, ssims = [], []
    for i in range(0, len(images), BATCH):
        x, m = images[i : i + BATCH], masks[i : i + BATCH]
        pred = predict(x, m).float().clamp(0, 1)
        pred = torch.round((pred * m + x * (1 - m)) * 255) / 255
        mses.append(hole_mse(pred, x, m))
        ssims.append(hole_ssim(pred, x, m))
    return {
        "val_psnr": round(pooled_psnr(torch.cat(mses)), 3),
        "val_ssim": round(float(torch.cat(ssims).mean()), 4),
    }


def _telea(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    out = []
    for img, hole in zip(x, m, strict=True):
        rgb = (img.permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)
        hole8 = (hole[0].cpu().numpy() > 0.5).astype(np.uint8) * 255
        filled = cv2.inpaint(np.ascontiguousarray(rgb), hole8, 3, cv2.INPAINT_TELEA)
        out.append(torch.from_numpy(filled).permute(2, 0, 1).float() / 255)
    return torch.stack(out).to(x.device)


def inpaint_baselines(images: torch.Tensor, masks: torch.Tensor) -> dict[str, dict[str, float]]:
    """The same metrics for the pyramid fill that the nets start from and OpenCV's Telea."""
    return {
        "pyramid": inpaint_score(lambda x, m: pyramid_fill(x, 1 - m), images, masks),
        "telea": inpaint_score(_telea, images, masks),
    }


@torch.no_grad()
def colorize_score(model: torch.nn.Module, rgb: list, lab: list, hints: list,
                   device: torch.device, truth_colourfulness: float,
                   props: np.ndarray | None = None) -> dict[str, float]:
    """Automatic (no hints) and guided (10 hints) RGB PSNR and colourfulness, and the
    ``val_score`` that picks the best weights: the mean PSNR of both modes, 10 dB lower while
    the automatic colours are less than 0.6 as vivid as the true photos'. ``props``: the hints
    propagated (:func:`trainer.colorize.propagations`), for nets that take them."""
    lum, _ab, hint_t = col.lab_tensors(lab, hints)
    prop_t = col.prop_tensor(props) if getattr(model, "uses_propagation", False) else None
    out: dict[str, float] = {}
    for suffix, h in (("", torch.zeros_like(hint_t)), ("_hints", hint_t)):
        preds = []
        for i in range(0, len(lum), BATCH):
            extra = ()
            if prop_t is not None:
                pr = prop_t[i : i + BATCH]
                extra = ((pr if suffix else torch.zeros_like(pr)).to(device),)
            p = model(lum[i : i + BATCH].to(device), h[i : i + BATCH].to(device), *extra)
            preds.extend(p.float().permute(0, 2, 3, 1).cpu().numpy())
        s = col.score(rgb, lab, preds)
        out[f"val_psnr{suffix}"] = s["psnr"]
        out[f"val_colourfulness{suffix}"] = s["colourfulness"]
    vivid = out["val_colourfulness"] >= 0.6 * truth_colourfulness
    out["val_score"] = round(0.5 * (out["val_psnr"] + out["val_psnr_hints"])
                             - (0.0 if vivid else 10.0), 3)
    return out


def colorize_baselines(rgb: list, lab: list, hints: list) -> dict[str, dict[str, float]]:
    """The gray image, the true photos' colourfulness and hint propagation (Levin et al.)."""
    from models.classical_colorize import LevinColorizer
    from models.engine import CancelToken, ChromaHint

    gray = col.score(rgb, lab, [np.zeros(x.shape[:2] + (2,), np.float32) for x in lab])
    truth = col.score(rgb, lab, [x[..., 1:] for x in lab])
    levin, preds = LevinColorizer(), []
    for x, h in zip(lab, hints, strict=True):
        ys, xs = np.nonzero(h[..., 2])
        points = [ChromaHint(float(px), float(py), float(h[py, px, 0]), float(h[py, px, 1]))
                  for py, px in zip(ys, xs, strict=True)]
        preds.append(levin._predict(np.ascontiguousarray(x[..., 0]), points, CancelToken(),
                                    lambda *_: None))
    guided = col.score(rgb, lab, preds)
    return {
        "gray": {"val_psnr": gray["psnr"], "val_colourfulness": gray["colourfulness"],
                 "val_psnr_hints": gray["psnr"]},
        "truth": {"val_colourfulness": truth["colourfulness"]},
        "levin_hints": {"val_psnr_hints": guided["psnr"],
                        "val_colourfulness_hints": guided["colourfulness"]},
    }


def _f1_iou(found: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    tp = float(np.logical_and(found, truth).sum())
    fp = float(np.logical_and(found, ~truth).sum())
    fn = float(np.logical_and(~found, truth).sum())
    return {"val_f1": round(2 * tp / max(2 * tp + fp + fn, 1.0), 4),
            "val_iou": round(tp / max(tp + fp + fn, 1.0), 4)}


@torch.no_grad()
def detect_score(model: torch.nn.Module, images: torch.Tensor, labels: np.ndarray) -> dict:
    """Pixel F1 / IoU of a detector (image -> logits) on held-out damaged crops; the best
    weights are those of the highest F1 (``val_score``)."""
    found = []
    for i in range(0, len(images), BATCH):
        found.append((model(images[i : i + BATCH]).float() > 0).cpu().numpy()[:, 0])
    out = _f1_iou(np.concatenate(found), labels > 127)
    out["val_score"] = out["val_f1"]
    return out


def detect_baselines(images: np.ndarray, labels: np.ndarray) -> dict[str, dict[str, float]]:
    """The same metrics for the classical median ("dust & scratches") detector."""
    from models.damage import MedianDetector
    from models.engine import damage_mask

    detector = MedianDetector()
    found = np.stack([damage_mask(detector.detect(x)) > 127 for x in images])
    return {"median": _f1_iou(found, labels > 127)}
