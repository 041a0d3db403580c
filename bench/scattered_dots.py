"""Erase of hundreds of scattered dots on a 12-megapixel photo (issue 16, item 7).

    nice -n 10 .venv/bin/python bench/scattered_dots.py [--dots 300] [--engine NAME] [--runs 1]

`--one-crop-per-region` restores the behaviour before shared crops (one model call per
region), so before and after can be timed under the same load. A val photo upscaled to
4240x2832 (12.0 MP), `--dots` dust-sized dots (radius 3-6 px, fixed seed) spread over the
whole photo, crop strategy (the default), the default inpainter unless `--engine`. Prints
the wall-clock seconds of `engine.inpaint(...)` (no file I/O), the number of mask regions
and the number of model calls (`_predict`), and writes bench/out/scattered_dots.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

import models  # noqa: E402
from models import hd  # noqa: E402

PHOTO = "pypi_sporco_kodim23.jpg"
SIZE = (4240, 2832)


def dots_mask(width: int, height: int, count: int, seed: int = 16) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = np.zeros((height, width), np.uint8)
    for _ in range(count):
        x, y = int(rng.integers(8, width - 8)), int(rng.integers(8, height - 8))
        cv2.circle(mask, (x, y), int(rng.integers(3, 7)), 255, -1)
    return mask


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dots", type=int, default=300)
    parser.add_argument("--engine", help="inpainter (default: the registry's default)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--label", default="", help="a tag stored with the result")
    parser.add_argument("--one-crop-per-region", action="store_true",
                        help="the behaviour before shared crops, for a before/after in one run")
    args = parser.parse_args(argv)
    if args.one_crop_per_region:
        hd.group_regions = lambda regions, margin, max_side, w, h, **kw: [
            (reg, hd.grow_box(reg.box, margin, w, h)) for reg in regions]

    truth = common.load_rgb(common.VAL / PHOTO)
    image = cv2.resize(truth, SIZE, interpolation=cv2.INTER_CUBIC)
    mask = dots_mask(*SIZE, args.dots)
    engine = models.get_inpainter(args.engine)
    calls = [0]
    predict = engine._predict

    def counted(img, hole):
        calls[0] += 1
        return predict(img, hole)

    engine._predict = counted
    regions = len(hd.find_regions(mask).regions)
    times = []
    for _ in range(args.runs):
        calls[0] = 0
        start = time.perf_counter()
        result = engine.inpaint(image, mask)
        times.append(time.perf_counter() - start)
    assert np.array_equal(result[mask == 0], image[mask == 0])
    seconds = statistics.median(times)
    print(f"{engine.name}: {args.dots} dots on {SIZE[0]}x{SIZE[1]}, {regions} regions, "
          f"{calls[0]} model calls, {seconds:.2f} s (median of {args.runs})")
    common.write_json("scattered_dots.json", {
        "engine": engine.name, "dots": args.dots, "size": SIZE, "regions": regions,
        "model_calls": calls[0], "seconds": seconds, "times": times, "label": args.label})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
