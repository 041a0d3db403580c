"""The Colour Hint tool and the hint markers.

Hints live in the document (doc.hints, image pixel coordinates with a pixel's centre at
whole numbers, as in the hints JSON); the tool places them on whole pixels. The view keeps
the current hint colour and the selected hint (see CanvasView.set_hint_color and
select_hint); this tool turns mouse and keys into hint edits, each ONE undo step:

- click on the image: add a hint of the current colour there, and select it;
- click on a marker: select it; drag it: move it (live, one undo step on release; Esc
  cancels the drag);
- Delete / Backspace: remove the selected hint; right-click on a marker: remove it;
- double-click on a marker: pick its colour in a dialog (pick_color);
- Ctrl+click or Alt+click: eyedropper, the current colour becomes the picture's pixel under
  the cursor (which recolours the selected hint, as every change of the current colour does);
- mouse wheel: the patch size of new hints, and of the selected hint (one undo step for a run
  of notches); Ctrl+wheel zooms as the wheel does with the other tools;
- Esc: drop the selection.

Markers keep their screen size at every zoom: a filled circle of the hint's colour inside a
white and a black ring, so that it shows on any photo; the selected one has a wider ring.
Under it a square outline shows the hint's patch (its size in image pixels, so it scales
with the zoom; a patch smaller than the marker lies hidden under it); while no button is
held the same square follows the cursor on top of everything, the patch a click would place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QColorDialog

from inpaint_desktop.document.hint_edits import add_hint, move_hint, remove_hint

from .tools import CTRL, LEFT, SUBTRACT_KEYS, Pos, Tool, outline_pens

RIGHT = Qt.MouseButton.RightButton
PICK_KEYS = SUBTRACT_KEYS  # Ctrl or Alt: Alt alone never arrives where Alt+drag moves windows

MARKER_RADIUS = 6.0  # screen pixels: the coloured disc (12 px across at every zoom)
SELECTED_RADIUS = 11.5  # the selection ring around the selected marker
MARKER_EXTENT = 15  # screen pixels from a marker's centre that its drawing may reach
HIT_RADIUS = 9.0  # a click this close to a marker's centre (screen pixels) is on it
DRAG_THRESHOLD = 3.0  # screen pixels the mouse must move before a press becomes a drag
DIM_OPACITY = 0.55  # markers while another tool is active
WHEEL_NOTCH = 120  # angleDelta of one wheel notch; trackpads send fractions of it


def rgb_of(color: QColor) -> tuple[int, int, int]:
    return color.red(), color.green(), color.blue()


def marker_centre(view, pos: Pos) -> QPointF:
    """Widget position of the marker of a hint at `pos` (pixel centres at whole numbers)."""
    return view.map_from_image(QPointF(pos[0] + 0.5, pos[1] + 0.5))


def marker_rect(view, pos: Pos, patch: float = 0.0) -> QRect:
    """The widget rectangle a marker at hint position `pos` may paint, with the outline of
    a `patch` pixels wide square."""
    c = marker_centre(view, pos)
    e = max(MARKER_EXTENT, patch * view.zoom() / 2.0 + 3)
    return QRectF(c.x() - e, c.y() - e, 2 * e, 2 * e).toAlignedRect()


def patch_rect(pos: Pos, patch: float) -> QRectF:
    """The patch square of a hint at `pos`, in image coordinates (centred on the pixel)."""
    r = patch / 2.0
    return QRectF(pos[0] + 0.5 - r, pos[1] + 0.5 - r, patch, patch)


def draw_patch(painter: QPainter, square: QRectF) -> None:
    """A square outline (white under black dashes, one screen pixel wide)."""
    under, over = outline_pens()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # crisp, as the cursor's
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for pen in (under, over):
        painter.setPen(pen)
        painter.drawRect(square)
    painter.restore()


def _ring(painter: QPainter, centre: QPointF, radius: float, color: QColor,
          width: float) -> None:
    pen = QPen(color, width)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(centre, radius, radius)


def draw_marker(painter: QPainter, centre: QPointF, color: QColor, selected: bool,
                square: QRectF | None = None) -> None:
    """One marker, in widget coordinates (the painter has no transform); `square`: the
    outline of its patch."""
    black, white = QColor(0, 0, 0), QColor(255, 255, 255)
    if square is not None:
        draw_patch(painter, square)
    if selected:
        _ring(painter, centre, SELECTED_RADIUS + 1.5, black, 1.5)
        _ring(painter, centre, SELECTED_RADIUS, white, 2.0)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(centre, MARKER_RADIUS, MARKER_RADIUS)
    _ring(painter, centre, MARKER_RADIUS + 0.75, white, 1.5)
    _ring(painter, centre, MARKER_RADIUS + 2.25, black, 1.5)


def paint_markers(painter: QPainter, view, exposed: QRect) -> None:
    """Draw the markers of the view's document that reach into widget rect `exposed`."""
    doc = view.document()
    if doc is None or not doc.hints:
        return
    selected = view.selected_hint()
    preview = view.hint_preview()  # (index, position) of a marker being dragged
    order = [i for i in range(len(doc.hints)) if i != selected]
    if selected is not None and selected < len(doc.hints):
        order.append(selected)  # on top of the others
    painter.save()
    painter.resetTransform()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if view.tool_name() != HintTool.name:
        painter.setOpacity(DIM_OPACITY)
    transform = view.image_transform()
    for i in order:
        hint = doc.hints[i]
        pos = preview[1] if preview is not None and preview[0] == i else (hint.x, hint.y)
        patch = view.patch_size(hint.size)
        if not marker_rect(view, pos, patch).intersects(exposed):
            continue
        square = transform.mapRect(patch_rect(pos, patch))
        draw_marker(painter, marker_centre(view, pos), QColor(*hint.rgb), i == selected,
                    square)
    painter.restore()


