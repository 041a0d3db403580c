"""Object selection quality and speed: plain GrabCut (the baseline) against our selector.

    .venv/bin/python bench/select_quality.py [--count 60] [--photos DIR] [--seed 19]
                                             [--model grabcut] [--no-speed]

The pictures are composites with exact masks (trainer/composites.py): objects cut from the
val photos that have a plain background (a goldfish on black, coins on a dark cloth, a
dahlia against a blurred backdrop: the photos whose object/background split passes every
check there), pasted at random places and scales onto other val photos. Seeded: every run
sees the same pictures.

For each composite:

- from a box: the object's bounding box plus PAD px (clipped to the picture);
- from one click: the point deepest inside the object (the maximum of its distance
  transform).

Baseline (plain GrabCut): `cv2.grabCut(image, rect, 5 iterations)` and nothing else, on the
whole picture. It has no click mode; from a click it gets a box of half the picture's width
and height centred on the click (shifted inside), the naive default box.

Reported: mean IoU with the truth and the share of objects above 0.8 IoU, for both, from a
box and from a click, per object source too; the time from box to mask on a 24 MP photo
(a composite enlarged to 6000 x 4000, the box enlarged with it; our selector's median of 3
runs, plain GrabCut's one run), absolute and as a ratio. Writes bench/out/select_quality.json
and the contact sheet bench/out/select_sheet.png (per row: the picture with the box and the
click, the truth, plain GrabCut from the box, ours from the box, ours from the click).
`--photos ../shared/photos/train --seed 5` measures on composites of the training photos,
on which the selector's settings were chosen (the val composites stay the test).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import VAL, save_png, sheet, write_json  # noqa: E402

COUNT = 60
PAD = 5  # px around the object's bounding box: a user's box is a little loose
ITERATIONS = 5
SHEET_ROWS = 8
SPEED_SIZE = (6000, 4000)


def iou(mask: np.ndarray, truth: np.ndarray) -> float:
    a, b = mask > 127, truth > 127
    return float((a & b).sum() / max((a | b).sum(), 1))


def box_of(c) -> tuple[int, int, int, int]:
    h, w = c.mask.shape
    x0, y0, x1, y1 = c.box
    return max(0, x0 - PAD), max(0, y0 - PAD), min(w, x1 + PAD), min(h, y1 + PAD)


def click_of(c) -> tuple[int, int]:
    d = cv2.distanceTransform((c.mask > 0).astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(d)), d.shape)
    return int(x), int(y)


def plain_grabcut(image: np.ndarray, box) -> np.ndarray:
    """The baseline: cv2.grabCut from the rectangle, 5 iterations, nothing else."""
    x0, y0, x1, y1 = box
    labels = np.zeros(image.shape[:2], np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), labels, (x0, y0, x1 - x0, y1 - y0),
                bgd, fgd, ITERATIONS, cv2.GC_INIT_WITH_RECT)
    return np.where((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)


def plain_click_box(image: np.ndarray, click) -> tuple[int, int, int, int]:
    h, w = image.shape[:2]
    bw, bh = w // 2, h // 2
    x0 = min(max(0, click[0] - bw // 2), w - bw)
    y0 = min(max(0, click[1] - bh // 2), h - bh)
    return x0, y0, x0 + bw, y0 + bh


def overlay(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = image.copy()
    sel = mask > 127
    out[sel] = (out[sel] * 0.45 + np.array([255, 0, 200]) * 0.55).astype(np.uint8)
    # the mask's outline in white, so that its edge shows on any picture
    edge = cv2.morphologyEx(sel.astype(np.uint8), cv2.MORPH_GRADIENT,
                            np.ones((3, 3), np.uint8)) > 0
    out[edge] = 255
    return out


def summary(values: list[float]) -> dict:
    v = np.asarray(values, np.float64)
    return {"mean_iou": round(float(v.mean()), 4), "above_0.8": round(float((v > 0.8).mean()), 3),
            "min_iou": round(float(v.min()), 3), "n": int(len(v))}


def speed(selector, picture, box) -> dict:
    """Box to mask on a 24 MP photo: ours (median of 3, after one warm-up) and plain GrabCut
    on the whole photo (one run)."""
    big_w, big_h = SPEED_SIZE
    h, w = picture.shape[:2]
    big = cv2.resize(picture, (big_w, big_h), interpolation=cv2.INTER_CUBIC)
    fx, fy = big_w / w, big_h / h
    big_box = (int(box[0] * fx), int(box[1] * fy), int(np.ceil(box[2] * fx)),
               int(np.ceil(box[3] * fy)))
    selector.select(big, box=big_box)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        selector.select(big, box=big_box)
        times.append(time.perf_counter() - t)
    ours = float(np.median(times))
    t = time.perf_counter()
    plain_grabcut(big, big_box)
    plain = time.perf_counter() - t
    share = (big_box[2] - big_box[0]) * (big_box[3] - big_box[1]) / (big_w * big_h)
    return {"megapixels": round(big_w * big_h / 1e6, 1), "box_share": round(share, 3),
            "ours_s": round(ours, 3), "plain_grabcut_s": round(plain, 2),
            "speedup": round(plain / ours, 1)}


def main() -> None:
    import models
    from trainer.composites import SEED, composites

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=COUNT, help="composites (default 60)")
    parser.add_argument("--photos", type=Path, default=VAL,
                        help="folder of photos to make them from (default: the val photos)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--model", default="grabcut", help="our selector (default grabcut)")
    parser.add_argument("--no-speed", action="store_true", help="skip the 24 MP timing")
    args = parser.parse_args()

    selector = models.get_selector(args.model, device="cpu")
    started = time.perf_counter()
    pictures, cutouts = composites(args.photos, args.count, seed=args.seed)
    sources = sorted({c.source for c in cutouts})
    print(f"{len(pictures)} composites from {len(cutouts)} cut-outs of {len(sources)} photos "
          f"({', '.join(sources)}) in {time.perf_counter() - started:.0f} s; seed {args.seed}")
    scores = defaultdict(list)  # (method, mode) -> IoUs
    per_source = defaultdict(lambda: defaultdict(list))
    rows = []
    times = defaultdict(float)
    for i, c in enumerate(pictures):
        box, click = box_of(c), click_of(c)
        results = {}
        runs = {("plain", "box"): lambda im, b, p: plain_grabcut(im, b),
                ("ours", "box"): lambda im, b, p: selector.select(im, box=b),
                ("plain", "click"): lambda im, b, p: plain_grabcut(im, plain_click_box(im, p)),
                ("ours", "click"): lambda im, b, p: selector.select(im, positive=[p])}
        for key, run in runs.items():
            t = time.perf_counter()
            results[key] = run(c.image, box, click)
            times[key] += time.perf_counter() - t
            score = iou(results[key], c.mask)
            scores[key].append(score)
            per_source[c.object_source][key].append(score)
        if i < SHEET_ROWS:
            shown = c.image.copy()
            cv2.rectangle(shown, box[:2], (box[2] - 1, box[3] - 1), (0, 255, 0), 2)
            cv2.circle(shown, click, 5, (255, 255, 0), -1)
            rows.append([shown, overlay(c.image, c.mask),
                         overlay(c.image, results["plain", "box"]),
                         overlay(c.image, results["ours", "box"]),
                         overlay(c.image, results["ours", "click"])])
    n = len(pictures)
    report = {"photos": str(args.photos), "composites": n, "seed": args.seed, "pad_px": PAD,
              "cutouts": len(cutouts), "sources": sources, "model": selector.name,
              "quality": {}, "per_source": {}, "seconds_per_picture": {}}
    print(f"IoU with the truth (mean; share above 0.8) over {n} composites")
    for method in ("plain", "ours"):
        for mode in ("box", "click"):
            s = summary(scores[method, mode])
            report["quality"][f"{method}_{mode}"] = s
            report["seconds_per_picture"][f"{method}_{mode}"] = round(times[method, mode] / n, 3)
            name = "plain GrabCut" if method == "plain" else selector.name
            print(f"  {name:14s} from a {mode:5s}: {s['mean_iou']:.4f}; {s['above_0.8']:.2f} "
                  f"above 0.8 (worst {s['min_iou']:.2f}; {times[method, mode] / n:.2f} s each)")
    for source, by in sorted(per_source.items()):
        report["per_source"][source] = {f"{m}_{k}": round(float(np.mean(v)), 4)
                                        for (m, k), v in by.items()}
        print(f"  {source}: " + ", ".join(f"{m} {k} {np.mean(v):.3f}"
                                          for (m, k), v in sorted(by.items())))
    if not args.no_speed:
        c = max(pictures[:SHEET_ROWS],
                key=lambda p: (p.box[2] - p.box[0]) * (p.box[3] - p.box[1]))
        report["speed"] = s = speed(selector, c.image, box_of(c))
        print(f"24 MP photo, box over {s['box_share']:.0%} of it: {selector.name} "
              f"{s['ours_s']:.2f} s, plain GrabCut {s['plain_grabcut_s']:.1f} s "
              f"({s['speedup']:.0f}x faster)")
    path = write_json("select_quality.json", report)
    print("wrote", path)
    print("sheet:", save_png("select_sheet.png", sheet(rows, height=200)))


if __name__ == "__main__":
    main()
