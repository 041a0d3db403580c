"""Synthetic damage on copies of good photos: the training pairs of the damage detector.

An old print is a toned photo (gray, sepia, or a faded colour print) with damage on top, then
scanned. :func:`damage` follows that order on a clean photo:

1. tone: gray, sepia or faded colour; an overall fade (lifted blacks, lower contrast) and a
   little blur, as old prints and cheap lenses have;
2. damage, each kind drawn with soft edges and a strength that varies along it, so that no
   single threshold on brightness finds it:

   - ``scratches``: long gentle curves, 1-4 px, bright or dark;
   - ``dust``: specks of 1-6 px, and ``hairs``: short curly 1 px lines;
   - ``cracks``: branching jagged lines of the emulsion, mostly bright;
   - ``tears``: a torn-off corner or edge, paper-coloured, with a jagged border;
   - ``stains``: water spots and stains, a faint tint with a darker tide line at the rim;
   - ``holes``: contest-style missing areas filled with uneven gray;

3. scanning: film grain and JPEG compression. These (and the fade and blur of step 1) touch
   every pixel and are NOT damage: the detector must learn to ignore them.

The label is 255 where the damage changed the pixel noticeably (by more than
``LABEL_THRESHOLD`` levels in some channel, measured before grain and JPEG), else 0: a stain so
faint that it changes nothing is not asked for.

Everything is seeded by the caller's ``numpy.random.Generator``, so a sampler's RNG state
reproduces its batches exactly (``--resume``).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from trainer import masks as masklib
from trainer.data import PhotoSet, random_crop

KINDS = ("scratches", "dust", "hairs", "cracks", "tears", "stains", "holes")
# chance that a training crop gets each kind (several kinds often share a crop)
KIND_CHANCE = {"scratches": 0.55, "dust": 0.5, "hairs": 0.2, "cracks": 0.25, "tears": 0.15,
               "stains": 0.2, "holes": 0.2}
CLEAN_SHARE = 0.1  # crops left undamaged: the detector must learn to say "nothing"
LABEL_THRESHOLD = 10  # uint8 levels of change that count as damage
TONES = ("gray", "sepia", "colour")
TONE_CHANCE = (0.5, 0.25, 0.25)
PAPER = np.array([0.93, 0.90, 0.82], np.float32)  # the cream of a torn-off print's backing


def _smooth_noise(h: int, w: int, rng: np.random.Generator, cells: int = 6) -> np.ndarray:
    """A smooth random field in [0, 1] with about ``cells`` bumps along the longer side."""
    gh = max(2, round(cells * h / max(h, w)))
    gw = max(2, round(cells * w / max(h, w)))
    grid = rng.random((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _ink(rng: np.random.Generator, bright_chance: float = 0.5) -> float:
    """The gray level of a scratch or speck: near white (emulsion gone) or near black (dirt)."""
    return float(rng.uniform(0.82, 1.0) if rng.random() < bright_chance
                 else rng.uniform(0.0, 0.22))


def _soften(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sigma = float(rng.uniform(0.3, 0.9))
    return cv2.GaussianBlur(alpha, (0, 0), sigma)


def _curve(start, angle: float, steps: int, step: float, turn: float,
           rng: np.random.Generator) -> np.ndarray:
    """Points of a random walk whose heading drifts by ``turn`` radians per step."""
    x, y = start
    pts = [(x, y)]
    for _ in range(steps):
        angle += rng.normal(0, turn)
        x, y = x + step * math.cos(angle), y + step * math.sin(angle)
        pts.append((x, y))
    return np.array(pts)


def _polyline(shape, pts: np.ndarray, width: int) -> np.ndarray:
    """Antialiased line through ``pts`` as float alpha in [0, 1] (4x sub-pixel precision)."""
    canvas = np.zeros(shape, np.uint8)
    cv2.polylines(canvas, [np.round(pts * 16).astype(np.int32)], False, 255, max(1, width),
                  lineType=cv2.LINE_AA, shift=4)
    return canvas.astype(np.float32) / 255.0


def _scratches(h, w, rng):
    side = min(h, w)
    layers = []
    for _ in range(int(rng.integers(1, 5))):
        start = (rng.uniform(0, w), rng.uniform(0, h))
        length = side * rng.uniform(0.3, 1.5)
        steps = 40
        pts = _curve(start, rng.uniform(0, 2 * math.pi), steps, length / steps, 0.03, rng)
        alpha = _polyline((h, w), pts, int(rng.integers(1, 5)))
        alpha *= 0.35 + 0.65 * _smooth_noise(h, w, rng, cells=8)  # fades in and out
        layers.append((_soften(alpha, rng) * rng.uniform(0.5, 1.0), _ink(rng, 0.6)))
    return layers


def _dust(h, w, rng):
    alpha = np.zeros((h, w), np.float32)
    area = h * w / (256 * 256)
    bright = rng.random() < 0.5
    for _ in range(int(rng.integers(3, 60) * area) + 1):
        centre = (int(rng.integers(0, w) * 16), int(rng.integers(0, h) * 16))
        axes = (int(rng.uniform(0.5, 3.0) * 16), int(rng.uniform(0.5, 3.0) * 16))
        strength = int(rng.uniform(120, 255))
        cv2.ellipse(alpha, centre, axes, float(rng.uniform(0, 180)), 0, 360, strength / 255.0,
                    -1, lineType=cv2.LINE_AA, shift=4)
    return [(_soften(alpha, rng), _ink(rng, 1.0 if bright else 0.0))]


def _hairs(h, w, rng):
    layers = []
    for _ in range(int(rng.integers(1, 4))):
        start = (rng.uniform(0, w), rng.uniform(0, h))
        length = rng.uniform(20, 90)
        pts = _curve(start, rng.uniform(0, 2 * math.pi), 30, length / 30, 0.25, rng)
        alpha = _polyline((h, w), pts, 1) * rng.uniform(0.5, 1.0)
        layers.append((_soften(alpha, rng), _ink(rng, 0.3)))
    return layers


def _cracks(h, w, rng):
    side = min(h, w)
    canvas = np.zeros((h, w), np.uint8)
    branches = [((rng.uniform(0, w), rng.uniform(0, h)), rng.uniform(0, 2 * math.pi),
                 side * rng.uniform(0.2, 0.8))]
    drawn = 0
    while branches and drawn < 12:
        start, angle, length = branches.pop()
        drawn += 1
        steps = max(3, int(length / 4))
        pts = _curve(start, angle, steps, 4.0, 0.35, rng)
        cv2.polylines(canvas, [np.round(pts * 16).astype(np.int32)], False, 255,
                      int(rng.integers(1, 3)), lineType=cv2.LINE_AA, shift=4)
        for k in range(2, len(pts) - 2):
            if rng.random() < 0.04 and length > 12:
                branches.append((tuple(pts[k]), angle + rng.choice([-1, 1]) * rng.uniform(0.5, 1.3),
                                 length * rng.uniform(0.3, 0.6)))
    alpha = canvas.astype(np.float32) / 255.0 * (0.5 + 0.5 * _smooth_noise(h, w, rng, 8))
    return [(_soften(alpha, rng) * rng.uniform(0.6, 1.0), _ink(rng, 0.8))]


def _jagged(a, b, rng, roughness: float) -> np.ndarray:
    """Points from ``a`` to ``b`` with a torn, fibrous wiggle of about ``roughness`` px."""
    n = 48
    t = np.linspace(0, 1, n)[:, None]
    pts = np.array(a) * (1 - t) + np.array(b) * t
    d = np.array(b, float) - np.array(a, float)
    normal = np.array([-d[1], d[0]]) / (np.hypot(*d) + 1e-6)
    wiggle = np.cumsum(rng.normal(0, roughness, n))
    wiggle -= np.linspace(wiggle[0], wiggle[-1], n)  # keep both ends on the border
    return pts + wiggle[:, None] * normal


def _tears(h, w, rng):
    side = min(h, w)
    depth = side * rng.uniform(0.08, 0.35)
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    if rng.random() < 0.6:  # a corner torn off
        c = int(rng.integers(4))
        cx, cy = corners[c]
        sx, sy = (1 if cx == 0 else -1), (1 if cy == 0 else -1)
        a = (cx + sx * depth * rng.uniform(0.6, 1.6), cy)
        b = (cx, cy + sy * depth * rng.uniform(0.6, 1.6))
        poly = np.vstack([[cx, cy], _jagged(a, b, rng, 1.5)])
    else:  # a bite out of an edge
        c = int(rng.integers(4))
        p0, p1 = np.array(corners[c], float), np.array(corners[(c + 1) % 4], float)
        t0, t1 = sorted(rng.uniform(0, 1, 2))
        a, b = p0 + (p1 - p0) * t0, p0 + (p1 - p0) * t1
        d = p1 - p0  # corners run clockwise on screen, so (-dy, dx) points into the photo
        inward = np.array([-d[1], d[0]]) / (np.hypot(*d) + 1e-6)
        mid = np.clip((a + b) / 2 + inward * depth, 0, [w, h])
        poly = np.vstack([_jagged(a, mid, rng, 1.5), _jagged(mid, b, rng, 1.5)])
    canvas = np.zeros((h, w), np.uint8)
    cv2.fillPoly(canvas, [np.round(poly * 16).astype(np.int32)], 255, lineType=cv2.LINE_AA,
                 shift=4)
    alpha = canvas.astype(np.float32) / 255.0
    colour = PAPER * rng.uniform(0.9, 1.05) + rng.normal(0, 0.02, 3).astype(np.float32)
    paper = np.clip(colour[None, None] + rng.normal(0, 0.015, (h, w, 1)).astype(np.float32),
                    0, 1)
    return [(alpha, paper)]


def _stains(h, w, rng):
    side = min(h, w)
    layers = []
    for _ in range(int(rng.integers(1, 3))):
        outline = masklib._blob_outline(rng.uniform(0, w), rng.uniform(0, h),
                                        side * rng.uniform(0.06, 0.25), rng)
        inside = np.zeros((h, w), np.uint8)
        cv2.fillPoly(inside, [np.round(outline).astype(np.int32)], 255, lineType=cv2.LINE_AA)
        dist = cv2.distanceTransform((inside > 127).astype(np.uint8), cv2.DIST_L2, 3)
        rim = np.exp(-dist / rng.uniform(1.5, 4.0)) * (inside > 127)
        fill = rng.uniform(0.08, 0.3) * (0.6 + 0.4 * _smooth_noise(h, w, rng, 5))
        alpha = (np.maximum(fill * (inside > 127), rim * rng.uniform(0.3, 0.7))).astype(np.float32)
        tint = np.array([0.55, 0.42, 0.25], np.float32) * rng.uniform(0.6, 1.1)
        layers.append((_soften(alpha, rng), np.clip(tint, 0, 1)))
    return layers


def _holes(h, w, rng):
    kind = "blobs" if rng.random() < 0.6 else "strokes"
    hole = masklib.make_mask(kind, h, w, rng).astype(np.float32) / 255.0
    level = rng.uniform(0.25, 0.8) + 0.25 * (_smooth_noise(h, w, rng, 10) - 0.5)
    gray = np.repeat(np.clip(level, 0, 1)[..., None], 3, axis=2).astype(np.float32)
    return [(cv2.GaussianBlur(hole, (0, 0), 0.6), gray)]


DRAW = {"scratches": _scratches, "dust": _dust, "hairs": _hairs, "cracks": _cracks,
        "tears": _tears, "stains": _stains, "holes": _holes}


def tone(rgb: np.ndarray, rng: np.random.Generator, kind: str | None = None) -> np.ndarray:
    """float32 [0, 1] copy of a uint8 photo as an old print: gray, sepia or faded colour,
    with an overall fade and sometimes a slight blur."""
    x = rgb.astype(np.float32) / 255.0
    kind = kind or TONES[int(rng.choice(len(TONES), p=TONE_CHANCE))]
    gray = x @ np.array([0.299, 0.587, 0.114], np.float32)
    if kind == "gray":
        x = np.repeat(gray[..., None], 3, axis=2)
    elif kind == "sepia":
        tint = np.array([1.07, 0.98, 0.80], np.float32) * rng.uniform(0.95, 1.05, 3)
        x = np.clip(gray[..., None] * tint, 0, 1).astype(np.float32)
    else:  # a colour print whose dyes faded
        x = gray[..., None] + (x - gray[..., None]) * rng.uniform(0.4, 1.0)
    lift, top = rng.uniform(0.0, 0.15), rng.uniform(0.85, 1.0)
    x = lift + x * (top - lift)
    if rng.random() < 0.5:
        x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(0.3, 1.2)))
    return np.ascontiguousarray(x, dtype=np.float32)


def scan(x: np.ndarray, rng: np.random.Generator, gray: bool) -> np.ndarray:
    """uint8 of a float print after scanning: film grain (sometimes clumpy) and JPEG."""
    h, w = x.shape[:2]
    sigma = rng.uniform(0.0, 0.045)
    noise = rng.normal(0, 1, (h, w, 1 if gray else 3)).astype(np.float32)
    if rng.random() < 0.5:
        noise = cv2.GaussianBlur(noise, (0, 0), float(rng.uniform(0.5, 1.0))).reshape(noise.shape)
        noise *= 2.0  # blurring lowers its strength; clumps are as visible as fine grain
    out = np.clip((x + sigma * noise) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", out[..., ::-1],
                               [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 96))])
        if ok:
            out = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return out


def damage(rgb: np.ndarray, rng: np.random.Generator,
           kinds: tuple[str, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(damaged uint8 RGB, label uint8 with 255 = damaged) of a clean uint8 RGB crop.

    ``kinds`` None: a random mix (:data:`KIND_CHANCE`, :data:`CLEAN_SHARE` of crops clean);
    else exactly those kinds (an empty tuple: no damage, an all-zero label)."""
    damaged, label, _clean = damaged_print(rgb, rng, kinds, twin=False)
    return damaged, label


