"""Photo folders as training data.

A :class:`PhotoSet` finds every photo under a folder (recursively; JPEG, PNG, TIFF, WebP),
decodes it once with its EXIF orientation applied, downscales it so that its longer side is at
most ``max_side`` and keeps it in RAM as uint8 RGB. Files that cannot be read are skipped and
listed in :attr:`PhotoSet.skipped`, never fatal. Training then cuts random crops from memory,
so data loading costs well under a millisecond per image and never starves the model.

:class:`InpaintSampler` makes (image, mask) pairs on the fly: a random crop at a random scale,
a random horizontal flip, and a random mask from :mod:`trainer.masks`.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from trainer import masks as masklib

PHOTO_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"})

# The app's own loader (inpaint_desktop.document.image_io) has the same two rules; the trainer
# may not import the app, so they are repeated here and tests/trainer/test_data.py checks that
# both agree. Only these Pillow plugins may parse a user's file: Pillow can also read EPS
# (which runs Ghostscript on it), PSD, ICO and more, each one more parser exposed to whatever
# a photo folder holds.
OPEN_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "BMP")
MAX_PIXELS = 200_000_000  # the app's limit: 600 MB as RGB, refused from the header

# Pillow's own warning starts at this size (and its error at twice it); the check in
# open_photo refuses first, with the app's message.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class PhotoError(ValueError):
    """A photo the trainer refuses; ``str(e)`` is the user-facing reason."""


def _megapixels(pixels: float) -> str:
    mp = pixels / 1e6  # as the app writes them: "256.0", "0.0012"
    return f"{mp:.1f}" if mp >= 1 else f"{mp:.2g}"


def too_large_reason(pixels: int) -> str:
    return (f"the image is too large: {_megapixels(pixels)} megapixels, the limit is "
            f"{_megapixels(MAX_PIXELS)} megapixels")


@contextlib.contextmanager
def open_photo(path: str | os.PathLike) -> Iterator[Image.Image]:
    """``Image.open`` of a photo in one of OPEN_FORMATS, refused above MAX_PIXELS from its
    header (before any pixel is decoded). Raises PhotoError or the decoder's own error."""
    Image.init()  # Image.open(formats=...) knows only the plugins loaded so far
    try:
        with warnings.catch_warnings():
            # the check below refuses these files with a clear reason instead
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path, formats=OPEN_FORMATS)
    except Image.DecompressionBombError as exc:  # above twice the limit: Pillow refuses
        counts = [int(t) for t in str(exc).replace("(", " ").split() if t.isdigit()]
        raise PhotoError(too_large_reason(counts[0] if counts else 2 * MAX_PIXELS)) from exc
    except UnidentifiedImageError as exc:
        raise PhotoError("it is not an image file, or not a format the trainer reads "
                         "(JPEG, PNG, TIFF, WebP)") from exc
    with im:
        w, h = im.size
        if w * h > MAX_PIXELS:
            raise PhotoError(too_large_reason(w * h))
        yield im


def skip_reason(exc: BaseException) -> str:
    """Why a photo was skipped, for the run's and the scan's lists."""
    if isinstance(exc, PhotoError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}".strip()


def find_photos(root: str | os.PathLike) -> list[Path]:
    """All files with a photo extension under ``root``, sorted, hidden folders skipped."""
    root = Path(root)
    if root.is_file():
        return [root] if root.suffix.lower() in PHOTO_EXTENSIONS else []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in PHOTO_EXTENSIONS:
                found.append(Path(dirpath) / name)
    return sorted(found)


def load_photo(path: str | os.PathLike, max_side: int | None = None) -> np.ndarray:
    """Decode a photo as uint8 H x W x 3 RGB, EXIF orientation applied, longer side capped."""
    with open_photo(path) as im:
        im.draft("RGB", (max_side, max_side) if max_side else None)  # fast JPEG downscale
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "P", "PA"):
            im = im.convert("RGBA")
            background = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(background, im)
        if im.mode == "I;16" or im.mode == "I":
            arr16 = np.asarray(im, dtype=np.float64)
            peak = max(arr16.max(), 1.0)
            im = Image.fromarray((arr16 * (255.0 / max(peak, 255.0))).astype(np.uint8))
        im = im.convert("RGB")
        if max_side and max(im.size) > max_side:
            scale = max_side / max(im.size)
            size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
            im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))


