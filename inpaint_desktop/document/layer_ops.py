"""Layer operations as Edits (not yet applied): the Layers panel's actions."""

from __future__ import annotations

import numpy as np

from .compose import composite
from .document import Document
from .edits import (
    CompoundEdit,
    Edit,
    InsertLayerEdit,
    LayerPropsEdit,
    MoveLayerEdit,
    RemoveLayerEdit,
)
from .geometry import union
from .layer import Layer


def add_layer(doc: Document, layer: Layer, index: int | None = None,
              label: str | None = None) -> Edit:
    """Insert `layer` (default: on top)."""
    index = len(doc.layers) if index is None else index
    return InsertLayerEdit(layer, index, label=label or f"Add layer '{layer.name}'")


def delete_layer(doc: Document, layer_id: str) -> Edit:
    if len(doc.layers) <= 1:
        raise ValueError("cannot delete the only layer")
    i = doc.index_of(layer_id)
    return RemoveLayerEdit(doc.layers[i], i, label=f"Delete layer '{doc.layers[i].name}'")


def duplicate_layer(doc: Document, layer_id: str) -> Edit:
    i = doc.index_of(layer_id)
    src = doc.layers[i]
    return InsertLayerEdit(src.copy(name=f"{src.name} copy"), i + 1,
                           label=f"Duplicate layer '{src.name}'")


def set_props(doc: Document, layer_id: str, label: str | None = None, **props) -> Edit:
    layer = doc.layer(layer_id)
    before = {k: getattr(layer, k) for k in props}
    if "opacity" in props:
        props["opacity"] = float(min(1.0, max(0.0, props["opacity"])))
    return LayerPropsEdit(layer_id, before, dict(props),
                          label=label or f"{', '.join(props).capitalize()} of '{layer.name}'")


def rename_layer(doc: Document, layer_id: str, name: str) -> Edit:
    name = name.strip()
    if not name:
        raise ValueError("a layer name cannot be empty")
    return set_props(doc, layer_id, name=name, label=f"Rename layer to '{name}'")


def move_layer(doc: Document, layer_id: str, to_index: int) -> Edit:
    i = doc.index_of(layer_id)
    to_index = max(0, min(len(doc.layers) - 1, to_index))
    return MoveLayerEdit(layer_id, i, to_index,
                         label=f"Move layer '{doc.layers[i].name}'")


def _flatten_into_layer(layers: list[Layer], name: str) -> Layer:
    """One layer covering the union of `layers`, blended exactly as they show,
    with an alpha channel where none of them covers."""
    box = None
    for la in layers:
        box = union(box, la.bbox)
    x0, y0, x1, y1 = box
    pixels = composite(layers, box)
    # Coverage: blend a white "layer" of each layer's own alpha x opacity.
    cover = np.zeros((y1 - y0, x1 - x0), np.float32)
    for la in layers:
        if not la.visible:
            continue
        a = (np.full(la.pixels.shape[:2], 255, np.float32) if la.alpha is None
             else la.alpha.astype(np.float32)) * (la.opacity / 255.0)
        s = (slice(la.y - y0, la.y - y0 + la.height), slice(la.x - x0, la.x - x0 + la.width))
        cover[s] = cover[s] + a * (1.0 - cover[s])
    alpha = None if np.all(cover >= 1.0 - 1e-6) else np.rint(cover * 255).astype(np.uint8)
    if alpha is not None:
        # composite() blended over white; un-premultiply so the layer shows the same
        # when blended over whatever lies below it.
        c = np.maximum(cover, 1e-6)[..., None]
        pixels = np.clip((pixels.astype(np.float32) - 255.0 * (1 - c)) / c, 0, 255)
        pixels = np.rint(pixels).astype(np.uint8)
    return Layer(name=name, pixels=pixels, alpha=alpha, x=x0, y=y0)


def merge_down(doc: Document, layer_id: str) -> Edit:
    i = doc.index_of(layer_id)
    if i == 0:
        raise ValueError("there is no layer below to merge into")
    lower, upper = doc.layers[i - 1], doc.layers[i]
    merged = _flatten_into_layer([lower, upper], lower.name)
    merged.visible = True
    return CompoundEdit([RemoveLayerEdit(upper, i), RemoveLayerEdit(lower, i - 1),
                         InsertLayerEdit(merged, i - 1)],
                        label=f"Merge '{upper.name}' down")


def flatten(doc: Document) -> Edit:
    """All visible layers into one opaque layer of the canvas size (hidden ones dropped)."""
    flat = Layer(name=doc.layers[0].name if doc.layers else "Background",
                 pixels=doc.composite())
    removals = [RemoveLayerEdit(la, i) for i, la in reversed(list(enumerate(doc.layers)))]
    return CompoundEdit(removals + [InsertLayerEdit(flat, 0)], label="Flatten image")
