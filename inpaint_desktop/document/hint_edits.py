"""Colour-hint edits: add, remove, move, recolour, resize one hint, clear them all.

A hint is identified by its index in `doc.hints`. That is exact under undo and redo because
an edit is only ever applied to the state it was made from and reverted from the state it
made (the undo stack is linear); each edit records the list length it expects, so applying
or reverting twice in a row changes nothing the second time (QUndoStack.push calls redo at
once).

Every edit notifies `Change(bbox, hints=True)` where bbox covers the image pixels of the
hints it touched, their patch squares included. Markers are drawn at a constant screen size,
so the view grows that box by the marker's screen radius; the picture's pixels are unchanged.

The functions below make edits (not yet applied) from the document's current state and
check their arguments; push them with commands.push_edit (None = nothing to do).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .document import Document
from .edits import Edit
from .geometry import BBox, union
from .hints import MAX_HINT_SIZE, MIN_HINT_SIZE, Hint

Pos = tuple[float, float]
RGB = tuple[int, int, int]


def hint_bbox(hint: Hint | Pos, patch: float | None = None) -> BBox:
    """The image pixels under the hint: a hint at whole (x, y) is the centre of pixel
    (x, y); a fractional one lies between pixels (hints.py: pixel centres at whole numbers).
    With `patch` (its patch side in image pixels), also the patch square centred there."""
    x, y = float(hint[0]), float(hint[1])
    box = (math.floor(x), math.floor(y), math.ceil(x) + 1, math.ceil(y) + 1)
    if patch is not None:
        r = float(patch) / 2.0
        box = union(box, (math.floor(x + 0.5 - r), math.floor(y + 0.5 - r),
                          math.ceil(x + 0.5 + r), math.ceil(y + 0.5 + r)))
    return box


def hints_bbox(hints: Iterable[Hint | Pos], doc: Document | None = None) -> BBox | None:
    """The pixels under all `hints` (with `doc`, their patch squares too)."""
    box = None
    for h in hints:
        box = union(box, _box(doc, h) if doc is not None else hint_bbox(h))
    return box


def _box(doc: Document, hint: Hint, pos: Pos | None = None) -> BBox:
    """`hint`'s pixels and patch square in `doc` (at `pos` instead of where it is)."""
    return hint_bbox(hint if pos is None else pos, hint.patch(doc.width, doc.height))


def _check_index(doc: Document, index: int) -> None:
    if not 0 <= index < len(doc.hints):
        raise IndexError(f"no colour hint {index} (the document has {len(doc.hints)})")


@dataclass
class AddHint(Edit):
    """Insert `hint` at `index` into a list of `count` hints."""

    index: int
    hint: Hint
    count: int
    label: str = "Add colour hint"

    def apply(self, doc: Document) -> None:
        if len(doc.hints) == self.count:
            doc.hints.insert(self.index, self.hint)
            doc.notify(_box(doc, self.hint), hints=True)

    def revert(self, doc: Document) -> None:
        if len(doc.hints) == self.count + 1:
            hint = doc.hints.pop(self.index)
            doc.notify(_box(doc, hint), hints=True)


@dataclass
class RemoveHint(Edit):
    """Remove the hint at `index` (which is `hint`) from a list of `count` hints."""

    index: int
    hint: Hint
    count: int
    label: str = "Delete colour hint"

    def apply(self, doc: Document) -> None:
        if len(doc.hints) == self.count:
            hint = doc.hints.pop(self.index)
            doc.notify(_box(doc, hint), hints=True)

    def revert(self, doc: Document) -> None:
        if len(doc.hints) == self.count - 1:
            doc.hints.insert(self.index, self.hint)
            doc.notify(_box(doc, self.hint), hints=True)


class _OneHintChange(Edit):
    """An edit that sets one hint's field from `before` to `after` (`_set` does it)."""

    def _set(self, doc: Document, value) -> None:
        raise NotImplementedError

    def apply(self, doc: Document) -> None:
        self._set(doc, self.after)

    def revert(self, doc: Document) -> None:
        self._set(doc, self.before)


@dataclass
class MoveHint(_OneHintChange):
    index: int
    before: Pos
    after: Pos
    label: str = "Move colour hint"

    def _set(self, doc: Document, pos: Pos) -> None:
        hint = doc.hints[self.index]
        if (hint.x, hint.y) == tuple(pos):
            return  # there already
        doc.hints[self.index] = hint._replace(x=pos[0], y=pos[1])
        # both places: where the marker was drawn and where it is now
        doc.notify(union(_box(doc, hint), _box(doc, hint, pos)), hints=True)


