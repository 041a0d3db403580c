"""Getting pictures and masks in and out: mask files and the clipboard.

The window's menu slots ask for file names and call these; each returns a one-line message
for the status bar, or raises ImageFileError (shown as an error, nothing changed).
"""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtGui import QGuiApplication, QImage

from inpaint_desktop.commands import push_edit
from inpaint_desktop.document import Document, Layer, masking
from inpaint_desktop.document.image_io import (
    MAX_PIXELS,
    ImageFileError,
    check_pixel_count,
    load_mask,
    refuse_source_overwrite,
    save_image,
)
from inpaint_desktop.document.layer_ops import add_layer

MASK_FILTER = "Masks: white = fill (*.png *.PNG)"


def import_mask(doc: Document, undo_stack, path: str) -> str:
    """Replace the mask with a mask file (white = fill; transparent counts as keep, as the
    command line reads masks), as one undo step. A file of another size changes nothing."""
    mask = load_mask(path)
    name = os.path.basename(path)
    if mask.shape != doc.mask.shape:
        h, w = mask.shape
        raise ImageFileError.about(
            "import the mask", path, f"it is {w} x {h} pixels but the picture is "
            f"{doc.width} x {doc.height}")
    if not push_edit(undo_stack, doc, masking.replace(doc, mask, f"Import mask {name}")):
        return f"{name} is the same as the mask already painted"
    return f"Imported the mask {name}"


def export_mask(doc: Document, path: str) -> str:
    """Write the mask as a gray PNG (white = fill, black = keep; soft edges as grays): the
    file the command line's --mask reads."""
    if not path.lower().endswith(".png"):
        path += ".png"
    refuse_source_overwrite(doc, path, "export the mask as")
    save_image(doc.mask, path)
    return f"Exported the mask to {os.path.basename(path)}"


# --- clipboard ---------------------------------------------------------------------------------

def clipboard_image() -> tuple[np.ndarray, np.ndarray | None] | None:
    """The clipboard's picture as (RGB H x W x 3, alpha H x W or None if opaque), or None."""
    image = QGuiApplication.clipboard().image()
    if image.isNull():
        return None
    check_pixel_count("the clipboard image", (image.width(), image.height()), MAX_PIXELS,
                      "paste")
    image = image.convertToFormat(QImage.Format_RGBA8888)
    h, w, bpl = image.height(), image.width(), image.bytesPerLine()
    rgba = np.frombuffer(image.constBits(), np.uint8).reshape(h, bpl)[:, : 4 * w]
    rgba = rgba.reshape(h, w, 4)
    rgb = np.ascontiguousarray(rgba[..., :3])
    alpha = None if rgba[..., 3].min() == 255 else np.ascontiguousarray(rgba[..., 3])
    return rgb, alpha


def new_document(rgb: np.ndarray, alpha: np.ndarray | None) -> Document:
    """A pasted picture as a document; transparent areas laid on white, as files are."""
    if alpha is not None:
        a = alpha.astype(np.uint16)[..., None]
        rgb = ((rgb.astype(np.uint16) * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)
    return Document.from_image(rgb)


def paste_as_layer(doc: Document, undo_stack, rgb: np.ndarray,
                   alpha: np.ndarray | None) -> str:
    """The pasted picture as a new top layer, centred on the canvas: one undo step."""
    h, w = rgb.shape[:2]
    layer = Layer(name="Pasted", pixels=rgb, alpha=alpha,
                  x=(doc.width - w) // 2, y=(doc.height - h) // 2)
    push_edit(undo_stack, doc, add_layer(doc, layer, label="Paste as layer"))
    return (f"Pasted the clipboard's {w} x {h} picture as a new layer "
            "(Edit > Paste as new image opens it on its own)")


def copy_image(doc: Document) -> str:
    """Put the picture as shown (all visible layers, no mask overlay) on the clipboard."""
    rgb = np.ascontiguousarray(doc.composite())
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()  # own the pixels
    QGuiApplication.clipboard().setImage(image)
    return f"Copied the {w} x {h} picture"
