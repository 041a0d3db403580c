"""The view's backing images: the flattened document and the mask overlay, each with a
downscaled pyramid, updated only in the rectangles that a Change reports.

Why a pyramid: drawing a 24 MP photo at fit-to-window zoom straight from full
resolution with bilinear filtering aliases badly (bilinear looks at 4 source pixels per
screen pixel, however far apart). Level k is the image averaged over 2^k x 2^k blocks;
the view draws the level whose scale lies in (0.5, 1], so bilinear stays honest and a
full frame costs about the screen size, not the photo size (see bench/canvas_bench.py).

Formats, chosen by measurement on Qt's raster engine:
- image levels: Format_RGB32, the format Qt blits and scales fastest (RGB888 is 3-7x
  slower to draw scaled);
- overlay level 0: Format_Indexed8 holding the mask values, colour table = mask colour
  with alpha i * opacity, so a colour or opacity change rewrites 256 entries and a stroke
  copies its rectangle. It is drawn only at zoom >= 1 (nearest), where Indexed8 is fast;
- overlay levels >= 1: ARGB32_Premultiplied (Indexed8 with bilinear filtering is 5x
  slower), coloured through a 256-entry lookup table; opacity is the painter's.
The overlay is drawn only over the ANY_TILE squares that hold mask pixels, so a few
strokes cost a few squares, not the whole screen.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from inpaint_desktop.document import Document
from inpaint_desktop.document.compose import composite
from inpaint_desktop.document.geometry import BBox, clip, slices

MIN_LEVEL_SIZE = 256  # build pyramid levels until the image fits this size
MAX_LEVELS = 6
ANY_TILE = 64  # "mask has pixels here" grid; a multiple of 2**MAX_LEVELS, so overlay spans
# start and end on whole pixels of every pyramid level and their screen rectangles abut
MAX_SPANS = 48  # draw the overlay in at most this many pieces
STRIP_PIXELS = 1 << 22  # composite big rectangles in strips of about this many pixels


def array_view(image: QImage, channels: int) -> np.ndarray:
    """A writable numpy view (H x W [x channels] uint8) of a QImage's pixel buffer."""
    h, w, bpl = image.height(), image.width(), image.bytesPerLine()
    buf = np.frombuffer(image.bits(), np.uint8).reshape(h, bpl)
    if channels == 1:
        return buf[:, :w]
    return buf[:, : w * channels].reshape(h, w, channels)