@dataclass
class RecolorHint(_OneHintChange):
    index: int
    before: RGB
    after: RGB
    label: str = "Recolour colour hint"

    def _set(self, doc: Document, rgb: RGB) -> None:
        hint = doc.hints[self.index]
        if tuple(hint.rgb) == tuple(rgb):
            return
        doc.hints[self.index] = hint._replace(rgb=rgb)
        doc.notify(_box(doc, hint), hints=True)


@dataclass
class ResizeHint(_OneHintChange):
    """Change one hint's patch size (None: the default patch)."""

    index: int
    before: float | None
    after: float | None
    label: str = "Resize colour hint"

    def _set(self, doc: Document, size: float | None) -> None:
        hint = doc.hints[self.index]
        if hint.size == size:
            return
        new = hint._replace(size=size)
        doc.hints[self.index] = new
        doc.notify(union(_box(doc, hint), _box(doc, new)), hints=True)


@dataclass
class ClearHints(Edit):
    """Remove every hint (`hints` is the list they were)."""

    hints: list[Hint] = field(default_factory=list)
    label: str = "Clear colour hints"

    def _set(self, doc: Document, hints: list[Hint]) -> None:
        if doc.hints == hints:
            return
        box = union(hints_bbox(doc.hints, doc), hints_bbox(hints, doc))
        doc.hints[:] = hints
        doc.notify(box, hints=True)

    def apply(self, doc: Document) -> None:
        self._set(doc, [])

    def revert(self, doc: Document) -> None:
        self._set(doc, list(self.hints))


# --- edits from the document's current state -----------------------------------------------

def _inside(doc: Document, x: float, y: float) -> Pos:
    x, y = float(x), float(y)
    if not (math.isfinite(x) and math.isfinite(y) and 0 <= x < doc.width
            and 0 <= y < doc.height):
        raise ValueError(f"colour hint at ({x:g}, {y:g}) is outside the "
                         f"{doc.width}x{doc.height} image")
    return x, y


def _rgb(rgb: Sequence[int]) -> RGB:
    r, g, b = (int(c) for c in rgb)
    if not all(0 <= c <= 255 for c in (r, g, b)):
        raise ValueError(f"colour {tuple(rgb)!r} is not 0..255 RGB")
    return r, g, b


def _size(size: float | None) -> float | None:
    if size is None:
        return None
    size = float(size)
    if not (math.isfinite(size) and MIN_HINT_SIZE <= size <= MAX_HINT_SIZE):
        raise ValueError(f"patch size {size:g} is not {MIN_HINT_SIZE}..{MAX_HINT_SIZE} pixels")
    return int(size) if size.is_integer() else size


def add_hint(doc: Document, x: float, y: float, rgb: Sequence[int],
             size: float | None = None) -> AddHint:
    """A new hint at the end of the list (it gets index len(doc.hints)); `size` is its
    patch size in image pixels (None: the default patch)."""
    x, y = _inside(doc, x, y)
    n = len(doc.hints)
    return AddHint(n, Hint(x, y, _rgb(rgb), _size(size)), n)


def remove_hint(doc: Document, index: int) -> RemoveHint:
    _check_index(doc, index)
    return RemoveHint(index, doc.hints[index], len(doc.hints))


def move_hint(doc: Document, index: int, x: float, y: float) -> MoveHint | None:
    _check_index(doc, index)
    hint = doc.hints[index]
    pos = _inside(doc, x, y)
    if pos == (hint.x, hint.y):
        return None
    return MoveHint(index, (hint.x, hint.y), pos)


def recolor_hint(doc: Document, index: int, rgb: Sequence[int]) -> RecolorHint | None:
    _check_index(doc, index)
    before, after = tuple(doc.hints[index].rgb), _rgb(rgb)
    if before == after:
        return None
    return RecolorHint(index, before, after)


def resize_hint(doc: Document, index: int, size: float | None) -> ResizeHint | None:
    _check_index(doc, index)
    before, after = doc.hints[index].size, _size(size)
    if before == after:
        return None
    return ResizeHint(index, before, after)


def clear_hints(doc: Document) -> ClearHints | None:
    return ClearHints(list(doc.hints)) if doc.hints else None
