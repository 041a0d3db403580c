"""Colour-hint propagation by optimization (Levin, Lischinski, Weiss 2004), numpy only.

Levin et al. ask that every pixel's chroma be the weighted average of its 3x3 neighbours',
the weights large between pixels of similar luminance (w = exp(-(Y_r - Y_s)^2 / (0.6 var_r)),
var_r the local luminance variance), with the hinted pixels held fixed. Here the weight of a
pair uses the mean of the two pixels' variances, which makes the affinity symmetric; the
equations "degree * U(r) - sum_s w_rs U(s) = 0" of the free pixels are then the Dirichlet
problem of a graph Laplacian, a symmetric positive definite system that conjugate gradients
solve without scipy. The solve runs on a pyramid (coarsest first, each level starting from the
one below upsampled), so the few hundred iterations at the finest level only fix detail.

The `Colorizer` base runs this at a reduced resolution (long side `working_size`) and puts
the chroma onto the full-resolution luminance.
"""

from __future__ import annotations

import cv2
import numpy as np

from .engine import CancelToken, ChromaHint, Colorizer, ProgressFn, register

HINT_RADIUS = 0.01  # a hint paints a disc of this fraction of the long side ...
HINT_LIGHTNESS_TOLERANCE = 12.0  # ... over the pixels within this many L units of its centre
COARSEST = 40  # long side (pixels) of the coarsest pyramid level
WEIGHT_FLOOR = 1e-5  # keeps regions walled off by strong edges solvable
DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))


