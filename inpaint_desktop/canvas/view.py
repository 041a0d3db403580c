"""CanvasView: the photo with its mask overlay, zoom and pan, and the mask tools.

Coordinates: the image pixel (i, j) covers [i, i+1) x [j, j+1) in image coordinates;
a widget point p shows image point (p - origin) / zoom. The view listens to its
document and, on Change(bbox), refreshes only that rectangle of its backing images
(render.Backing) and repaints only the widget rectangle that shows it.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QRegion, QTransform, QUndoStack
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from inpaint_desktop.commands import push_edit
from inpaint_desktop.document import Change, Document, Edit
from inpaint_desktop.document.geometry import BBox
from inpaint_desktop.document.hint_edits import recolor_hint, resize_hint
from inpaint_desktop.document.hints import MAX_HINT_SIZE, MIN_HINT_SIZE, default_hint_size

from .hint_tool import MARKER_EXTENT, HintTool, marker_rect, paint_markers, rgb_of
from .render import Backing
from .select_tools import MagicWandTool, ObjectSelectTool
from .shapes import LassoTool, PolygonTool, RectangleTool
from .tools import BrushTool, EraserTool, Tool

TOOLS = {cls.name: cls for cls in (BrushTool, EraserTool, LassoTool, PolygonTool, RectangleTool,
                                   ObjectSelectTool, MagicWandTool, HintTool)}

MIN_ZOOM, MAX_ZOOM = 0.01, 32.0
ZOOM_STEPS = (0.01, 0.02, 0.03, 0.04, 0.05, 1 / 16, 1 / 12, 0.1, 1 / 8, 1 / 6, 0.2, 0.25,
              1 / 3, 0.5, 2 / 3, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0)
WHEEL_NOTCH_ZOOM = 2 ** 0.25  # one 15-degree wheel notch (angleDelta 120)
MIN_BRUSH, MAX_BRUSH = 1, 2000
BRUSH_STEP = 1.15
HINT_SIZE_STEP = 1.15  # one wheel notch of the colour hint tool: patch size x 1.15 (>= 1 px)
BACKGROUND = QColor(60, 60, 60)  # neutral gray around the image
PREVIEW_MARGIN = 4  # screen pixels around a tool preview's shapes (pens, vertex squares)
DEFAULT_HINT_COLOR = QColor(200, 60, 40)
DEFAULT_WAND_TOLERANCE = 32


class CanvasView(QWidget):
    zoomChanged = Signal(float)  # 1.0 = 100 %
    cursorMoved = Signal(object)  # (x, y) image pixel under the cursor, or None
    brushChanged = Signal(int, float)  # diameter in image pixels, hardness 0..1
    toolChanged = Signal(str)
    hintColorChanged = Signal(QColor)  # the colour new hints get (and the selected one has)
    hintSelected = Signal(object)  # index of the selected colour hint, or None
    hintSizeChanged = Signal(object)  # patch size of new hints (and the selected one), or None
    hintClicked = Signal(int)  # a click of the hint tool placed, picked or moved this hint
    message = Signal(str)  # a short note from a tool for the status bar

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent covers all
        self._doc: Document | None = None
        self._stack: QUndoStack | None = None
        self._backing: Backing | None = None
        self._zoom = 1.0
        self._origin = QPointF(0.0, 0.0)  # widget position of image point (0, 0)
        self._fit = True  # follow the window size until the user zooms or pans
        self._brush_size = 40
        self._hardness = 0.8
        self._mask_color = QColor(255, 30, 90)
        self._mask_opacity = 0.5
        self._mask_visible = True
        self._tools: dict[str, Tool] = {name: cls(self) for name, cls in TOOLS.items()}
        self._tool = self._tools["brush"]
        self._space = False  # space bar held: left-drag pans
        self._pan_button: Qt.MouseButton | None = None
        self._pan_last = QPointF()
        self._cursor_pixel: tuple[int, int] | None = None
        self._hint_color = QColor(DEFAULT_HINT_COLOR)
        self._hint_size: float | None = None  # patch size of new hints; None = the default
        self._selected_hint: int | None = None
        self._hint_preview: tuple[int, tuple[float, float]] | None = None  # a marker dragged
        self._hints_seen: list = []  # doc.hints as last seen, to follow the selection
        self._wand_tolerance = DEFAULT_WAND_TOLERANCE
        self._wand_contiguous = True
        self._picture = None  # (document, content revision, flattened picture)
        self._content_rev = 0  # bumped by changes of the picture (not of the mask or hints)
        self._update_cursor()

    def sizeHint(self) -> QSize:
        return QSize(800, 600)

    # --- document -----------------------------------------------------------------------
    def set_document(self, doc: Document | None, undo_stack: QUndoStack | None) -> None:
        """Show `doc` (None: nothing), recording edits on `undo_stack`; fits to window."""
        for tool in self._tools.values():
            tool.cancel()
            tool.leave()
            reset = getattr(tool, "reset", None)
            if reset is not None:
                reset()
        if self._doc is not None:
            self._doc.remove_listener(self._on_change)
        self._doc, self._stack = doc, undo_stack
        self._backing = None
        self._picture = None
        self._hint_preview = None
        self._hints_seen = [] if doc is None else list(doc.hints)
        self.select_hint(None)
        if doc is not None:
            self._backing = Backing(doc, self._mask_color, self._mask_opacity)
            doc.add_listener(self._on_change)
        self.fit_to_window()
        self.update()
        self.hintSizeChanged.emit(self._hint_size)  # the default size is the document's

    def document(self) -> Document | None:
        return self._doc

    def undo_stack(self) -> QUndoStack | None:
        return self._stack

    def backing(self) -> Backing | None:
        return self._backing

    def _on_change(self, change: Change) -> None:
        if not isValid(self):  # the widget is gone but the document lives on
            if self._doc is not None:
                self._doc.remove_listener(self._on_change)
            return
        if change.layers or (change.bbox is not None and not change.mask and not change.hints):
            self._content_rev += 1  # the picture changed: a tool's flattened copy is stale
        doc, backing = self._doc, self._backing
        if doc is None or backing is None:
            return
        if (doc.width, doc.height) != (backing.width, backing.height):
            self._backing = Backing(doc, self._mask_color, self._mask_opacity)
            self.update()
            return
        if change.hints:
            self._hints_changed(change.bbox)
            if not (change.layers or change.mask):
                return  # markers only: the picture is unchanged
        if change.bbox is None:
            return  # layer list or names only: no pixel changed
        if change.mask:
            backing.update_mask(change.bbox)
        if not change.mask or change.layers:
            backing.update_image(change.bbox)
        self._update_box(change.bbox)

    def _update_box(self, box: BBox) -> None:
        """Repaint the widget area that shows image rectangle `box`."""
        x0, y0, x1, y1 = box
        if self._zoom < 1.0 and self._backing is not None:
            # a changed level pixel covers g image pixels, and bilinear filtering spreads it
            # one level pixel further
            b = self._backing
            g = 1 << max(b.image_level(self._zoom), b.overlay_level(self._zoom))
            x0, y0 = (x0 // g - 2) * g, (y0 // g - 2) * g
            x1, y1 = (-(-x1 // g) + 2) * g, (-(-y1 // g) + 2) * g
        self._update_widget_rect(self._widget_rect(QRectF(x0, y0, x1 - x0, y1 - y0), 1))

    # --- coordinates --------------------------------------------------------------------
    def map_to_image(self, p: QPointF) -> QPointF:
        return (QPointF(p) - self._origin) / self._zoom

    def map_from_image(self, p: QPointF) -> QPointF:
        return QPointF(p) * self._zoom + self._origin

    def image_transform(self) -> QTransform:
        """Image coordinates -> widget coordinates."""
        return QTransform(self._zoom, 0, 0, self._zoom, self._origin.x(), self._origin.y())

    def _widget_rect(self, image_rect: QRectF, margin: int = 0) -> QRect:
        r = QRectF(self.map_from_image(image_rect.topLeft()),
                   self.map_from_image(image_rect.bottomRight()))
        return r.normalized().toAlignedRect().adjusted(-margin, -margin, margin, margin)

    def _update_widget_rect(self, r: QRect) -> None:
        r = r.intersected(self.rect())
        if not r.isEmpty():
            self.update(r)

    def update_image_rect(self, image_rect: QRectF, margin: int = PREVIEW_MARGIN) -> None:
        """Repaint the widget area over an image-space rectangle (tool previews)."""
        self._update_widget_rect(self._widget_rect(image_rect, margin))

    def update_image_outline(self, image_rect: QRectF, margin: int = PREVIEW_MARGIN) -> None:
        """Repaint only the border of an image-space rectangle (a rectangle preview)."""
        r = self._widget_rect(image_rect)
        m = margin
        region = QRegion()
        for strip in (QRect(r.left() - m, r.top() - m, r.width() + 2 * m, 2 * m + 1),
                      QRect(r.left() - m, r.bottom() - m, r.width() + 2 * m, 2 * m + 1),
                      QRect(r.left() - m, r.top() - m, 2 * m + 1, r.height() + 2 * m),
                      QRect(r.right() - m, r.top() - m, 2 * m + 1, r.height() + 2 * m)):
            region += strip
        self.update(region.intersected(self.rect()))

    def update_brush_outline(self, pos: tuple[float, float] | None) -> None:
        """Repaint where the brush circle at image point `pos` is (or was) drawn."""
        if pos is None:
            return
        c = self.map_from_image(QPointF(*pos))
        r = self._brush_size / 2.0 * self._zoom + 3
        outer = QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r).toAlignedRect()
        region = QRegion(outer)
        inner = r / math.sqrt(2) - 4  # half side of a square well inside the ring
        if inner > 8:
            region -= QRegion(QRectF(c.x() - inner, c.y() - inner, 2 * inner,
                                     2 * inner).toRect())
        self.update(region.intersected(self.rect()))

    # --- zoom and pan -------------------------------------------------------------------
    def zoom(self) -> float:
        return self._zoom

    def origin(self) -> QPointF:
        """Widget position of the image's top-left corner."""
        return QPointF(self._origin)

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to `zoom` (1.0 = 100 %) keeping the image point under widget point
        `anchor` (default: the widget centre) where it is."""
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, float(zoom)))
        if anchor is None:
            anchor = QPointF(self.width() / 2.0, self.height() / 2.0)
        fixed = self.map_to_image(anchor)
        old = self._zoom
        self._zoom = zoom
        self._origin = QPointF(anchor) - fixed * zoom
        self._fit = False
        self.update()
        if zoom != old:
            self.zoomChanged.emit(zoom)

    def zoom_in(self) -> None:
        self.set_zoom(next((z for z in ZOOM_STEPS if z > self._zoom * 1.001), MAX_ZOOM))

    def zoom_out(self) -> None:
        smaller = [z for z in ZOOM_STEPS if z < self._zoom / 1.001]
        self.set_zoom(smaller[-1] if smaller else MIN_ZOOM)

    def fit_to_window(self) -> None:
        """Zoom so that the whole image fits, centred."""
        if self._doc is None:
            self._fit = True
            return
        w, h = max(1, self.width()), max(1, self.height())
        old = self._zoom
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, min(w / self._doc.width, h / self._doc.height)))
        self._zoom = zoom
        self._origin = QPointF(round((w - self._doc.width * zoom) / 2.0),
                               round((h - self._doc.height * zoom) / 2.0))
        self._fit = True
        self.update()
        if zoom != old:
            self.zoomChanged.emit(zoom)

    def actual_size(self) -> None:
        """100 %, keeping the view centre; whole-pixel origin so pixels stay crisp."""
        self.set_zoom(1.0)
        self._origin = QPointF(round(self._origin.x()), round(self._origin.y()))

    def pan_by(self, dx: float, dy: float) -> None:
        self._origin += QPointF(dx, dy)
        self._fit = False
        self.update()

    # --- tools and brush ----------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        if name not in self._tools:
            raise ValueError(f"unknown tool {name!r}; known: {', '.join(self._tools)}")
        if self._tools[name] is self._tool:
            return
        self._tool.finish()
        self._tool.leave()
        self._tool = self._tools[name]
        self._update_cursor()
        self.update()
        self.toolChanged.emit(name)

    def tool_name(self) -> str:
        return self._tool.name

    def tool(self) -> Tool:
        return self._tool

    def set_brush_size(self, diameter: int) -> None:
        diameter = int(min(MAX_BRUSH, max(MIN_BRUSH, round(diameter))))
        if diameter != self._brush_size:
            self._brush_size = diameter
            self.update()
            self.brushChanged.emit(diameter, self._hardness)

    def brush_size(self) -> int:
        return self._brush_size

    def set_brush_hardness(self, hardness: float) -> None:
        hardness = min(1.0, max(0.0, float(hardness)))
        if hardness != self._hardness:
            self._hardness = hardness
            self.brushChanged.emit(self._brush_size, hardness)

    def brush_hardness(self) -> float:
        return self._hardness

    def grow_brush(self) -> None:
        self.set_brush_size(max(self._brush_size + 1, round(self._brush_size * BRUSH_STEP)))

    def shrink_brush(self) -> None:
        self.set_brush_size(min(self._brush_size - 1, round(self._brush_size / BRUSH_STEP)))

    # --- mask overlay -------------------------------------------------------------------
    def set_mask_color(self, color: QColor) -> None:
        self._mask_color = QColor(color)
        if self._backing is not None:
            self._backing.set_color(self._mask_color)
        self.update()

    def mask_color(self) -> QColor:
        return QColor(self._mask_color)

    def set_mask_opacity(self, opacity: float) -> None:
        self._mask_opacity = min(1.0, max(0.0, float(opacity)))
        if self._backing is not None:
            self._backing.set_opacity(self._mask_opacity)
        self.update()

    def mask_opacity(self) -> float:
        return self._mask_opacity

    def set_mask_visible(self, visible: bool) -> None:
        self._mask_visible = bool(visible)
        self.update()

    def mask_visible(self) -> bool:
        return self._mask_visible

    # --- what the picture-reading tools use ----------------------------------------------
    def picture(self):
        """The flattened picture (RGB uint8, the document's size) as it is now; made once per
        change of the layers, not per click (a 24 MP photo takes a while to flatten)."""
        doc = self._doc
        if doc is None:
            return None
        cached = self._picture
        if cached is None or cached[0] is not doc or cached[1] != self._content_rev:
            self._picture = cached = (doc, self._content_rev, doc.composite())
        return cached[2]

    def report(self, text: str) -> None:
        self.message.emit(text)

    def wand_tolerance(self) -> int:
        return self._wand_tolerance

    def set_wand_tolerance(self, tolerance: int) -> None:
        self._wand_tolerance = int(min(255, max(0, tolerance)))

    def wand_contiguous(self) -> bool:
        return self._wand_contiguous

    def set_wand_contiguous(self, on: bool) -> None:
        self._wand_contiguous = bool(on)

    # --- colour hints -------------------------------------------------------------------
    def apply_edit(self, edit: Edit | None) -> bool:
        """Apply `edit` as one undo step (without an undo stack: just apply it)."""
        if edit is None or self._doc is None:
            return False
        if self._stack is not None:
            return push_edit(self._stack, self._doc, edit)
        edit.apply(self._doc)
        return True

    def hint_color(self) -> QColor:
        return QColor(self._hint_color)

    def set_hint_color(self, color: QColor) -> None:
        """The colour for new hints; with a hint selected, also recolour it (one undo step)."""
        color = QColor(color)
        if not color.isValid():
            return
        color = QColor(*rgb_of(color))  # opaque
        index = self._selected_hint
        if index is not None and self._doc is not None:
            self.apply_edit(recolor_hint(self._doc, index, rgb_of(color)))
        self._set_hint_color(color)

    def _set_hint_color(self, color: QColor) -> None:
        if color != self._hint_color:
            self._hint_color = QColor(color)
            self.hintColorChanged.emit(QColor(color))

    def hint_size(self) -> float | None:
        """The patch size (image pixels) new hints get, None = the default patch."""
        return self._hint_size

    def patch_size(self, size: float | None) -> float:
        """A hint's patch size in image pixels, None (the default patch) resolved for the
        document."""
        if size is not None:
            return size
        doc = self._doc
        return 0.0 if doc is None else default_hint_size(doc.width, doc.height)

    def hint_patch(self) -> float:
        """The patch size in image pixels that new hints get."""
        return self.patch_size(self._hint_size)

    def hint_clicked(self, index: int) -> None:
        """The hint tool placed, picked or moved hint `index` (the palette asks the
        colorizer about its pixel)."""
        self.hintClicked.emit(index)

    def max_hint_size(self) -> int:
        doc = self._doc
        return MAX_HINT_SIZE if doc is None else max(MIN_HINT_SIZE,
                                                     min(MAX_HINT_SIZE,
                                                         max(doc.width, doc.height)))

    def set_hint_size(self, size: float | None) -> None:
        """The patch size for new hints (None: the default); with a hint selected, also
        resize it (one undo step; consecutive resizes of one hint merge into it)."""
        if size is not None:
            size = int(min(self.max_hint_size(), max(MIN_HINT_SIZE, round(size))))
        index = self._selected_hint
        if index is not None and self._doc is not None:
            self.apply_edit(resize_hint(self._doc, index, size))
        self._set_hint_size(size)

    def step_hint_size(self, steps: int) -> None:
        """Grow (steps > 0) or shrink the patch size by HINT_SIZE_STEP per step, at least
        one pixel per step (the wheel of the colour hint tool: a step is a notch)."""
        if self._doc is None or not steps:
            return
        size = self.hint_patch()
        new = size * HINT_SIZE_STEP ** steps
        if abs(new - size) < abs(steps):  # small patches
            new = size + steps
        self.set_hint_size(new)

    def _set_hint_size(self, size: float | None) -> None:
        if size != self._hint_size:
            self._hint_size = size
            self.hintSizeChanged.emit(size)

    def selected_hint(self) -> int | None:
        return self._selected_hint

    def select_hint(self, index: int | None) -> None:
        """Select the hint at `index` (None: none); its colour becomes the current one."""
        hints = [] if self._doc is None else self._doc.hints
        if index is not None and not 0 <= index < len(hints):
            raise IndexError(f"no colour hint {index}")
        if index == self._selected_hint:
            return
        for i in (self._selected_hint, index):
            if i is not None and i < len(hints):
                self._update_widget_rect(self._marker_rect(hints[i]))
        self._selected_hint = index
        if index is not None:
            self._set_hint_color(QColor(*hints[index].rgb))
            self._set_hint_size(hints[index].size)
        self.hintSelected.emit(index)

    def _marker_rect(self, hint, pos=None) -> QRect:
        """Where the marker of `hint` (at `pos` instead, during a drag) is drawn."""
        return marker_rect(self, hint[:2] if pos is None else pos, self.patch_size(hint.size))

    def hint_preview(self) -> tuple[int, tuple[float, float]] | None:
        """(index, position) of the marker being dragged, drawn there instead."""
        return self._hint_preview

    def preview_hint_move(self, index: int | None, pos: tuple[float, float] | None = None
                          ) -> None:
        """Draw hint `index` at `pos` until called with None (a drag in progress)."""
        old = self._hint_preview
        self._hint_preview = None if index is None else (index, pos)
        hints = [] if self._doc is None else self._doc.hints
        for p in (old, self._hint_preview):
            if p is not None and p[0] < len(hints):
                self._update_widget_rect(self._marker_rect(hints[p[0]], p[1]))
                self._update_widget_rect(self._marker_rect(hints[p[0]]))

    def _hints_changed(self, box: BBox | None) -> None:
        """Repaint the changed markers and keep the selection on the same hint."""
        if box is not None:
            x0, y0, x1, y1 = box
            self._update_widget_rect(self._widget_rect(QRectF(x0, y0, x1 - x0, y1 - y0),
                                                       MARKER_EXTENT))
        if self._hint_preview is not None or self._tool.active and self._tool.name == "hint":
            self._tool.cancel()  # the hints changed under a drag (undo): drop the drag
        old, new = self._hints_seen, list(self._doc.hints)
        self._hints_seen = new
        sel = self._selected_hint
        if sel is None:
            return
        if len(new) != len(old):
            # one hint removed or inserted at the first index where the lists differ
            r = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b),
                     min(len(old), len(new)))
            if len(new) == len(old) - 1:
                sel = None if r == sel else sel - (r < sel)
            elif len(new) == len(old) + 1:
                sel += r <= sel
            else:
                sel = None
        if sel is not None and sel >= len(new):
            sel = None
        if sel != self._selected_hint:
            self.select_hint(sel)
        elif sel is not None:
            self._set_hint_color(QColor(*new[sel].rgb))  # recoloured (or undone)
            self._set_hint_size(new[sel].size)  # resized (or undone)

    # --- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        if self._backing is None:
            p.fillRect(event.rect(), BACKGROUND)
            return
        z, o = self._zoom, self._origin
        x0, y0 = math.ceil(o.x()), math.ceil(o.y())
        x1 = math.floor(o.x() + self._doc.width * z)
        y1 = math.floor(o.y() + self._doc.height * z)
        inside = QRegion(QRect(x0, y0, max(0, x1 - x0), max(0, y1 - y0)))
        # One rectangle of the update region at a time: under a clip of several
        # rectangles Qt's raster engine samples scaled images on another code path, whose
        # rounding differs by a pixel now and then, and seams would show.
        for rect in event.region():
            p.setClipRect(rect)
            for r in QRegion(rect) - inside:  # gray around the image only
                p.fillRect(r, BACKGROUND)
            self._backing.draw(p, o, z, QRectF(rect), self._mask_visible)
            paint_markers(p, self, rect)
            p.setTransform(self.image_transform())
            self._tool.paint_preview(p)
            p.resetTransform()

    # --- events -------------------------------------------------------------------------
    def event(self, event) -> bool:
        # Keys the tool uses right now (Delete for the selected hint, Esc to end a drag)
        # win over window-wide shortcuts bound to the same keys.
        if event.type() == QEvent.Type.ShortcutOverride and self._doc is not None:
            claims = getattr(self._tool, "claims_key", None)
            if claims is not None and claims(event.key(), event.modifiers()):
                event.accept()
                return True
        return super().event(event)

    def _image_pos(self, event) -> tuple[float, float]:
        p = self.map_to_image(event.position())
        return (p.x(), p.y())

    def _update_cursor(self) -> None:
        if self._pan_button is not None:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self._space:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.setCursor(Qt.CursorShape.CrossCursor)

    def _emit_cursor(self, pos: QPointF | None) -> None:
        pixel = None
        if pos is not None and self._doc is not None:
            p = self.map_to_image(pos)
            x, y = math.floor(p.x()), math.floor(p.y())
            if 0 <= x < self._doc.width and 0 <= y < self._doc.height:
                pixel = (x, y)
        if pixel != self._cursor_pixel:
            self._cursor_pixel = pixel
            self.cursorMoved.emit(pixel)

    def _wants_pan(self, button) -> bool:
        return button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space)

    def mousePressEvent(self, event) -> None:
        if self._pan_button is None and self._wants_pan(event.button()):
            self._pan_button = event.button()
            self._pan_last = event.position()
            self._tool.leave()
            self._update_cursor()
            return
        if self._pan_button is None and self._doc is not None:
            self._tool.press(self._image_pos(event), event.button(), event.modifiers())

    def mouseDoubleClickEvent(self, event) -> None:
        if self._pan_button is None and self._wants_pan(event.button()):
            self.mousePressEvent(event)
        elif self._pan_button is None and self._doc is not None:
            self._tool.double_click(self._image_pos(event), event.button(), event.modifiers())

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        self._emit_cursor(pos)
        if self._pan_button is not None:
            d = pos - self._pan_last
            self._pan_last = pos
            self.pan_by(d.x(), d.y())
            return
        if self._doc is not None and not self._space:
            self._tool.move(self._image_pos(event), event.buttons(), event.modifiers())

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_button is not None:
            if event.button() == self._pan_button:
                self._pan_button = None
                self._update_cursor()
            return
        if self._doc is not None:
            self._tool.release(self._image_pos(event), event.button(), event.modifiers())

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        wheel = getattr(self._tool, "wheel", None)  # the hint tool sizes its patch with it
        if delta.y() and self._doc is not None and wheel is not None \
                and self._pan_button is None and wheel(delta.y(), event.modifiers()):
            event.accept()
            return
        if delta.y():
            # angleDelta is in 1/8 degree; trackpads send many small deltas: zoom smoothly
            factor = WHEEL_NOTCH_ZOOM ** (delta.y() / 120.0)
            self.set_zoom(self._zoom * factor, event.position())
        elif delta.x():
            self.pan_by(delta.x() / 2.0, 0.0)
        event.accept()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space:
            if not event.isAutoRepeat() and not self._space:
                self._space = True
                self._tool.leave()
                self._update_cursor()
            event.accept()
        elif key == Qt.Key.Key_BracketLeft:
            self.shrink_brush()
        elif key == Qt.Key.Key_BracketRight:
            self.grow_brush()
        elif self._doc is not None and self._tool.key_press(key, event.modifiers()):
            event.accept()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._update_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        self._space = False
        self._update_cursor()
        super().focusOutEvent(event)

    def leaveEvent(self, event) -> None:
        self._tool.leave()
        self._emit_cursor(None)
        super().leaveEvent(event)

    def resizeEvent(self, event) -> None:
        if self._fit:
            self.fit_to_window()
        else:  # keep the view centre where it was
            d = event.size() - event.oldSize()
            if event.oldSize().isValid():
                self._origin += QPointF(d.width() / 2.0, d.height() / 2.0)
        super().resizeEvent(event)
