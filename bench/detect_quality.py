"""Damage detection on the val photos: each detector against the synthetic damage's truth.

    .venv/bin/python bench/detect_quality.py [--models median,damage-detector] [--speed]

Each val photo (long side 1024, as the detector was trained) gets one damaged copy per kind
of damage (trainer/damage.py: scratches, dust, hairs, cracks, tears, stains, holes) and one
with a random mix, seeded so every run sees the same pictures. For each detector at the
default sensitivity: pixel F1 and IoU per kind (pooled over photos), and the share of pixels
flagged on clean copies that only got the toning, grain and JPEG (false alarms: lower is
better). `--speed`: seconds to detect on a 24 MP photo (6000 x 4000), each detector in the
same run. Writes bench/out/detect_quality.json and bench/out/detect_sheet.png (damaged /
found by each detector / truth, on a few photos).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load_rgb, photos, save_png, sheet, write_json  # noqa: E402

SIDE = 1024
SEED = 7


def _shrink(rgb: np.ndarray, side: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    s = side / max(h, w)
    if s >= 1:
        return rgb
    return cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def cases(paths):
    """(photo index, kind, damaged, truth) for every photo and kind, plus clean copies."""
    from trainer import damage as dmg

    for i, path in enumerate(paths):
        rgb = _shrink(load_rgb(path), SIDE)
        for k, kind in enumerate((*dmg.KINDS, "mix", "clean")):
            rng = np.random.default_rng([SEED, i, k])
            kinds = {"mix": None, "clean": ()}.get(kind, (kind,))
            if kind == "mix":
                kinds = tuple(x for x in dmg.KINDS if rng.random() < dmg.KIND_CHANCE[x]) \
                    or ("scratches",)
            damaged, truth = dmg.damage(rgb, rng, kinds)
            yield i, kind, damaged, truth > 127


def main() -> None:
    import models
    from models.engine import damage_mask

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", help="comma-separated detectors (default: all registered)")
    parser.add_argument("--limit", type=int, help="only the first N val photos")
    parser.add_argument("--speed", action="store_true", help="also time a 24 MP photo")
    args = parser.parse_args()
    names = args.models.split(",") if args.models else [i.name for i in models.detectors()]
    detectors = {n: models.get_detector(n, device="cpu") for n in names}
    paths = photos(limit=args.limit)
    counts = {n: {} for n in names}  # name -> kind -> [tp, fp, fn, flagged, pixels]
    rows = []
    for i, kind, damaged, truth in cases(paths):
        row = [damaged]
        for name, det in detectors.items():
            found = damage_mask(det.detect(damaged)) > 0
            c = counts[name].setdefault(kind, [0, 0, 0, 0, 0])
            c[0] += int((found & truth).sum())
            c[1] += int((found & ~truth).sum())
            c[2] += int((~found & truth).sum())
            c[3] += int(found.sum())
            c[4] += found.size
            if kind == "mix" and i < 4:
                shown = damaged.copy()
                shown[found] = (255, 0, 200)
                row.append(shown)
        if kind == "mix" and i < 4:
            truth_view = damaged.copy()
            truth_view[truth] = (255, 0, 200)
            rows.append(row + [truth_view])
    report = {"photos": len(paths), "side": SIDE, "seed": SEED, "sensitivity": 0.5,
              "detectors": {}}
    print(f"{len(paths)} val photos at {SIDE} px, sensitivity 0.5; F1 / IoU per kind, "
          "false alarms = share of pixels flagged on clean copies")
    for name in names:
        per = {}
        for kind, (tp, fp, fn, flagged, pixels) in counts[name].items():
            if kind == "clean":
                per[kind] = {"false_alarm": round(flagged / max(pixels, 1), 5)}
            else:
                per[kind] = {"f1": round(2 * tp / max(2 * tp + fp + fn, 1), 3),
                             "iou": round(tp / max(tp + fp + fn, 1), 3)}
        report["detectors"][name] = per
        kinds = [k for k in per if k != "clean"]
        text = "  ".join(f"{k} {per[k]['f1']:.3f}/{per[k]['iou']:.3f}" for k in kinds)
        print(f"{name:18s} {text}  false alarms {per['clean']['false_alarm']:.4f}")
    if args.speed:
        rng = np.random.default_rng(0)
        big = (rng.integers(0, 255, (4000, 6000, 3))).astype(np.uint8)
        for name, det in detectors.items():
            det.detect(big[:512, :512])  # warm up
            t = time.perf_counter()
            det.detect(big)
            seconds = round(time.perf_counter() - t, 2)
            report["detectors"][name]["seconds_24mp"] = seconds
            print(f"{name:18s} 24 MP: {seconds} s")
    write_json("detect_quality", report)
    if rows:
        print("sheet:", save_png("detect_sheet.png", sheet(rows, height=200)))


if __name__ == "__main__":
    main()
