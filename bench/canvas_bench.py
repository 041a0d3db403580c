"""Canvas benchmark: brush latency, pan frame time and undo memory on a 24 MP photo.

Run: .venv/bin/python bench/canvas_bench.py [--width 6000 --height 4000 --strokes 50]

A 6000 x 4000 synthetic photo is shown in a 1400 x 900 CanvasView (offscreen). Brush
strokes (60 px, hardness 0.5) go through the real path: a QMouseEvent is sent to the
view, the brush tool paints one segment, the document notifies, the view refreshes
its backing images in the dirty rectangle and repaints. Two repaint flavours are timed
for every segment:
  dirty   the widget's pending update region only (QApplication.processEvents), which
          is what a running application does;
  full    view.repaint(): the whole 1400 x 900 widget, synchronously (an upper bound).
Targets: one segment <= 8 ms (median and p95); undo memory after the strokes < 100 MB.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtCore import QEvent, QObject, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent, QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from inpaint_desktop.canvas import CanvasView  # noqa: E402
from inpaint_desktop.document import Document  # noqa: E402

SEGMENT_TARGET_MS = 8.0
UNDO_TARGET_MB = 100.0
PAN_TARGET_MS = 16.7  # 60 frames per second
MOVES_PER_STROKE = 40
LEFT = Qt.MouseButton.LeftButton


def synthetic_photo(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth, photo-like RGB image: upscaled random colour field plus fine grain."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(2, height // 100), max(2, width // 100), 3), np.uint8)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    grain = rng.integers(-8, 9, (height, width // 4, 1), np.int16)
    image[:, : width // 4] = np.clip(image[:, : width // 4] + grain, 0, 255).astype(np.uint8)
    return image


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PaintCounter(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0
        self.area = 0

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            r = event.region().boundingRect()
            self.count += 1
            self.area += r.width() * r.height()
        return False


def send(view: CanvasView, etype, pos: QPointF, button, buttons) -> None:
    event = QMouseEvent(etype, pos, QPointF(view.mapToGlobal(pos)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view, event)


def stroke(view: CanvasView, start: QPointF, step: QPointF, full_repaint: bool,
           times: list[float]) -> None:
    """One brush stroke of MOVES_PER_STROKE mouse moves; time each segment + repaint."""
    app = QApplication.instance()
    send(view, QEvent.Type.MouseButtonPress, start, LEFT, LEFT)
    app.processEvents()
    pos = QPointF(start)
    for _ in range(MOVES_PER_STROKE):
        pos = pos + step
        t0 = time.perf_counter()
        send(view, QEvent.Type.MouseMove, pos, Qt.MouseButton.NoButton, LEFT)
        if full_repaint:
            view.repaint()
        else:
            app.processEvents()
        times.append((time.perf_counter() - t0) * 1000)
    send(view, QEvent.Type.MouseButtonRelease, pos, LEFT, Qt.MouseButton.NoButton)
    app.processEvents()


def stats(times: list[float]) -> tuple[float, float]:
    return float(np.median(times)), float(np.percentile(times, 95))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=6000)
    ap.add_argument("--height", type=int, default=4000)
    ap.add_argument("--strokes", type=int, default=50, help="strokes in total (even)")
    args = ap.parse_args()

    app = QApplication.instance() or QApplication([])
    photo = synthetic_photo(args.width, args.height)
    doc = Document.from_image(photo)
    del photo
    stack = QUndoStack()
    view = CanvasView()
    view.resize(1400, 900)
    rss0 = rss_mb()
    t0 = time.perf_counter()
    view.set_document(doc, stack)
    open_ms = (time.perf_counter() - t0) * 1000
    view.show()
    app.processEvents()
    backing_mb = view.backing().nbytes() / 2**20
    rss_open = rss_mb()
    view.set_brush_size(60)
    view.set_brush_hardness(0.5)
    counter = PaintCounter()
    view.installEventFilter(counter)

    def set_zoom(name: str) -> None:
        if name == "fit":
            view.fit_to_window()
        else:
            view.actual_size()
        app.processEvents()

    rows = []
    phases = [(z, f) for z in ("fit", "100 %") for f in ("dirty", "full")]
    per_phase = [args.strokes // 4 + (i < args.strokes % 4) for i in range(4)]
    rss_before_strokes = rss_mb()
    rng = np.random.default_rng(1)
    for (zoom_name, flavour), n_strokes in zip(phases, per_phase, strict=True):
        set_zoom(zoom_name)
        times: list[float] = []
        counter.count = counter.area = 0
        for _ in range(n_strokes):
            img = QPointF(rng.uniform(0.2, 0.7) * doc.width, rng.uniform(0.2, 0.8) * doc.height)
            start = view.map_from_image(img)
            if not view.rect().adjusted(0, 0, -200, -100).contains(start.toPoint()):
                start = QPointF(300 + rng.uniform(0, 600), 200 + rng.uniform(0, 500))
            stroke(view, start, QPointF(3, 1), flavour == "full", times)
        med, p95 = stats(times)
        area = counter.area / max(1, counter.count)
        rows.append((f"brush segment, {zoom_name} zoom ({view.zoom():.3f}), {flavour} repaint",
                     med, p95, SEGMENT_TARGET_MS, f"{area / 1000:.0f} kpx painted/frame"))

    undo_bytes = sum(stack.command(i).nbytes for i in range(stack.count()))
    rss_growth = rss_mb() - rss_before_strokes

    def pan_frames(n=40) -> tuple[float, float]:
        """Shift the view 3 px and repaint the whole widget, n times."""
        times = []
        for i in range(n):
            t = time.perf_counter()
            view.pan_by(3 if i % 2 else -3, 0)
            view.repaint()
            times.append((time.perf_counter() - t) * 1000)
        return stats(times)

    for mask_name in ("stroke mask", "half masked"):
        if mask_name == "half masked":  # worst case for the overlay
            doc.mask[:, : doc.width // 2] = 255
            doc.notify(doc.bbox, mask=True)
        for zoom_name in ("fit", "100 %"):
            set_zoom(zoom_name)
            med, p95 = pan_frames()
            rows.append((f"pan frame (full repaint), {zoom_name}, {mask_name}", med, p95,
                         PAN_TARGET_MS, ""))

    print(f"canvas bench: {doc.width} x {doc.height} document, view 1400 x 900 offscreen, "
          f"brush 60 px hardness 0.5, {MOVES_PER_STROKE} moves of (3, 1) widget px per stroke")
    print(f"open document (backing + pyramid build): {open_ms:.0f} ms, "
          f"backing images {backing_mb:.0f} MB, RSS +{rss_open - rss0:.0f} MB")
    print()
    print(f"{'measurement':<58} {'median ms':>10} {'p95 ms':>8} {'target':>8}  ok")
    for name, med, p95, target, note in rows:
        ok = "yes" if p95 <= target else "NO"
        print(f"{name:<58} {med:>10.2f} {p95:>8.2f} {target:>8.1f}  {ok:<4}{note}")
    print()
    undo_mb = undo_bytes / 2**20
    print(f"undo memory after {stack.count()} strokes: {undo_mb:.1f} MB in the commands, "
          f"RSS growth {rss_growth:.1f} MB (target < {UNDO_TARGET_MB:.0f} MB): "
          f"{'yes' if max(undo_mb, rss_growth) < UNDO_TARGET_MB else 'NO'}")
    view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
