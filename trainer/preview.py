"""``preview.png``: what the model does on a few held-out crops, refreshed at each validation.

The picture is a grid with one column per crop and three rows:

- inpaint: the input with the hole painted in a flat colour, the result, the truth;
- colorize: the gray input with the hint points drawn as dots, the result, the truth. Even
  columns get no hints (automatic mode), odd ones the validation's 10 point hints, so one
  picture shows both ways the app uses the model;
- detect: the damaged crop, the damage found, the true damage (both painted in the hole
  colour).

Crops come from different held-out photos and cycle through the mask kinds. The file is
written atomically: the GUI may read it at any moment.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from trainer import colorize as col
from trainer.checkpoint import atomic_write_bytes

PREVIEW_NAME = "preview.png"
MAX_COLUMNS = 4
GAP = 4  # pixels between cells
BACKGROUND = (255, 255, 255)
HOLE_COLOUR = (255, 0, 200)  # magenta: no photo has large areas of it, so the hole stands out
ROWS = 3


def pick(count: int, per_photo: int, columns: int = MAX_COLUMNS) -> list[int]:
    """Crop indices: crop j of photo i for i = 0, 1, ... (a new photo and mask kind each)."""
    per_photo = max(1, per_photo)
    photos = count // per_photo
    if photos >= min(columns, count):
        return [i * per_photo + i % per_photo for i in range(min(columns, photos))]
    return list(range(min(columns, count)))


def grid(rows: list[list[np.ndarray]]) -> np.ndarray:
    """uint8 RGB grid of equally sized cells, ``GAP`` pixels apart."""
    h, w = rows[0][0].shape[:2]
    n_rows, n_cols = len(rows), len(rows[0])
    out = np.empty((n_rows * h + (n_rows - 1) * GAP, n_cols * w + (n_cols - 1) * GAP, 3),
                   np.uint8)
    out[:] = BACKGROUND
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            y, x = r * (h + GAP), c * (w + GAP)
            out[y : y + h, x : x + w] = cell
    return out


def show_hole(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    out = image.copy()
    out[hole > 127] = HOLE_COLOUR
    return out


def show_hints(gray: np.ndarray, hints: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """``gray`` with a dot at each hint pixel, filled with the hint's colour, ringed
    black and white so it shows on any background."""
    import cv2

    out = np.ascontiguousarray(gray.copy())
    radius = max(2, gray.shape[0] // 64)
    for y, x in zip(*np.nonzero(hints[..., 2] > 0), strict=True):
        centre = (int(x), int(y))
        cv2.circle(out, centre, radius + 2, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(out, centre, radius + 1, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(out, centre, radius, tuple(int(v) for v in colours[y, x]), -1, cv2.LINE_AA)
    return out


@torch.no_grad()
def inpaint_rows(model: torch.nn.Module, images: torch.Tensor,
                 masks: torch.Tensor) -> list[list[np.ndarray]]:
    """(input with hole, composited result, truth) of float N x 3 x H x W crops and masks."""
    pred = model(images, masks).float().clamp(0, 1)
    pred = pred * masks + images * (1 - masks)  # as the engines composite: outside unchanged

    def to_u8(t: torch.Tensor) -> list[np.ndarray]:
        arr = (t.permute(0, 2, 3, 1).cpu().numpy() * 255).round().astype(np.uint8)
        return list(arr)

    truth = to_u8(images)
    holes = [(m[0].cpu().numpy() * 255).astype(np.uint8) for m in masks]
    return [[show_hole(t, h) for t, h in zip(truth, holes, strict=True)], to_u8(pred), truth]


@torch.no_grad()
def colorize_rows(model: torch.nn.Module, rgbs: np.ndarray, labs: np.ndarray,
                  hints: np.ndarray, device: torch.device | str = "cpu") -> list[list[np.ndarray]]:
    """(gray input with hint dots, result, truth); odd columns use ``hints``, even none."""
    hints = hints.copy()
    hints[0::2] = 0  # automatic mode in the even columns
    lum, _ab, h = col.lab_tensors(labs, hints)
    pred = model(lum.to(device), h.to(device)).float().permute(0, 2, 3, 1).cpu().numpy()
    inputs, results = [], []
    for lab, hint, ab in zip(labs, hints, pred, strict=True):
        gray = col.compose(lab, np.zeros(lab.shape[:2] + (2,), np.float32))
        inputs.append(show_hints(gray, hint, col.compose(lab, hint[..., :2])))
        results.append(col.compose(lab, ab))
    return [inputs, results, list(rgbs)]


@torch.no_grad()
def detect_rows(model, images: torch.Tensor, damaged: np.ndarray, labels: np.ndarray):
    """The damaged crop, the damage found (sigmoid > 0.5) and the true damage, each painted
    over the crop in the hole colour."""
    found = (model(images).float() > 0).cpu().numpy()[:, 0]
    return [list(damaged), [show_hole(x, f.astype(np.uint8) * 255) for x, f in
                            zip(damaged, found, strict=True)],
            [show_hole(x, y) for x, y in zip(damaged, labels, strict=True)]]


def render(run) -> np.ndarray | None:
    """The preview grid of a :class:`trainer.loop.Run` after its data is loaded."""
    count = len(run.val_images)
    if count == 0:
        return None
    idx = pick(count, run.cfg.get("val_per_photo", 1))
    model = run.inference_model
    model.eval()
    if run.task == "detect":
        rows = detect_rows(model, run.val_images[idx], run.val_damaged[idx],
                           run.val_labels[idx])
    elif run.task == "colorize":
        rows = colorize_rows(model, run.val_rgb[idx], run.val_lab[idx], run.val_hints[idx],
                             run.device)
    else:
        rows = inpaint_rows(model, run.val_images[idx], run.val_masks[idx])
    return grid(rows)


def png_bytes(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", compress_level=3)  # speed over size
    return buf.getvalue()


def write(run, path: str | os.PathLike | None = None) -> Path | None:
    """Render and atomically write the preview of ``run``; returns its path (None: no crops)."""
    image = render(run)
    if image is None:
        return None
    path = Path(path) if path is not None else run.run_dir / PREVIEW_NAME
    atomic_write_bytes(path, png_bytes(image))
    return path