def level_box(box: BBox, k: int) -> BBox:
    """The level-k pixels that level-0 rectangle `box` touches."""
    g = 1 << k
    return (box[0] // g, box[1] // g, -(-box[2] // g), -(-box[3] // g))


def _reduce(src: np.ndarray, dst: np.ndarray, box: BBox) -> BBox:
    """Average 2x2 blocks of `src` into `dst` (the next pyramid level) for the `dst`
    pixels that `src` rectangle `box` touches; an odd last row/column is replicated."""
    sh, sw = src.shape[:2]
    x0, y0, x1, y1 = level_box(box, 1)
    block = src[2 * y0:min(2 * y1, sh), 2 * x0:min(2 * x1, sw)]
    pad_y, pad_x = 2 * (y1 - y0) - block.shape[0], 2 * (x1 - x0) - block.shape[1]
    if pad_y or pad_x:
        block = cv2.copyMakeBorder(block, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
    dst[y0:y1, x0:x1] = cv2.resize(block, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    return (x0, y0, x1, y1)


def level_count(width: int, height: int) -> int:
    """Number of pyramid levels above level 0 (always at least one)."""
    n, size = 0, max(width, height)
    while n < MAX_LEVELS and (n == 0 or size > MIN_LEVEL_SIZE):
        n += 1
        size = (size + 1) // 2
    return n


class Backing:
    """Backing images of one document (no Qt widget involved, so it is easy to test)."""

    def __init__(self, doc: Document, color: QColor | None = None, opacity: float = 0.5):
        self.doc = doc
        self.width, self.height = doc.width, doc.height
        self.levels = level_count(self.width, self.height)
        self.images: list[QImage] = []
        self._rgb: list[np.ndarray] = []  # B, G, R, X byte views (RGB32, little-endian)
        self.overlays: list[QImage] = []
        self._mask: list[np.ndarray] = []  # mask values per level (level 0 = overlay buffer)
        self._argb: list[np.ndarray | None] = [None]  # uint32 views of the ARGB overlays
        for k in range(self.levels + 1):
            w, h = (self.width + (1 << k) - 1) >> k, (self.height + (1 << k) - 1) >> k
            img = QImage(w, h, QImage.Format.Format_RGB32)
            self.images.append(img)
            self._rgb.append(array_view(img, 4))
            if k == 0:
                ov = QImage(w, h, QImage.Format.Format_Indexed8)
                self._mask.append(array_view(ov, 1))
            else:
                ov = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
                self._mask.append(np.zeros((h, w), np.uint8))
                self._argb.append(array_view(ov, 4).view(np.uint32)[..., 0])
            self.overlays.append(ov)
        self._any = np.zeros((-(-self.height // ANY_TILE), -(-self.width // ANY_TILE)), bool)
        self._mask_bbox: BBox | None = None
        self._mask_bbox_valid = False
        self._lut = np.zeros(256, np.uint32)
        self.color = QColor(255, 0, 0)
        self.opacity = float(opacity)
        self.set_color(color or self.color, refresh=False)
        self.base_only = False  # "before" view: show only the bottom layer (the photo)
        self.update_image(doc.bbox)
        self.update_mask(doc.bbox)

    # --- updates --------------------------------------------------------------------
    def update_image(self, box: BBox) -> BBox | None:
        """Recomposite `box` of the document (only that) and refresh the pyramid above it."""
        box = clip(box, self.width, self.height)
        if box is None:
            return None
        x0, y0, x1, y1 = box
        rows = max(1, STRIP_PIXELS // (x1 - x0))
        dst = self._rgb[0]
        for sy in range(y0, y1, rows):
            strip = (x0, sy, x1, min(y1, sy + rows))
            rgb = composite(self.doc.layers[:1], strip) if self.base_only \
                else self.doc.composite(strip)
            dst[slices(strip)] = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGRA)
        b = box
        for k in range(1, self.levels + 1):
            b = _reduce(self._rgb[k - 1], self._rgb[k], b)
        return box

    def update_mask(self, box: BBox) -> BBox | None:
        """Copy `box` of the document mask and refresh the overlay pyramid above it."""
        box = clip(box, self.width, self.height)
        if box is None:
            return None
        s = slices(box)
        self._mask[0][s] = self.doc.mask[s]
        b = box
        for k in range(1, self.levels + 1):
            b = _reduce(self._mask[k - 1], self._mask[k], b)
            self._argb[k][slices(b)] = self._lut[self._mask[k][slices(b)]]
        self._update_any(box)
        return box

    def _update_any(self, box: BBox) -> None:
        t = ANY_TILE
        tx0, ty0, tx1, ty1 = box[0] // t, box[1] // t, -(-box[2] // t), -(-box[3] // t)
        region = self._mask[0][ty0 * t:min(ty1 * t, self.height), tx0 * t:min(tx1 * t, self.width)]
        rows = np.maximum.reduceat(region, np.arange(0, region.shape[0], t), axis=0)
        grid = np.maximum.reduceat(rows, np.arange(0, region.shape[1], t), axis=1)
        self._any[ty0:ty1, tx0:tx1] = grid > 0
        self._mask_bbox_valid = False

    def set_color(self, color: QColor, refresh: bool = True) -> None:
        """Overlay colour (its alpha is ignored: see set_opacity)."""
        self.color = QColor(color.red(), color.green(), color.blue())
        rgb = np.array([color.red(), color.green(), color.blue()], np.float64)
        i = np.arange(256, dtype=np.float64)
        r, g, b = (np.rint(c * i / 255.0).astype(np.uint32) for c in rgb)
        self._lut = (i.astype(np.uint32) << 24) | (r << 16) | (g << 8) | b
        self._set_table()
        if refresh:
            for k in range(1, self.levels + 1):
                np.take(self._lut, self._mask[k], out=self._argb[k])

    def set_opacity(self, opacity: float) -> None:
        self.opacity = min(1.0, max(0.0, float(opacity)))
        self._set_table()

    def _set_table(self) -> None:
        c = self.color
        table = [QColor(c.red(), c.green(), c.blue(), round(a * self.opacity)).rgba()
                 for a in range(256)]
        self.overlays[0].setColorTable(table)

    # --- queries --------------------------------------------------------------------
    def mask_bbox(self) -> BBox | None:
        """Bounding box (on ANY_TILE granularity) of the non-zero mask pixels."""
        if not self._mask_bbox_valid:
            ys = np.flatnonzero(self._any.any(axis=1))
            xs = np.flatnonzero(self._any.any(axis=0))
            t = ANY_TILE
            self._mask_bbox = None if not len(ys) else (
                int(xs[0]) * t, int(ys[0]) * t, min(int(xs[-1] + 1) * t, self.width),
                min(int(ys[-1] + 1) * t, self.height))
            self._mask_bbox_valid = True
        return self._mask_bbox

    def mask_spans(self, box: BBox) -> list[BBox]:
        """Rectangles covering every non-zero mask pixel of the ANY_TILE squares that
        `box` touches: runs of squares along a row, merged downwards when they line up.
        They depend on the squares only, not on `box`'s exact edges, so a partial
        repaint draws the overlay exactly as a full one does."""
        t = ANY_TILE
        tx0, ty0, tx1, ty1 = box[0] // t, box[1] // t, -(-box[2] // t), -(-box[3] // t)
        grid = self._any[ty0:ty1, tx0:tx1]
        open_spans: dict[tuple[int, int], list[int]] = {}  # (x0, x1) -> [y0, y1]
        spans: list[tuple[int, int, int, int]] = []
        for r in range(grid.shape[0]):
            row = np.concatenate(([False], grid[r], [False]))
            edges = np.flatnonzero(row[1:] != row[:-1])
            runs = set(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))
            for key in list(open_spans):
                if key not in runs:
                    y0, y1 = open_spans.pop(key)
                    spans.append((key[0], y0, key[1], y1))
            for key in runs:
                open_spans.setdefault(key, [r, r])[1] = r + 1
        spans += [(x0, y0, x1, y1) for (x0, x1), (y0, y1) in open_spans.items()]
        return [((tx0 + x0) * t, (ty0 + y0) * t, min((tx0 + x1) * t, self.width),
                 min((ty0 + y1) * t, self.height)) for x0, y0, x1, y1 in spans]

    def image_level(self, zoom: float) -> int:
        """The pyramid level to draw the image from at `zoom` (scale in (0.5, 1])."""
        if zoom >= 1.0:
            return 0
        return min(self.levels, int(math.floor(math.log2(1.0 / zoom) + 1e-9)))

    def overlay_level(self, zoom: float) -> int:
        return 0 if zoom >= 1.0 else max(1, self.image_level(zoom))

    def nbytes(self) -> int:
        imgs = self.images + self.overlays
        return sum(im.sizeInBytes() for im in imgs) + sum(m.nbytes for m in self._mask[1:])

    # --- drawing --------------------------------------------------------------------
    def draw(self, painter: QPainter, origin: QPointF, zoom: float, exposed: QRectF,
             overlay: bool = True) -> None:
        """Draw the part of the image (and overlay) that lies under widget rect `exposed`."""
        ox, oy = origin.x(), origin.y()
        box = clip((math.floor((exposed.left() - ox) / zoom),
                    math.floor((exposed.top() - oy) / zoom),
                    math.ceil((exposed.right() - ox) / zoom) + 1,
                    math.ceil((exposed.bottom() - oy) / zoom) + 1), self.width, self.height)
        if box is None:
            return
        painter.save()
        # the last pyramid pixel may reach past the image edge: clip to it (whole pixels)
        painter.setClipRect(QRect(round(ox), round(oy), round(ox + self.width * zoom) - round(ox),
                                  round(oy + self.height * zoom) - round(oy)),
                            Qt.ClipOperation.IntersectClip)
        k = self.image_level(zoom)
        # The whole level, clipped by the painter to the exposed area (that costs only the
        # exposed pixels): a partial repaint then samples exactly as a full one does.
        self._blit(painter, self.images[k], k, (0, 0, self.width, self.height), ox, oy, zoom)
        if overlay and self.opacity > 0 and self.mask_bbox() is not None:
            k = self.overlay_level(zoom)
            if k > 0:
                painter.setOpacity(self.opacity)  # level 0 has it in its colour table
            spans = self.mask_spans(box)
            if len(spans) > MAX_SPANS:  # each drawImage has a set-up cost: one is cheaper
                spans = [self.mask_bbox()]
            for span in spans:
                self._blit(painter, self.overlays[k], k, span, ox, oy, zoom)
        painter.restore()

    @staticmethod
    def _blit(painter: QPainter, image: QImage, k: int, box: BBox, ox: float, oy: float,
              zoom: float) -> None:
        """Draw the level-k pixels under image rectangle `box`, at their place on screen.
        `box` edges on multiples of 2^k (or the image edge) draw that exact rectangle, so
        pieces drawn side by side neither overlap nor leave gaps."""
        g = 1 << k
        lx0, ly0, lx1, ly1 = level_box(box, k)
        if lx1 <= lx0 or ly1 <= ly0:
            return
        # Crisp pixels from 100 % up; filtered (bilinear) when zoomed out.
        smooth = zoom < 1.0 and abs(zoom * g - 1.0) > 1e-9
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        target = QRectF(ox + lx0 * g * zoom, oy + ly0 * g * zoom,
                        (lx1 - lx0) * g * zoom, (ly1 - ly0) * g * zoom)
        painter.drawImage(target, image, QRectF(lx0, ly0, lx1 - lx0, ly1 - ly0))