@register(priority=0)
class LevinColorizer(Colorizer):
    name = "levin"
    label = "Hint propagation (Levin et al.)"
    description = ("Colorization using optimization (Levin, Lischinski, Weiss 2004): "
                   "spreads your colour hints along similar luminance; needs hints.")
    working_size = 320
    needs_hints = True
    tolerance = 1e-3  # relative residual at which a level's solve stops
    max_iterations = 400

    def _predict(self, lightness: np.ndarray, hints: list[ChromaHint], cancel: CancelToken,
                 progress: ProgressFn) -> np.ndarray:
        levels = [lightness.astype(np.float32) / 100.0]
        while max(levels[-1].shape) > COARSEST:
            h, w = levels[-1].shape
            levels.append(cv2.resize(levels[-1], ((w + 1) // 2, (h + 1) // 2),
                                     interpolation=cv2.INTER_AREA))
        fh, fw = lightness.shape
        solution = None
        for depth in range(len(levels) - 1, -1, -1):
            cancel.check()
            progress(0.1 + 0.8 * (len(levels) - 1 - depth) / len(levels),
                     f"{self.label}: solving {levels[depth].shape[1]}x{levels[depth].shape[0]}")
            luma = levels[depth]
            h, w = luma.shape
            fixed, values = paint_hints(luma, hints, w / fw, h / fh)
            if solution is None:
                start = np.zeros((h, w, 2), np.float32)
                start[:] = values[fixed].mean(axis=0)
            else:
                start = cv2.resize(solution, (w, h), interpolation=cv2.INTER_LINEAR)
            solution = solve(luma, fixed, values, start, self.tolerance,
                             self.max_iterations, cancel)
        return solution


def paint_hints(luma: np.ndarray, hints: list[ChromaHint], sx: float, sy: float):
    """Constraint map (bool h x w) and chroma values (float32 h x w x 2) for one level.

    Hints are given in finest-level pixels; (sx, sy) scale them to this level. Each hint holds
    the pixels of about its centre's lightness (at least its centre pixel) in a disc, or, for
    a hint with a patch `size` (finest-level pixels), in a square of that side.
    """
    h, w = luma.shape
    fixed = np.zeros((h, w), bool)
    values = np.zeros((h, w, 2), np.float32)
    radius = HINT_RADIUS * max(h, w)
    tol = HINT_LIGHTNESS_TOLERANCE / 100.0
    for hint in hints:
        cx = min(w - 1, max(0, int(round((hint.x + 0.5) * sx - 0.5))))
        cy = min(h - 1, max(0, int(round((hint.y + 0.5) * sy - 0.5))))
        size = getattr(hint, "size", None)
        if size is None:  # the default: a disc
            r = int(np.ceil(radius))
            y0, y1, x0, x1 = max(0, cy - r), min(h, cy + r + 1), max(0, cx - r), min(w, cx + r + 1)
            ys, xs = np.ogrid[y0:y1, x0:x1]
            disc = (ys - cy) ** 2 + (xs - cx) ** 2 <= radius * radius
        else:  # a square of the patch size at this level (one pixel at least)
            side = max(1, int(round(size * 0.5 * (sx + sy))))
            x0, y0 = cx - (side - 1) // 2, cy - (side - 1) // 2  # even: one more right/down
            x1, y1 = min(w, x0 + side), min(h, y0 + side)
            x0, y0 = max(0, x0), max(0, y0)
            disc = np.ones((y1 - y0, x1 - x0), bool)
        disc &= np.abs(luma[y0:y1, x0:x1] - luma[cy, cx]) <= tol
        disc[cy - y0, cx - x0] = True
        fixed[y0:y1, x0:x1] |= disc
        values[y0:y1, x0:x1][disc] = (hint.a, hint.b)
    return fixed, values


def affinities(luma: np.ndarray) -> list[np.ndarray]:
    """Symmetric weights of the pairs (p, p + d) for each d of DIRECTIONS (float32)."""
    h, w = luma.shape
    mean = cv2.blur(luma, (3, 3), borderType=cv2.BORDER_REFLECT)
    var = np.maximum(cv2.blur(luma * luma, (3, 3), borderType=cv2.BORDER_REFLECT)
                     - mean * mean, 0)
    pairs = [_pair_slices(d, h, w) for d in DIRECTIONS]
    diffs = [(luma[p] - luma[q]) ** 2 for p, q in pairs]
    # Levin's floor: the most similar neighbour of every pixel keeps a weight of >= 0.01.
    min_diff = np.full((h, w), np.inf, np.float32)
    for (p, q), d2 in zip(pairs, diffs, strict=True):
        np.minimum(min_diff[p], d2, out=min_diff[p])
        np.minimum(min_diff[q], d2, out=min_diff[q])
    min_diff[np.isinf(min_diff)] = 0
    sigma = np.maximum(np.maximum(0.6 * var, min_diff / np.log(100.0)), 2e-6)
    return [np.maximum(np.exp(-d2 / (0.5 * (sigma[p] + sigma[q]))), WEIGHT_FLOOR)
            .astype(np.float32) for (p, q), d2 in zip(pairs, diffs, strict=True)]


def _pair_slices(d: tuple[int, int], h: int, w: int):
    dy, dx = d
    rows_p, rows_q = slice(0, h - dy), slice(dy, h)
    if dx >= 0:
        cols_p, cols_q = slice(0, w - dx), slice(dx, w)
    else:
        cols_p, cols_q = slice(-dx, w), slice(0, w + dx)
    return (rows_p, cols_p), (rows_q, cols_q)


def solve(luma: np.ndarray, fixed: np.ndarray, values: np.ndarray, start: np.ndarray,
          tolerance: float, max_iterations: int, cancel: CancelToken | None = None) -> np.ndarray:
    """Chroma (h x w x 2) that equals `values` where `fixed` and is Laplacian-harmonic elsewhere.

    Jacobi-preconditioned conjugate gradients on the free pixels, both channels at once. The
    grid is stored flat with one spare column per row (weight 0), so a neighbour is a fixed
    offset and every step is a contiguous array operation.
    """
    h, w = luma.shape
    stride = w + 1
    size = h * stride
    weights = affinities(luma)
    offsets, flat_weights = [], []
    for (dy, dx), wt in zip(DIRECTIONS, weights, strict=True):
        grid = np.zeros((h, stride), np.float32)
        (rows, cols), _ = _pair_slices((dy, dx), h, w)
        grid[rows, cols] = wt
        offset = dy * stride + dx
        offsets.append(offset)
        flat_weights.append(grid.reshape(-1)[:size - offset])
    degree = np.zeros(size, np.float32)
    for k, wt in zip(offsets, flat_weights, strict=True):
        degree[:size - k] += wt
        degree[k:] += wt

    def flat(a: np.ndarray, fill: float = 0.0) -> np.ndarray:
        grid = np.full((a.shape[2], h, stride), fill, np.float32)
        grid[:, :, :w] = np.moveaxis(a, 2, 0)
        return grid.reshape(a.shape[2], size)

    free = flat((~fixed)[:, :, None].astype(np.float32))[0]

    def apply(x: np.ndarray) -> np.ndarray:
        out = degree * x
        for k, wt in zip(offsets, flat_weights, strict=True):
            out[:, :size - k] -= wt * x[:, k:]
            out[:, k:] -= wt * x[:, :size - k]
        return out

    def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", a, b)[:, None]

    known = flat(np.where(fixed[:, :, None], values, 0).astype(np.float32))
    x = flat(np.where(fixed[:, :, None], values, start).astype(np.float32))
    inv_diag = np.divide(free, degree, out=np.zeros_like(free), where=degree > 0)
    r = -apply(x) * free
    b_norm = np.sqrt(dot(*(2 * [apply(known) * free]))) + 1e-12
    z = r * inv_diag
    p = z.copy()
    rz = dot(r, z)
    for i in range(max_iterations):
        if np.all(np.sqrt(dot(r, r)) <= tolerance * b_norm):
            break
        if cancel is not None and i % 20 == 0:
            cancel.check()
        ap = apply(p)
        ap *= free
        alpha = rz / np.maximum(dot(p, ap), 1e-30)
        x += alpha * p
        r -= alpha * ap
        np.multiply(r, inv_diag, out=z)
        rz_new = dot(r, z)
        p *= rz_new / np.maximum(rz, 1e-30)
        p += z
        rz = rz_new
    return np.ascontiguousarray(np.moveaxis(x.reshape(2, h, stride)[:, :, :w], 0, 2))




def propagate_hints(lightness: np.ndarray, channels: np.ndarray, factor: int = 4) -> np.ndarray:
    """The hints of ``channels`` (h x w x 3: a, b, mask) spread edge-aware over the photo by
    the optimization above, at 1/``factor`` of ``lightness``'s size: float32 x 3 (a, b, 1;
    all 0 without hints). Each cell of the small grid that a hint touches holds the mean ab of
    its hinted pixels. The input that lets the learned colorizer colour a hinted object up to
    its edges (:mod:`models.nets.colorize_net`)."""
    h, w = lightness.shape
    sw, sh = max(1, round(w / factor)), max(1, round(h / factor))
    out = np.zeros((sh, sw, 3), np.float32)
    mask = (channels[..., 2] > 0).astype(np.float32)
    if not mask.any():
        return out
    cover = cv2.resize(mask, (sw, sh), interpolation=cv2.INTER_AREA)
    sums = cv2.resize(np.ascontiguousarray(channels[..., :2] * mask[..., None]), (sw, sh),
                      interpolation=cv2.INTER_AREA)
    ys, xs = np.nonzero(cover > 0)
    if not len(ys):  # hints thinner than a cell: keep the cells under their pixels
        py, px = np.nonzero(mask)
        ys, xs = np.minimum(py * sh // h, sh - 1), np.minimum(px * sw // w, sw - 1)
        cover[ys, xs] = 1.0
        sums[ys, xs] = channels[py, px, :2]
    ab = sums[ys, xs] / cover[ys, xs, None]
    hints = [ChromaHint(float(x), float(y), float(a), float(b))
             for y, x, (a, b) in zip(ys, xs, ab, strict=True)]
    small = cv2.resize(lightness.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA)
    out[..., :2] = LevinColorizer()._predict(small, hints, CancelToken(), lambda *_: None)
    out[..., 2] = 1.0
    return out