@dataclass
class PhotoSet:
    """Decoded photos in RAM, with the files that were skipped and why."""

    paths: list[Path] = field(default_factory=list)
    images: list[np.ndarray] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        root: str | os.PathLike,
        max_side: int | None = 768,
        min_side: int = 32,
        paths: list[Path] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> PhotoSet:
        """Decode every photo under ``root`` (or ``paths``); ``should_stop`` can cut it short."""
        out = cls()
        for path in paths if paths is not None else find_photos(root):
            if should_stop is not None and should_stop():
                break
            try:
                img = load_photo(path, max_side)
            except Exception as exc:  # noqa: BLE001 - any decoder failure means "unreadable"
                out.skipped.append((path, skip_reason(exc)))
                continue
            if min(img.shape[:2]) < min_side:
                out.skipped.append((path, f"too small ({img.shape[1]}x{img.shape[0]})"))
                continue
            out.paths.append(path)
            out.images.append(img)
        return out

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, indices: list[int]) -> PhotoSet:
        return PhotoSet([self.paths[i] for i in indices], [self.images[i] for i in indices])

    def split(self, val_count: int) -> tuple[PhotoSet, PhotoSet]:
        """(train, val): a stable choice of ``val_count`` photos by hash of their file names.

        The choice does not depend on the order of loading or on the other files, so adding
        photos to a folder keeps the old validation photos out of training.
        """
        if val_count <= 0:
            return self, PhotoSet()
        if val_count >= len(self):
            raise ValueError(f"need more than {val_count} photos to hold {val_count} out")

        def key(i: int) -> str:
            return hashlib.sha1(self.paths[i].name.encode()).hexdigest()

        order = sorted(range(len(self)), key=key)
        val = sorted(order[:val_count])
        train = sorted(order[val_count:])
        return self.subset(train), self.subset(val)


def random_crop(
    img: np.ndarray,
    size: int,
    rng: np.random.Generator,
    scale_range: tuple[float, float] = (0.5, 1.0),
    flip: bool = True,
) -> np.ndarray:
    """A size x size crop at a random scale (resampled from a window of size/scale pixels)."""
    h, w = img.shape[:2]
    scale = math.exp(rng.uniform(math.log(scale_range[0]), math.log(scale_range[1])))
    win = int(round(size / scale))
    win = min(win, h, w)  # small photos: take what there is and upscale
    y = int(rng.integers(0, h - win + 1))
    x = int(rng.integers(0, w - win + 1))
    crop = img[y : y + win, x : x + win]
    if win != size:
        interp = cv2.INTER_AREA if win > size else cv2.INTER_CUBIC
        crop = cv2.resize(crop, (size, size), interpolation=interp)
    if flip and rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop)


class InpaintSampler:
    """Random (image, mask) batches from a :class:`PhotoSet`, reproducible from its RNG state."""

    def __init__(
        self,
        photos: PhotoSet,
        crop: int = 192,
        seed: int = 0,
        scale_range: tuple[float, float] = (0.5, 1.0),
        mask_mix: dict[str, float] | None = None,
    ):
        if len(photos) == 0:
            raise ValueError("no photos to train on")
        self.photos = photos
        self.crop = crop
        self.scale_range = scale_range
        self.mask_mix = mask_mix
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 n x S x S x 3, masks uint8 n x S x S with 255 = fill)."""
        s = self.crop
        images = np.empty((n, s, s, 3), np.uint8)
        holes = np.empty((n, s, s), np.uint8)
        for i in range(n):
            img = self.photos.images[int(self.rng.integers(len(self.photos)))]
            images[i] = random_crop(img, s, self.rng, self.scale_range)
            holes[i] = masklib.random_mask(s, s, self.rng, self.mask_mix)
        return images, holes

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


def fixed_val_set(
    photos: PhotoSet, crop: int, per_photo: int = 3, seed: int = 1234
) -> tuple[np.ndarray, np.ndarray]:
    """A fixed validation batch: ``per_photo`` crops of each photo, one mask kind each."""
    images, holes = [], []
    for p, img in enumerate(photos.images):
        for j in range(per_photo):
            rng = np.random.default_rng([seed, p, j])
            images.append(random_crop(img, crop, rng, (0.5, 1.0), flip=False))
            kind = masklib.KINDS[j % len(masklib.KINDS)]
            holes.append(masklib.make_mask(kind, crop, crop, rng))
    if not images:
        return np.empty((0, crop, crop, 3), np.uint8), np.empty((0, crop, crop), np.uint8)
    return np.stack(images), np.stack(holes)