@dataclass
class _Drag:
    index: int
    start: Pos  # the hint's position at the press
    press: Pos  # where the mouse was pressed (image coordinates)
    pos: Pos  # where the hint would go now
    moved: bool = False  # past the drag threshold


class HintTool(Tool):
    name = "hint"
    label = "Colour &hint"

    def __init__(self, view):
        super().__init__(view)
        self._drag: _Drag | None = None
        self._hover: tuple[int, int] | None = None  # the pixel a click would place a hint on
        self._wheel = 0  # wheel delta not yet a whole notch

    @property
    def active(self) -> bool:
        return self._drag is not None

    # --- queries ----------------------------------------------------------------------
    def hint_at(self, pos: Pos) -> int | None:
        """The index of the marker under image point `pos` (the nearest; the selected one
        wins a tie, as it is drawn on top), or None."""
        doc = self._doc()
        if doc is None:
            return None
        zoom, selected = self.view.zoom(), self.view.selected_hint()
        hits = []
        for i, h in enumerate(doc.hints):
            d = math.dist(pos, (h.x + 0.5, h.y + 0.5)) * zoom
            if d <= HIT_RADIUS:  # nearest first; on a tie the selected, then the topmost
                hits.append((d, i != selected, -i, i))
        return min(hits)[-1] if hits else None

    def _pixel(self, pos: Pos) -> tuple[int, int] | None:
        doc = self._doc()
        x, y = math.floor(pos[0]), math.floor(pos[1])
        if doc is None or not (0 <= x < doc.width and 0 <= y < doc.height):
            return None
        return x, y

    def pick_color(self, initial: QColor) -> QColor | None:
        """Ask the user for a colour (None: cancelled). Tests replace this."""
        color = QColorDialog.getColor(initial, self.view, "Colour hint")
        return color if color.isValid() else None

    # --- mouse ------------------------------------------------------------------------
    def press(self, pos, button, modifiers) -> None:
        doc = self._doc()
        if doc is None or self.active:
            return
        if button == LEFT and modifiers & PICK_KEYS:
            self._eyedropper(pos)
            return
        index = self.hint_at(pos)
        if button == RIGHT:
            if index is not None:
                self.view.apply_edit(remove_hint(doc, index))
            return
        if button != LEFT:
            return
        if index is not None:
            self.view.select_hint(index)
            hint = doc.hints[index]
            start = (hint.x, hint.y)
            self._drag = _Drag(index, start, pos, start)
            self._set_hover(None)
            return
        pixel = self._pixel(pos)
        if pixel is None:
            return  # outside the image
        self._set_hover(None)
        if self.view.apply_edit(add_hint(doc, *pixel, rgb_of(self.view.hint_color()),
                                         self.view.hint_size())):
            self.view.select_hint(len(doc.hints) - 1)
            self.view.hint_clicked(len(doc.hints) - 1)

    def move(self, pos, buttons, modifiers) -> None:
        d = self._drag
        if d is None and not buttons:
            self._set_hover(None if self.hint_at(pos) is not None else self._pixel(pos))
        if d is None or not buttons & LEFT:
            return
        zoom = self.view.zoom()
        if not d.moved and math.dist(pos, d.press) * zoom < DRAG_THRESHOLD:
            return
        d.moved = True
        doc = self._doc()
        # keep the grab offset; whole pixels; never off the image
        x = min(doc.width - 1, max(0, math.floor(d.start[0] + pos[0] - d.press[0] + 0.5)))
        y = min(doc.height - 1, max(0, math.floor(d.start[1] + pos[1] - d.press[1] + 0.5)))
        if (x, y) != d.pos:
            d.pos = (float(x), float(y))
            self.view.preview_hint_move(d.index, d.pos)

    def release(self, pos, button, modifiers) -> None:
        if button != LEFT or self._drag is None:
            return
        self.move(pos, LEFT, modifiers)
        d, self._drag = self._drag, None
        self.view.preview_hint_move(None)
        doc = self._doc()
        if d.moved and doc is not None and d.index < len(doc.hints):
            self.view.apply_edit(move_hint(doc, d.index, *d.pos))
        if doc is not None and d.index < len(doc.hints):
            self.view.hint_clicked(d.index)  # selected, or moved to another pixel

    def double_click(self, pos, button, modifiers) -> None:
        # Qt sends press, release, double-click, release: the first press already added
        # or selected the marker under the cursor.
        if button != LEFT or modifiers & PICK_KEYS:
            self.press(pos, button, modifiers)
            return
        doc = self._doc()
        index = self.hint_at(pos)
        if doc is None or index is None or self.active:
            return
        self.view.select_hint(index)
        color = self.pick_color(QColor(*doc.hints[index].rgb))
        if color is not None and color.isValid() and self.view.selected_hint() == index:
            self.view.set_hint_color(color)  # recolours the selected hint

    def _eyedropper(self, pos: Pos) -> None:
        pixel = self._pixel(pos)
        if pixel is None:
            return
        x, y = pixel
        r, g, b = (int(c) for c in self._doc().composite((x, y, x + 1, y + 1))[0, 0])
        self.view.set_hint_color(QColor(r, g, b))

    # --- keys and state ---------------------------------------------------------------
    def claims_key(self, key, modifiers) -> bool:
        """Keys this tool uses now, even if the window binds them to shortcuts."""
        if key == Qt.Key.Key_Escape:
            return self.active or self.view.selected_hint() is not None
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            return self.view.selected_hint() is not None
        return False

    def key_press(self, key, modifiers) -> bool:
        if key == Qt.Key.Key_Escape:
            if self.active:
                self.cancel()
            elif self.view.selected_hint() is not None:
                self.view.select_hint(None)
            else:
                return False
            return True
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not self.active:
            doc, index = self._doc(), self.view.selected_hint()
            if doc is not None and index is not None:
                self.view.apply_edit(remove_hint(doc, index))
                return True
        return False

    def wheel(self, delta: int, modifiers) -> bool:
        """The wheel sizes the patch (True: used); Ctrl+wheel is left to the view's zoom."""
        if modifiers & CTRL:
            return False
        self._wheel += delta
        steps = int(self._wheel / WHEEL_NOTCH)  # towards zero: a fraction waits for more
        self._wheel -= steps * WHEEL_NOTCH
        if steps:
            old = self._hover_rect()
            self.view.step_hint_size(steps)
            self._update_hover(old)
        return True

    # --- the patch square under the cursor ----------------------------------------------
    def _hover_rect(self) -> QRectF | None:
        if self._hover is None:
            return None
        return patch_rect(self._hover, self.view.hint_patch())

    def _update_hover(self, old: QRectF | None) -> None:
        for r in (old, self._hover_rect()):
            if r is not None:
                self.view.update_image_outline(r)

    def _set_hover(self, pixel: tuple[int, int] | None) -> None:
        if pixel == self._hover:
            return
        old = self._hover_rect()
        self._hover = pixel
        self._update_hover(old)

    def paint_preview(self, painter: QPainter) -> None:
        rect = self._hover_rect()
        if rect is not None and not self.active:
            draw_patch(painter, rect)  # cosmetic pens: one screen pixel in image coordinates

    def leave(self) -> None:
        self._set_hover(None)

    def cancel(self) -> None:
        if self._drag is not None:
            self._drag = None
            self.view.preview_hint_move(None)

    def finish(self) -> None:
        """Another tool or document: drop the drag and the selection (so that the colour
        button no longer recolours a hint the user does not see selected)."""
        self.cancel()
        self.view.select_hint(None)
