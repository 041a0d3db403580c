"""Tiny photo folders made on the fly, so trainer tests need no shared data."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def make_photo(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth random picture with a few edges: enough structure for a net to learn."""
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.zeros((h, w, 3))
    for c in range(3):
        a, b, p = rng.uniform(-3, 3, 3)
        img[..., c] = 0.5 + 0.35 * np.sin(a * xx * 6 + b * yy * 6 + p)
    x0, y0 = rng.integers(0, w // 2), rng.integers(0, h // 2)
    img[y0 : y0 + h // 3, x0 : x0 + w // 3] = rng.uniform(0, 1, 3)
    return (img * 255).clip(0, 255).astype(np.uint8)


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    root = tmp_path / "photos"
    (root / "nested" / "deeper").mkdir(parents=True)
    for i in range(6):
        sub = root if i < 2 else root / "nested" if i < 4 else root / "nested" / "deeper"
        ext = ["jpg", "png", "webp", "tif", "jpeg", "png"][i]
        Image.fromarray(make_photo(rng, 48 + 8 * i, 64)).save(sub / f"p{i}.{ext}")
    (root / "broken.jpg").write_bytes(b"not a jpeg at all")
    (root / "notes.txt").write_text("not a photo")
    return root


@pytest.fixture(autouse=True)
def user_models_dir(tmp_path: Path, monkeypatch) -> Path:
    """A user model folder per test: `python -m trainer` installs its result there, and two
    tests' runs of the same name must not see each other's model."""
    folder = tmp_path / "user-models"
    monkeypatch.setenv("INPAINT_DESKTOP_MODELS", str(folder))
    return folder


@pytest.fixture
def make_folder(tmp_path: Path):
    """make_folder(name, colour=N, gray=0, broken=0): a flat folder of generated photos."""

    def make(name: str, colour: int, gray: int = 0, broken: int = 0) -> Path:
        rng = np.random.default_rng(len(name) + colour)
        root = tmp_path / name
        root.mkdir(parents=True)
        for i in range(colour):
            Image.fromarray(make_photo(rng, 56, 72)).save(root / f"c{i:02d}.png")
        for i in range(gray):
            g = make_photo(rng, 56, 72).mean(axis=2, keepdims=True).astype(np.uint8)
            Image.fromarray(np.repeat(g, 3, axis=2)).save(root / f"g{i:02d}.png")
        for i in range(broken):
            (root / f"b{i:02d}.jpg").write_bytes(b"\xff\xd8 truncated")
        return root

    return make
