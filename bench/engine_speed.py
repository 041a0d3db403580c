"""Speed of Erase and Colorize on a 12-megapixel photo, through the engine interface.

    .venv/bin/python bench/engine_speed.py [--runs 5] [--engines NAME,...] [--colorizer NAME]

- Erase: a 400x400-pixel object-shaped mask in the middle of a val photo upscaled to
  4240x2832 (12.0 MP), with the default inpainter (or --engines), crop strategy (the
  default), median of --runs runs; next to it the same engine on the whole photo
  ("original" strategy) in the same run, and the ratio. Target: crop <= 1 s.
- Colorize: the same photo as a gray scan, 10 hints sampled from its true colours (fixed
  seed), the default colorizer, median of --runs runs. Target: <= 3 s.

Times are wall-clock seconds of `engine.inpaint(...)` / `colorizer.colorize(...)` (no file
I/O). Writes bench/out/engine_speed.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import masks  # noqa: E402

import models  # noqa: E402
from models.engine import InpaintOptions  # noqa: E402

PHOTO = "pypi_sporco_kodim23.jpg"
SIZE = (4240, 2832)
OBJECT = 400
TARGET_ERASE, TARGET_COLORIZE = 1.0, 3.0


def timed(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def object_mask(width: int, height: int) -> np.ndarray:
    """A 400x400 object-shaped blob (bench/masks.py) centred in a width x height mask."""
    blob = masks.object_blob(OBJECT, OBJECT, masks.rng_for("object", "speed"), size=0.9)
    x, y, w, h = cv2.boundingRect(blob)
    blob = cv2.resize(blob[y:y + h, x:x + w], (OBJECT, OBJECT), interpolation=cv2.INTER_NEAREST)
    mask = np.zeros((height, width), np.uint8)
    x0, y0 = (width - OBJECT) // 2, (height - OBJECT) // 2
    mask[y0:y0 + OBJECT, x0:x0 + OBJECT] = blob
    return mask


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engines", help="inpainters to time (default: the default one)")
    parser.add_argument("--colorizer", help="colorizer to time (default: the default one)")
    args = parser.parse_args(argv)

    truth = common.load_rgb(common.VAL / PHOTO)
    image = cv2.resize(truth, SIZE, interpolation=cv2.INTER_CUBIC)
    mask = object_mask(*SIZE)
    mx, my, mw, mh = cv2.boundingRect(mask)
    print(f"photo {PHOTO} upscaled to {SIZE[0]}x{SIZE[1]} ({SIZE[0] * SIZE[1] / 1e6:.1f} MP), "
          f"object mask {mw}x{mh} at ({mx}, {my}), {int((mask > 0).sum())} pixels; "
          f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
          f"OpenCV threads {cv2.getNumThreads()}\n")
    results = {"photo": PHOTO, "size": SIZE, "mask_box": [mx, my, mw, mh], "runs": args.runs,
               "erase": {}, "colorize": {}}

    names = args.engines.split(",") if args.engines else [models.default_inpainter()]
    print(f"{'erase':28s} {'median s':>9s} {'runs (s)':s}")
    for name in names:
        engine = models.get_inpainter(name, device="cpu")
        engine.inpaint(image, mask)  # warm-up (first-call allocations, lazy imports)
        crop, crop_runs = timed(lambda e=engine: e.inpaint(image, mask, InpaintOptions()),
                                args.runs)
        whole, whole_runs = timed(
            lambda e=engine: e.inpaint(image, mask, InpaintOptions(hd_strategy="original")),
            args.runs)
        ok = "ok" if crop <= TARGET_ERASE else f"MISSES the {TARGET_ERASE:g} s target"
        print(f"{name + ' (crop)':28s} {crop:9.3f} {fmt(crop_runs)}  {ok}")
        print(f"{name + ' (original)':28s} {whole:9.3f} {fmt(whole_runs)}")
        print(f"{'ratio original / crop':28s} {whole / crop:9.1f}x")
        results["erase"][name] = {"crop_median_s": crop, "crop_runs_s": crop_runs,
                                  "original_median_s": whole, "original_runs_s": whole_runs,
                                  "ratio": whole / crop, "target_s": TARGET_ERASE}

    gray = np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2)
    rng = np.random.default_rng(masks.SEED)
    xs, ys = rng.integers(0, SIZE[0], 10), rng.integers(0, SIZE[1], 10)
    hints = [(int(x), int(y), tuple(int(c) for c in image[y, x])) for x, y in zip(xs, ys,
                                                                               strict=True)]
    name = args.colorizer or models.default_colorizer()
    colorizer = models.get_colorizer(name, device="cpu")
    colorizer.colorize(gray, hints)  # warm-up
    median, runs = timed(lambda: colorizer.colorize(gray, hints), args.runs)
    ok = "ok" if median <= TARGET_COLORIZE else f"MISSES the {TARGET_COLORIZE:g} s target"
    print(f"\n{'colorize, 10 hints':28s} {'median s':>9s}")
    print(f"{name:28s} {median:9.3f} {fmt(runs)}  {ok}")
    results["colorize"][name] = {"median_s": median, "runs_s": runs, "hints": 10,
                                 "target_s": TARGET_COLORIZE}
    path = common.write_json("engine_speed.json", results)
    print(f"\nwrote {path}")
    return 0


def fmt(times: list[float]) -> str:
    return " ".join(f"{t:.3f}" for t in times)


if __name__ == "__main__":
    sys.exit(main())
