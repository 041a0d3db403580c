"""Reversible document edits. Each has apply(doc) and revert(doc), both idempotent,
so a QUndoCommand can wrap any of them (QUndoStack.push calls redo at once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .geometry import BBox, translate, union
from .layer import Layer
from .patch import Patch

if TYPE_CHECKING:
    from .document import Document


class Edit:
    label = "Edit"

    def apply(self, doc: Document) -> None:
        raise NotImplementedError

    def revert(self, doc: Document) -> None:
        raise NotImplementedError

    @property
    def nbytes(self) -> int:
        """Memory this edit keeps alive for undo."""
        return 0


@dataclass
class PixelEdit(Edit):
    """Pixel changes to the mask (target == MASK) or to one layer's pixels."""

    target: str
    patches: list[Patch]
    label: str = "Paint"

    def _run(self, doc: Document, forward: bool) -> None:
        array = doc.target_array(self.target)
        box: BBox | None = None
        for p in self.patches:
            (p.apply if forward else p.revert)(array)
            box = union(box, p.bbox)
        if box is not None:
            ox, oy = doc.target_offset(self.target)
            doc.notify(translate(box, ox, oy), mask=self.target == doc.MASK)

    def apply(self, doc: Document) -> None:
        self._run(doc, True)

    def revert(self, doc: Document) -> None:
        self._run(doc, False)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.patches)


@dataclass
class LayerPropsEdit(Edit):
    """Name, opacity, visibility or offset of one layer."""

    layer_id: str
    before: dict
    after: dict
    label: str = "Layer properties"

    def apply(self, doc: Document) -> None:
        doc.set_layer_props(self.layer_id, self.after)

    def revert(self, doc: Document) -> None:
        doc.set_layer_props(self.layer_id, self.before)


@dataclass
class InsertLayerEdit(Edit):
    layer: Layer
    index: int
    label: str = "New layer"

    def apply(self, doc: Document) -> None:
        if not doc.has_layer(self.layer.id):
            doc.insert_layer(self.layer, self.index)

    def revert(self, doc: Document) -> None:
        if doc.has_layer(self.layer.id):
            doc.remove_layer(self.layer.id)

    @property
    def nbytes(self) -> int:
        return self.layer.nbytes()


@dataclass
class RemoveLayerEdit(Edit):
    layer: Layer
    index: int
    label: str = "Delete layer"

    def apply(self, doc: Document) -> None:
        if doc.has_layer(self.layer.id):
            doc.remove_layer(self.layer.id)

    def revert(self, doc: Document) -> None:
        if not doc.has_layer(self.layer.id):
            doc.insert_layer(self.layer, self.index)

    @property
    def nbytes(self) -> int:
        return self.layer.nbytes()


@dataclass
class MoveLayerEdit(Edit):
    layer_id: str
    from_index: int
    to_index: int
    label: str = "Move layer"

    def apply(self, doc: Document) -> None:
        doc.move_layer(self.layer_id, self.to_index)

    def revert(self, doc: Document) -> None:
        doc.move_layer(self.layer_id, self.from_index)


@dataclass
class CompoundEdit(Edit):
    """Several edits that undo as one step (e.g. merge down = remove two, insert one)."""

    edits: list[Edit] = field(default_factory=list)
    label: str = "Edit"

    def apply(self, doc: Document) -> None:
        for e in self.edits:
            e.apply(doc)

    def revert(self, doc: Document) -> None:
        for e in reversed(self.edits):
            e.revert(doc)

    @property
    def nbytes(self) -> int:
        return sum(e.nbytes for e in self.edits)
