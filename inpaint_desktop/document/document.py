"""The Document: layers (bottom to top), one mask, and change notification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .compose import composite
from .edits import Edit
from .geometry import BBox, union
from .hints import Hint
from .layer import Layer


@dataclass(frozen=True)
class Change:
    """What changed: `bbox` on the canvas (None = pixels unchanged), whether the layer
    list or a layer's properties changed, whether the mask changed, and whether the colour
    hints changed (then `bbox` is the image area under the changed hints' markers; no
    pixel of the picture changed unless `layers` or `mask` says so too)."""

    bbox: BBox | None
    layers: bool = False
    mask: bool = False
    hints: bool = False


Listener = Callable[[Change], None]


@dataclass
class Document:
    width: int
    height: int
    layers: list[Layer] = field(default_factory=list)
    mask: np.ndarray | None = None
    source_path: str | None = None  # the file the image came from, never overwritten by export
    icc_profile: bytes | None = None  # kept so that export preserves the photo's colours
    # the photo's EXIF block (b"Exif\0\0...", orientation already reset to 1: the pixels
    # are upright), kept so that export keeps camera, date and location (image_io)
    exif: bytes | None = None
    revision: int = 0  # bumped on every change; background jobs compare it to drop stale results
    # colour hints for Colorize, in image pixel coordinates (hints.py), edited through
    # hint_edits.py; the index is a hint's identity for the edits
    hints: list[Hint] = field(default_factory=list)
    _listeners: list[Listener] = field(default_factory=list, repr=False)

    MASK = "mask"

    def __post_init__(self) -> None:
        if self.mask is None:
            self.mask = np.zeros((self.height, self.width), np.uint8)
        if self.mask.shape != (self.height, self.width) or self.mask.dtype != np.uint8:
            raise ValueError("mask must be H x W uint8 of the document size")

    @classmethod
    def from_image(cls, image: np.ndarray, name: str = "Background", **kw) -> Document:
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected an H x W x 3 uint8 RGB image, got {image.shape} "
                             f"{image.dtype}")
        h, w = image.shape[:2]
        return cls(width=w, height=h, layers=[Layer(name=name, pixels=image)], **kw)

    # --- queries -------------------------------------------------------------------
    @property
    def bbox(self) -> BBox:
        return (0, 0, self.width, self.height)

    def has_layer(self, layer_id: str) -> bool:
        return any(la.id == layer_id for la in self.layers)

    def index_of(self, layer_id: str) -> int:
        for i, la in enumerate(self.layers):
            if la.id == layer_id:
                return i
        raise KeyError(f"no layer {layer_id!r}")

    def layer(self, layer_id: str) -> Layer:
        return self.layers[self.index_of(layer_id)]

    def hint_layer(self) -> Layer | None:
        """The layer that live colorization keeps up with the hints: the topmost Colorize
        result (Layer.follows_hints), or None."""
        return next((la for la in reversed(self.layers) if la.follows_hints), None)

    def target_array(self, target: str) -> np.ndarray:
        """The array a PixelEdit writes to: the mask, or a layer's pixels."""
        return self.mask if target == self.MASK else self.layer(target).pixels

    def target_offset(self, target: str) -> tuple[int, int]:
        if target == self.MASK:
            return (0, 0)
        la = self.layer(target)
        return (la.x, la.y)

    def composite(self, bbox: BBox | None = None) -> np.ndarray:
        """The flattened picture (RGB uint8) of `bbox`, default the whole canvas."""
        return composite(self.layers, bbox or self.bbox)

    # --- change notification -----------------------------------------------------------
    def add_listener(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def notify(self, bbox: BBox | None, layers: bool = False, mask: bool = False,
               hints: bool = False) -> None:
        self.revision += 1
        change = Change(bbox, layers, mask, hints)
        for fn in list(self._listeners):
            fn(change)

    def apply(self, edit: Edit) -> None:
        edit.apply(self)

    # --- low-level mutators (called by edits; they notify) ------------------------------
    def insert_layer(self, layer: Layer, index: int) -> None:
        self.layers.insert(index, layer)
        self.notify(layer.bbox, layers=True)

    def remove_layer(self, layer_id: str) -> Layer:
        layer = self.layers.pop(self.index_of(layer_id))
        self.notify(layer.bbox, layers=True)
        return layer

    def move_layer(self, layer_id: str, index: int) -> None:
        layer = self.layers.pop(self.index_of(layer_id))
        self.layers.insert(index, layer)
        self.notify(layer.bbox, layers=True)

    def set_layer_props(self, layer_id: str, props: dict) -> None:
        layer = self.layer(layer_id)
        old_box = layer.bbox
        for key, value in props.items():
            if key not in ("name", "opacity", "visible", "x", "y"):
                raise KeyError(f"not a layer property: {key}")
            setattr(layer, key, value)
        pixels_changed = any(k != "name" for k in props)
        box = None
        if pixels_changed:
            box = union(old_box, layer.bbox)
        self.notify(box, layers=True)