def damaged_print(rgb: np.ndarray, rng: np.random.Generator,
                  kinds: tuple[str, ...] | None = None, twin: bool = True):
    """(damaged, label, clean) as :func:`damage`, plus the same print scanned without the
    damage (the same grain): what a perfect restoration would give back (None if not
    ``twin``; the damaged print and label are the same either way)."""
    base = tone(rgb, rng)
    gray = bool(np.allclose(base[..., 0], base[..., 2]))
    if kinds is None:
        kinds = () if rng.random() < CLEAN_SHARE else tuple(
            k for k in KINDS if rng.random() < KIND_CHANCE[k]) or ("scratches",)
    out, label = apply_damage(base, rng, kinds)
    clean = None
    if twin:
        same = np.random.default_rng()
        same.bit_generator.state = rng.bit_generator.state
        clean = scan(base, same, gray)
    return scan(out, rng, gray), label, clean


def apply_damage(base: np.ndarray, rng: np.random.Generator,
                 kinds: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(damaged float32 print, label uint8) of a toned float32 print (:func:`tone`)."""
    h, w = base.shape[:2]
    out = base.copy()
    for kind in kinds:
        for alpha, ink in DRAW[kind](h, w, rng):
            # blend only the box that the layer touches: most layers are thin and local
            x, y, bw, bh = cv2.boundingRect((alpha > 0).astype(np.uint8))
            box = np.s_[y : y + bh, x : x + bw]
            a = np.clip(alpha[box], 0, 1)[..., None]
            ink = np.asarray(ink, np.float32)
            ink = ink[box] if ink.ndim == 3 else ink
            out[box] = out[box] * (1 - a) + ink * a
    diff = np.abs(out - base)
    # the channel maximum, written out: numpy's max over a last axis of 3 is 10x slower
    changed = np.maximum(np.maximum(diff[..., 0], diff[..., 1]), diff[..., 2]) * 255.0 \
        > LABEL_THRESHOLD
    return out.astype(np.float32), changed.astype(np.uint8) * 255


# Damage is drawn over the whole kept photo, then crops are cut from it: a print has a few
# scratches, cracks and stains across its whole area, so many crops see little or none of
# it, as crops of a real scan do. Drawn on each 256 px crop instead, every crop carried a whole
# print's worth: several times denser than on the val photos (384-901 px), and the detector
# trained that way flagged 1.8 % of the pixels of clean prints (bench/restore_quality.py).
CROPS_PER_PRINT = 2  # crops cut from one damaged print (damaging it costs ~ one train step)


def _cut(both: np.ndarray, size: int, rng: np.random.Generator,
         scale_range: tuple[float, float], flip: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The same random crop of a damaged print and its label, stacked as 4 channels."""
    cut = random_crop(both, size, rng, scale_range, flip=flip)
    return np.ascontiguousarray(cut[..., :3]), np.where(cut[..., 3] > 127, 255, 0).astype(np.uint8)


class DamageSampler:
    """Random (damaged crop, label) batches from a :class:`PhotoSet`, reproducible from its
    RNG state: each print is damaged whole, then :data:`CROPS_PER_PRINT` crops are cut."""

    def __init__(self, photos: PhotoSet, crop: int = 256, seed=0,
                 scale_range: tuple[float, float] = (0.5, 1.0)):
        if len(photos) == 0:
            raise ValueError("no photos to train on")
        self.photos = photos
        self.crop = crop
        self.scale_range = scale_range
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 n x S x S x 3, labels uint8 n x S x S with 255 = damaged)."""
        s = self.crop
        images = np.empty((n, s, s, 3), np.uint8)
        labels = np.empty((n, s, s), np.uint8)
        for i in range(n):
            if i % CROPS_PER_PRINT == 0:
                img = self.photos.images[int(self.rng.integers(len(self.photos)))]
                both = np.dstack(damage(img, self.rng))
            images[i], labels[i] = _cut(both, s, self.rng, self.scale_range)
        return images, labels

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


def fixed_val_set(photos: PhotoSet, crop: int, per_photo: int = 3, seed: int = 1234):
    """(damaged uint8 n x S x S x 3, labels uint8): fixed held-out crops cut from whole
    damaged prints (the same for every validation of a run). Every print is damaged (a
    random mix of kinds), but a crop may miss all of it, as crops of a real scan do: the
    score is the F1 over all the crops' pixels together."""
    images, labels = [], []
    for p, img in enumerate(photos.images):
        rng = np.random.default_rng([seed, p])
        kinds = tuple(k for k in KINDS if rng.random() < KIND_CHANCE[k]) or ("scratches",)
        both = np.dstack(damage(img, rng, kinds))
        for _ in range(per_photo):
            x, y = _cut(both, crop, rng, (1.0, 1.0), flip=False)
            images.append(x)
            labels.append(y)
    if not images:
        return np.empty((0, crop, crop, 3), np.uint8), np.empty((0, crop, crop), np.uint8)
    return np.stack(images), np.stack(labels)
