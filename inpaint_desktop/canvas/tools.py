"""Mask tools: the Tool base, brush and eraser (lasso, polygon, rectangle: shapes.py).

The view forwards mouse and key events to the current tool with positions already in
image coordinates (floats, pixel (i, j) covers [i, i+1) x [j, j+1)). A tool needs no
document: with none, it does nothing. Each finished operation becomes ONE undo command
holding only the mask tiles it changed (document.patch.TileBackup).

The tools talk to their host (the CanvasView) through a small surface: document(),
undo_stack(), zoom(), brush_size(), brush_hardness(), update_image_rect(),
update_image_outline() and update_brush_outline(). Previews are drawn by paint_preview()
on a painter already transformed to image coordinates, with cosmetic (1 screen pixel) pens.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from inpaint_desktop.commands import push_edit
from inpaint_desktop.document import Document, PixelEdit, TileBackup
from inpaint_desktop.document.geometry import BBox, union
from inpaint_desktop.document.masking import (
    ADD,
    INTERSECT,
    REPLACE,
    SUBTRACT,
    paint_segment,
    segment_bbox,
)

Pos = tuple[float, float]

LEFT = Qt.MouseButton.LeftButton
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
# Ctrl does what Alt does (GIMP's convention): many Linux desktops take Alt+drag to move
# the window, so Alt never reaches the app there. (Qt reports macOS's Cmd key as Ctrl.)
SUBTRACT_KEYS = ALT | CTRL


def mode_for(modifiers) -> str:
    """Selection mode from the modifiers held at press: none = replace, Shift = add,
    Ctrl or Alt = subtract, Shift+Ctrl or Shift+Alt = intersect."""
    shift, sub = bool(modifiers & SHIFT), bool(modifiers & SUBTRACT_KEYS)
    if shift and sub:
        return INTERSECT
    if shift:
        return ADD
    if sub:
        return SUBTRACT
    return REPLACE


def outline_pens() -> tuple[QPen, QPen]:
    """A white line under a black dashed one: visible on any photo and any overlay."""
    under = QPen(QColor(255, 255, 255), 1)
    under.setCosmetic(True)
    over = QPen(QColor(0, 0, 0), 1, Qt.PenStyle.CustomDashLine)
    over.setDashPattern([4, 4])
    over.setCosmetic(True)
    return under, over


class Tool:
    """Base tool: every hook does nothing."""

    name = ""
    label = ""

    def __init__(self, view):
        self.view = view

    @property
    def active(self) -> bool:
        """True while an operation (stroke, path, polygon, drag) is in progress."""
        return False

    def press(self, pos: Pos, button, modifiers) -> None:
        pass

    def move(self, pos: Pos, buttons, modifiers) -> None:
        pass

    def release(self, pos: Pos, button, modifiers) -> None:
        pass

    def double_click(self, pos: Pos, button, modifiers) -> None:
        self.press(pos, button, modifiers)

    def key_press(self, key, modifiers) -> bool:
        """Handle a key; True if used."""
        if key == Qt.Key.Key_Escape and self.active:
            self.cancel()
            return True
        return False

    def cancel(self) -> None:
        """Abandon the operation in progress, leaving the document as it was."""

    def finish(self) -> None:
        """End the operation in progress because the tool or document changes."""
        self.cancel()

    def leave(self) -> None:
        """The cursor left the view (or a pan started): drop hover feedback."""

    def paint_preview(self, painter: QPainter) -> None:
        pass

    # --- helpers ----------------------------------------------------------------------
    def _doc(self) -> Document | None:
        return self.view.document()

    def _push(self, doc: Document, patches, label: str) -> None:
        """Record already-applied patches as one undo step (push re-applies: harmless)."""
        if not patches:
            return
        stack = self.view.undo_stack()
        edit = PixelEdit(doc.MASK, patches, label=label)
        if stack is not None:
            push_edit(stack, doc, edit)
        else:  # no undo history: the pixels are changed already, just make sure all know
            box = None
            for p in patches:
                box = union(box, p.bbox)
            doc.notify(box, mask=True)


class BrushTool(Tool):
    """Soft round brush painting the mask (ADD); Ctrl or Alt held at press erases instead."""

    name = "brush"
    label = "Brush stroke"
    mode = ADD

    def __init__(self, view):
        super().__init__(view)
        self._stroke_doc: Document | None = None
        self._backup: TileBackup | None = None
        self._stroke_mode = self.mode
        self._last: Pos | None = None  # last painted point of the current stroke
        self._end: Pos | None = None  # where the previous stroke ended (Shift+click line)
        self._box: BBox | None = None  # everything the current stroke touched
        self.hover: Pos | None = None

    @property
    def active(self) -> bool:
        return self._backup is not None

    def reset(self) -> None:
        """Forget the previous stroke's end (a new document)."""
        self._end = None

    def press(self, pos, button, modifiers) -> None:
        doc = self._doc()
        if button != LEFT or doc is None or self.active:
            return
        self._stroke_mode = self.mode
        if modifiers & SUBTRACT_KEYS:
            self._stroke_mode = SUBTRACT if self.mode == ADD else ADD
        self._stroke_doc = doc
        self._backup = TileBackup(doc.mask)
        self._box = None
        start = self._end if (modifiers & SHIFT and self._end is not None) else pos
        self._segment(start, pos)
        self._set_hover(pos)

    def move(self, pos, buttons, modifiers) -> None:
        self._set_hover(pos)
        if self.active and buttons & LEFT and pos != self._last:
            self._segment(self._last, pos)

    def release(self, pos, button, modifiers) -> None:
        if button != LEFT or not self.active:
            return
        if pos != self._last:
            self._segment(self._last, pos)
        self._commit()

    def cancel(self) -> None:
        if not self.active:
            return
        self._backup.restore()
        self._backup = None
        if self._box is not None:
            self._stroke_doc.notify(self._box, mask=True)
        self._stroke_doc = None

    def finish(self) -> None:
        if self.active:
            self._commit()

    def leave(self) -> None:
        self._set_hover(None)

    def _segment(self, p0: Pos, p1: Pos) -> None:
        doc = self._stroke_doc
        radius = self.view.brush_size() / 2.0
        box = segment_bbox(p0, p1, radius, doc.width, doc.height)
        self._last = p1
        if box is None:  # entirely outside the image
            return
        self._backup.save(box)
        paint_segment(doc.mask, p0, p1, radius, self.view.brush_hardness(), self._stroke_mode)
        self._box = union(self._box, box)
        doc.notify(box, mask=True)

    def _commit(self) -> None:
        doc, backup = self._stroke_doc, self._backup
        self._backup, self._stroke_doc = None, None
        self._end = self._last
        self._push(doc, backup.patches(), self.label)

    def _set_hover(self, pos: Pos | None) -> None:
        if pos == self.hover:
            return
        old, self.hover = self.hover, pos
        self.view.update_brush_outline(old)
        self.view.update_brush_outline(pos)

    def paint_preview(self, painter: QPainter) -> None:
        if self.hover is None:
            return
        r = self.view.brush_size() / 2.0
        centre = QPointF(*self.hover)
        under, over = outline_pens()
        painter.setPen(under)
        painter.drawEllipse(centre, r, r)
        solid = QPen(over)
        solid.setStyle(Qt.PenStyle.SolidLine)
        painter.setPen(solid)
        r_in = max(0.0, r - 1.0 / self.view.zoom())  # one screen pixel inside the white ring
        painter.drawEllipse(centre, r_in, r_in)


class EraserTool(BrushTool):
    """The brush removing from the mask (SUBTRACT); Ctrl or Alt held at press paints."""

    name = "eraser"
    label = "Eraser stroke"
    mode = SUBTRACT
