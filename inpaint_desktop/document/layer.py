"""Image layers: pixels placed on the canvas at an offset, with opacity and visibility."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from .geometry import BBox

_ids = itertools.count(1)


def new_layer_id() -> str:
    return f"layer-{next(_ids)}"


@dataclass
class Layer:
    """An RGB layer. `alpha` (H x W uint8) is None for a fully opaque layer.

    `x`, `y` place the layer's top-left pixel on the canvas; result layers of
    Erase cover just the filled region, so they are usually small.

    `follows_hints`: a Colorize result, which live colorization updates when the colour
    hints change (the topmost such layer, Document.hint_layer). It is part of the layer,
    saved in the project, so a reopened project colorizes live as it did before; a copy
    (Duplicate layer, merges) is a snapshot that does not follow.
    """

    name: str
    pixels: np.ndarray
    alpha: np.ndarray | None = None
    x: int = 0
    y: int = 0
    opacity: float = 1.0
    visible: bool = True
    follows_hints: bool = False
    id: str = field(default_factory=new_layer_id)

    def __post_init__(self) -> None:
        if self.pixels.dtype != np.uint8 or self.pixels.ndim != 3 or self.pixels.shape[2] != 3:
            raise ValueError(f"layer pixels must be H x W x 3 uint8, got {self.pixels.shape} "
                             f"{self.pixels.dtype}")
        if self.alpha is not None and self.alpha.shape != self.pixels.shape[:2]:
            raise ValueError("layer alpha must match the pixel size")

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    @property
    def bbox(self) -> BBox:
        """Where the layer lies on the canvas."""
        return (self.x, self.y, self.x + self.width, self.y + self.height)

    def props(self) -> dict:
        """The properties that a property edit can change (see edits.LayerPropsEdit)."""
        return {"name": self.name, "opacity": self.opacity, "visible": self.visible,
                "x": self.x, "y": self.y}

    def copy(self, name: str | None = None) -> Layer:
        return Layer(name=self.name if name is None else name, pixels=self.pixels.copy(),
                     alpha=None if self.alpha is None else self.alpha.copy(),
                     x=self.x, y=self.y, opacity=self.opacity, visible=self.visible)

    def nbytes(self) -> int:
        return self.pixels.nbytes + (0 if self.alpha is None else self.alpha.nbytes)
