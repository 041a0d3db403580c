"""Editor start-up and file-open times.

    .venv/bin/python bench/editor_bench.py [--runs 5]

- launch: from starting `python -m inpaint_desktop` to the main window shown with the
  event loop running (target 2 s); torch must stay out of start-up.
- open: decoding a 24 MP (6000 x 4000) JPEG with load_image, and opening it in the window
  (decode + document + canvas backing images + fit), medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthetic_photo(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth gradient with noise and shapes: compresses like a photo, not like noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([x / width * 255, y / height * 255, (x + y) / (width + height) * 255], -1)
    img += rng.normal(0, 8, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def bench_launch(runs: int) -> list[float]:
    env = dict(os.environ, INPAINT_DESKTOP_EXIT_WHEN_SHOWN="1")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "inpaint_desktop"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
        if "shown" not in out.stdout:
            raise SystemExit(f"the app did not start: {out.stderr.strip()[-500:]}")
        times.append(time.perf_counter() - t0)
    return times


def torch_imported_at_startup() -> bool:
    code = ("import sys; from inpaint_desktop.widgets.main_window import MainWindow; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    return out.stdout.strip() == "True"


def bench_open(runs: int) -> tuple[list[float], list[float]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from inpaint_desktop.document.image_io import load_image
    from inpaint_desktop.widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "photo24mp.jpg")
        Image.fromarray(synthetic_photo(6000, 4000)).save(path, quality=92)
        decode = []
        for _ in range(runs):
            t0 = time.perf_counter()
            load_image(path)
            decode.append(time.perf_counter() - t0)
        window = MainWindow()
        window.resize(1400, 900)
        window.show()
        app.processEvents()
        full = []
        for _ in range(runs):
            window.set_document(None)
            app.processEvents()
            t0 = time.perf_counter()
            window.open_path(path)
            window.canvas.repaint()
            full.append(time.perf_counter() - t0)
        window.undo_stack.setClean()
        window.close()
    return decode, full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    launch = bench_launch(args.runs)
    torch_loaded = torch_imported_at_startup()
    decode, full = bench_open(max(3, args.runs // 2 + 1))
    med = statistics.median
    print(f"{'measure':44s} {'median':>9s} {'min':>9s}  target")
    print(f"{'launch to shown window':44s} {med(launch):8.2f}s {min(launch):8.2f}s  <= 2 s")
    print(f"{'torch imported by the main window':44s} {str(torch_loaded):>9s}")
    print(f"{'decode 24 MP JPEG (load_image)':44s} {med(decode):8.2f}s {min(decode):8.2f}s")
    print(f"{'open 24 MP JPEG in the window (to painted)':44s} {med(full):8.2f}s "
          f"{min(full):8.2f}s")


if __name__ == "__main__":
    main()
