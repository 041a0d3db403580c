"""Shape tools: lasso, polygon lasso and rectangle. Each applies a closed polygon to the
mask with a selection mode read from the modifiers at the first press (see tools.mode_for)
and records the change as one undo command."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPolygonF

from inpaint_desktop.document import TileBackup
from inpaint_desktop.document.geometry import BBox
from inpaint_desktop.document.masking import (
    ADD,
    INTERSECT,
    REPLACE,
    SUBTRACT,
    fill_polygon,
    polygon_bbox,
)
from inpaint_desktop.document.patch import TILE

from .tools import LEFT, Pos, Tool, mode_for, outline_pens

CLOSE_DISTANCE = 6.0  # screen pixels: a polygon click this close to the first vertex closes it


def nonzero_tiles(mask: np.ndarray, tile: int = TILE) -> list[BBox]:
    """The TILE grid squares of `mask` that hold any non-zero pixel."""
    h, w = mask.shape
    rows = np.maximum.reduceat(mask, np.arange(0, h, tile), axis=0)
    grid = np.maximum.reduceat(rows, np.arange(0, w, tile), axis=1)
    return [(int(tx) * tile, int(ty) * tile, min((int(tx) + 1) * tile, w),
             min((int(ty) + 1) * tile, h)) for ty, tx in zip(*np.nonzero(grid), strict=True)]


class ShapeTool(Tool):
    """Base of lasso, polygon and rectangle: a closed shape applied with a selection mode."""

    antialias = True

    def _apply(self, points: list[Pos], mode: str) -> None:
        doc = self._doc()
        if doc is None or len(points) < 3:
            return
        mask = doc.mask
        box = polygon_bbox(points, doc.width, doc.height)
        if box is None and mode in (ADD, SUBTRACT):
            return  # entirely outside the image: nothing to add or take away
        # Save only the tiles that can change: under the shape, plus (for replace and
        # intersect, which clear everything outside it) the tiles holding mask pixels.
        backup = TileBackup(mask)
        if box is not None and mode != INTERSECT:
            backup.save(box)
        if mode in (REPLACE, INTERSECT):
            for t in nonzero_tiles(mask):
                backup.save(t)
        fill_polygon(mask, points, mode, antialias=self.antialias)
        self._push(doc, backup.patches(), self.label)

    def _update_points(self, points, extra: Pos | None = None) -> None:
        pts = list(points) + ([extra] if extra is not None else [])
        if pts:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            self.view.update_image_rect(QRectF(QPointF(min(xs), min(ys)),
                                               QPointF(max(xs), max(ys))))


class LassoTool(ShapeTool):
    """Freehand: drag a path; it closes and applies on release."""

    name = "lasso"
    label = "Lasso"

    def __init__(self, view):
        super().__init__(view)
        self._points: list[Pos] | None = None
        self._mode = REPLACE

    @property
    def active(self) -> bool:
        return self._points is not None

    def press(self, pos, button, modifiers) -> None:
        if button != LEFT or self._doc() is None or self.active:
            return
        self._mode = mode_for(modifiers)
        self._points = [pos]

    def move(self, pos, buttons, modifiers) -> None:
        if not self.active or not buttons & LEFT:
            return
        last = self._points[-1]
        if math.dist(last, pos) * self.view.zoom() < 1.0:
            return  # under a screen pixel away: adds nothing but work
        self._points.append(pos)
        first = self._points[0]
        # the new segment, and the closing line, which moved
        self._update_points([last, pos, first])

    def release(self, pos, button, modifiers) -> None:
        if button != LEFT or not self.active:
            return
        if pos != self._points[-1]:
            self._points.append(pos)
        points, self._points = self._points, None
        self._update_points(points)
        self._apply(points, self._mode)

    def cancel(self) -> None:
        if self.active:
            points, self._points = self._points, None
            self._update_points(points)

    def paint_preview(self, painter: QPainter) -> None:
        if not self.active or len(self._points) < 2:
            return
        poly = QPolygonF([QPointF(x, y) for x, y in self._points])
        for pen in outline_pens():
            painter.setPen(pen)
            painter.drawPolygon(poly)


class PolygonTool(ShapeTool):
    """Polygon lasso: click vertices; double-click, Enter or a click on the first vertex
    closes; Backspace removes the last vertex; Esc cancels."""

    name = "polygon"
    label = "Polygon lasso"

    def __init__(self, view):
        super().__init__(view)
        self._points: list[Pos] | None = None
        self._hover: Pos | None = None
        self._mode = REPLACE

    @property
    def active(self) -> bool:
        return self._points is not None

    @property
    def points(self) -> list[Pos]:
        return list(self._points or [])

    def press(self, pos, button, modifiers) -> None:
        if button != LEFT or self._doc() is None:
            return
        if not self.active:
            self._mode = mode_for(modifiers)
            self._points = [pos]
        elif len(self._points) >= 3 and self._near_first(pos):
            self.close()
            return
        else:
            self._points.append(pos)
        self._hover = pos
        self._update_points(self._points[-2:])

    def double_click(self, pos, button, modifiers) -> None:
        # Qt sends press, release, double-click, release: the press added the vertex.
        if button == LEFT and self.active and len(self._points) >= 3:
            self.close()
        elif not self.active:
            self.press(pos, button, modifiers)

    def move(self, pos, buttons, modifiers) -> None:
        if not self.active:
            return
        old, self._hover = self._hover, pos
        ends = [self._points[-1], self._points[0]]  # the rubber band runs last -> cursor -> first
        if old is not None:
            self._update_points(ends, old)
        self._update_points(ends, pos)

    def key_press(self, key, modifiers) -> bool:
        if not self.active:
            return False
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if len(self._points) >= 3:
                self.close()
            return True
        if key == Qt.Key.Key_Backspace:
            self._update_points(self._points, self._hover)
            self._points.pop()
            if not self._points:
                self._points = None
            return True
        return super().key_press(key, modifiers)

    def close(self) -> None:
        """Close the polygon and apply it to the mask."""
        if not self.active:
            return
        points = self._points
        self.cancel()
        self._apply(points, self._mode)

    def cancel(self) -> None:
        if self.active:
            self._update_points(self._points, self._hover)
            self._points, self._hover = None, None

    def _near_first(self, pos: Pos) -> bool:
        return math.dist(pos, self._points[0]) * self.view.zoom() <= CLOSE_DISTANCE

    def paint_preview(self, painter: QPainter) -> None:
        if not self.active:
            return
        pts = self._points + ([self._hover] if self._hover is not None else [])
        poly = QPolygonF([QPointF(x, y) for x, y in pts])
        for pen in outline_pens():
            painter.setPen(pen)
            if len(pts) >= 3:
                painter.drawPolygon(poly)
            else:
                painter.drawPolyline(poly)
        # the first vertex as a small square: clicking it closes the polygon
        s = CLOSE_DISTANCE / self.view.zoom()
        x0, y0 = self._points[0]
        painter.drawRect(QRectF(x0 - s / 2, y0 - s / 2, s, s))


class RectangleTool(ShapeTool):
    """Drag a rectangle (whole pixels)."""

    name = "rectangle"
    label = "Rectangle"
    antialias = False  # edges on whole pixels

    def __init__(self, view):
        super().__init__(view)
        self._start: Pos | None = None
        self._end: Pos | None = None
        self._mode = REPLACE

    @property
    def active(self) -> bool:
        return self._start is not None

    def press(self, pos, button, modifiers) -> None:
        if button != LEFT or self._doc() is None or self.active:
            return
        self._mode = mode_for(modifiers)
        self._start = self._end = pos

    def move(self, pos, buttons, modifiers) -> None:
        if not self.active or not buttons & LEFT:
            return
        self._update_rect()
        self._end = pos
        self._update_rect()

    def release(self, pos, button, modifiers) -> None:
        if button != LEFT or not self.active:
            return
        self._end = pos
        x0, y0, x1, y1 = self.rect()
        self.cancel()
        if x1 - x0 >= 1 and y1 - y0 >= 1:
            # fill_polygon (OpenCV, no antialiasing) fills pixel columns x0..x1-1 for
            # right-edge coordinates from x1 - 1 to x1 - 1/16: stay in the middle.
            d = 0.25
            self._apply([(x0, y0), (x1 - d, y0), (x1 - d, y1 - d), (x0, y1 - d)], self._mode)

    def rect(self) -> tuple[int, int, int, int]:
        """The dragged rectangle on whole pixel edges (x0, y0, x1, y1)."""
        (ax, ay), (bx, by) = self._start, self._end
        return (round(min(ax, bx)), round(min(ay, by)), round(max(ax, bx)), round(max(ay, by)))

    def cancel(self) -> None:
        if self.active:
            self._update_rect()
            self._start = self._end = None

    def _update_rect(self) -> None:
        x0, y0, x1, y1 = self.rect()
        self.view.update_image_outline(QRectF(x0, y0, x1 - x0, y1 - y0))

    def paint_preview(self, painter: QPainter) -> None:
        if not self.active:
            return
        x0, y0, x1, y1 = self.rect()
        for pen in outline_pens():
            painter.setPen(pen)
            painter.drawRect(QRectF(x0, y0, x1 - x0, y1 - y0))
