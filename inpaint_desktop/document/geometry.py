"""Axis-aligned pixel rectangles as (x0, y0, x1, y1) tuples, x1/y1 exclusive."""

from __future__ import annotations

BBox = tuple[int, int, int, int]


def is_empty(b: BBox | None) -> bool:
    return b is None or b[2] <= b[0] or b[3] <= b[1]


def union(a: BBox | None, b: BBox | None) -> BBox | None:
    if is_empty(a):
        return None if is_empty(b) else b
    if is_empty(b):
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def intersect(a: BBox, b: BBox) -> BBox | None:
    r = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return None if is_empty(r) else r


def clip(b: BBox, width: int, height: int) -> BBox | None:
    return intersect(b, (0, 0, width, height))


def translate(b: BBox, dx: int, dy: int) -> BBox:
    return (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)


def slices(b: BBox) -> tuple[slice, slice]:
    """Row/column slices for indexing an array with this box."""
    return slice(b[1], b[3]), slice(b[0], b[2])


def area(b: BBox | None) -> int:
    return 0 if is_empty(b) else (b[2] - b[0]) * (b[3] - b[1])
