"""Helpers shared by the benchmark scripts: photo folders, loading, metrics, output."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"  # the `shared` folder beside the repository
VAL = SHARED / "photos" / "val"
OUT = REPO / "bench" / "out"
EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")


def photos(folder: Path = VAL, limit: int | None = None) -> list[Path]:
    if not folder.is_dir():
        sys.exit(f"no photos: {folder} is not a folder")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS)
    return paths[:limit] if limit else paths


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).copy()


def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> float:
    """PSNR (dB, peak 255) over all channels of the pixels selected by `where` (or all)."""
    diff = a.astype(np.float64) - b.astype(np.float64)
    if where is not None:
        diff = diff[where]
    mse = float(np.mean(diff * diff)) if diff.size else 0.0
    return 100.0 if mse <= 1e-10 else 10 * np.log10(255.0 ** 2 / mse)


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM (Wang et al. 2004: 11-tap Gaussian window, sigma 1.5, K1 0.01, K2 0.03,
    peak 255), computed per RGB channel and averaged over the channels."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    a, b = a.astype(np.float64), b.astype(np.float64)

    def blur(x):
        return cv2.GaussianBlur(x, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a ** 2
    var_b = blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1)
                                                     * (var_a + var_b + c2))
    return s.mean(axis=2) if s.ndim == 3 else s


def write_json(name: str, data) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(data, indent=1))
    return path


def save_png(name: str, rgb: np.ndarray) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    Image.fromarray(rgb).save(path)
    return path


def tile(rgb: np.ndarray, height: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    width = max(1, round(w * height / h))
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)


def sheet(rows: list[list[np.ndarray]], height: int = 160, gap: int = 4) -> np.ndarray:
    """A contact sheet: each row of images scaled to `height`, white gaps."""
    rendered = []
    for row in rows:
        tiles = [tile(im, height) for im in row]
        parts = []
        for t in tiles:
            parts += [t, np.full((height, gap, 3), 255, np.uint8)]
        rendered.append(np.concatenate(parts[:-1], axis=1))
    width = max(r.shape[1] for r in rendered)
    out = []
    for r in rendered:
        pad = np.full((height, width - r.shape[1], 3), 255, np.uint8)
        out += [np.concatenate([r, pad], axis=1), np.full((gap, width, 3), 255, np.uint8)]
    return np.concatenate(out[:-1], axis=0)


def texture_ratio(result: np.ndarray, truth: np.ndarray, hole: np.ndarray,
                  erode: int = 2) -> float:
    """Mean gradient magnitude of the result's gray image over the truth's, on the hole
    eroded by `erode` px (so the seam does not count): a blur scores far below 1, a fill
    with the photo's own amount of detail near 1. NaN when the eroded hole is empty."""
    inner = hole.astype(np.uint8)
    if erode > 0:
        inner = cv2.erode(inner, np.ones((2 * erode + 1, 2 * erode + 1), np.uint8))
    inner = inner.astype(bool)
    if not inner.any():
        return float("nan")

    def grad(image: np.ndarray) -> np.ndarray:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float64)
        gy, gx = np.gradient(gray)
        return np.hypot(gx, gy)

    t = float(grad(truth)[inner].mean())
    return float(grad(result)[inner].mean()) / t if t > 0 else float("nan")
