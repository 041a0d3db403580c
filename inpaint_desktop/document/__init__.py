"""Pure-numpy document model: layers, mask, patch edits, compositing, file I/O.

Never imports Qt (an import-linter contract checks it)."""

from .document import Change, Document
from .edits import (
                    CompoundEdit,
                    Edit,
                    InsertLayerEdit,
                    LayerPropsEdit,
                    MoveLayerEdit,
                    PixelEdit,
                    RemoveLayerEdit,
)
from .geometry import BBox
from .layer import Layer
from .patch import Patch, TileBackup, diff_tiles

__all__ = ["BBox", "Change", "CompoundEdit", "Document", "Edit", "InsertLayerEdit", "Layer",
           "LayerPropsEdit", "MoveLayerEdit", "Patch", "PixelEdit", "RemoveLayerEdit",
           "TileBackup", "diff_tiles"]
