"""Pixel patches: (bbox, before, after) of just the touched rectangle.

Undo memory is what the patches hold, so an edit stores only the tiles that
actually changed (`diff_tiles`), never a copy of the whole image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import BBox, slices

TILE = 128  # side of the squares in which strokes and mask operations record their changes


@dataclass(frozen=True)
class Patch:
    bbox: BBox  # in the coordinates of the array it applies to
    before: np.ndarray
    after: np.ndarray

    def apply(self, array: np.ndarray) -> None:
        array[slices(self.bbox)] = self.after

    def revert(self, array: np.ndarray) -> None:
        array[slices(self.bbox)] = self.before

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes


def tiles_in(bbox: BBox, width: int, height: int, tile: int = TILE):
    """Yield the grid tiles (clipped to the array) that intersect `bbox`."""
    x0, y0, x1, y1 = bbox
    for ty in range(max(0, y0) // tile, (min(y1, height) - 1) // tile + 1):
        for tx in range(max(0, x0) // tile, (min(x1, width) - 1) // tile + 1):
            yield (tx * tile, ty * tile, min((tx + 1) * tile, width), min((ty + 1) * tile, height))


def diff_tiles(old: np.ndarray, new: np.ndarray, bbox: BBox | None = None,
               tile: int = TILE) -> list[Patch]:
    """Patches for the tiles where `new` differs from `old` (same shape arrays)."""
    h, w = old.shape[:2]
    patches = []
    for t in tiles_in(bbox or (0, 0, w, h), w, h, tile):
        s = slices(t)
        if not np.array_equal(old[s], new[s]):
            patches.append(Patch(t, old[s].copy(), new[s].copy()))
    return patches


class TileBackup:
    """Remembers the original content of tiles before a live edit first touches them.

    A brush stroke paints straight into the array; before each segment the tool
    calls `save(bbox)`, and on release `patches()` turns the saved tiles into
    patches against the current pixels, keeping only tiles that really changed.
    """

    def __init__(self, array: np.ndarray, tile: int = TILE):
        self.array = array
        self.tile = tile
        self._saved: dict[BBox, np.ndarray] = {}

    def save(self, bbox: BBox) -> None:
        h, w = self.array.shape[:2]
        for t in tiles_in(bbox, w, h, self.tile):
            if t not in self._saved:
                self._saved[t] = self.array[slices(t)].copy()

    def restore(self) -> None:
        """Put every saved tile back (cancel a live edit)."""
        for t, before in self._saved.items():
            self.array[slices(t)] = before
        self._saved.clear()

    def patches(self) -> list[Patch]:
        out = []
        for t, before in self._saved.items():
            after = self.array[slices(t)]
            if not np.array_equal(before, after):
                out.append(Patch(t, before, after.copy()))
        self._saved.clear()
        return out
