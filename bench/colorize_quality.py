"""Colorization quality on the val photos: RGB PSNR and colourfulness.

    .venv/bin/python bench/colorize_quality.py [--engines levin] [--limit N] [--hints 10]

Each colour photo of ../shared/photos/val is turned into a gray scan with exactly its own
luminance (CIE L kept, chroma set to 0). Compared are: the gray image itself, each colorizer
with 0 hints and with --hints hints (positions drawn with a fixed seed, colours taken from the
true photo at those pixels), and the true photos.

- PSNR: RGB PSNR (dB, peak 255) of the whole result against the true photo.
- Colourfulness: Hasler & Suesstrunk 2003, M = sqrt(sd_rg^2 + sd_yb^2) + 0.3 sqrt(mu_rg^2 +
  mu_yb^2) with rg = R - G, yb = (R + G) / 2 - B (0 for a gray image; ~15 "slightly",
  ~33 "moderately", ~59 "quite" colourful).

Photos that are themselves gray (skimage camera, coins, moon) are skipped. Prints a table of
means, writes bench/out/colorize_quality.json and bench/out/colorize_sheet.png (gray with the
hints marked / each colorizer automatic, then with hints / truth), and
bench/out/colorize_old_sheet.png: the real old scans of ../shared/photos/old (no truth exists
there), each colorizer automatic, then with the few hints of bench/old_hints.json (marked on
the scan).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import masks  # noqa: E402

import models  # noqa: E402
from models import engine as eng  # noqa: E402

SHEET_PHOTOS = 4
OLD = common.SHARED / "photos" / "old"
OLD_HINTS = Path(__file__).resolve().parent / "old_hints.json"


def colourfulness(rgb: np.ndarray) -> float:
    r, g, b = (rgb[:, :, i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def sample_hints(truth: np.ndarray, count: int, name: str) -> list[tuple]:
    rng = np.random.default_rng([masks.SEED, *name.encode()[:8]])
    h, w = truth.shape[:2]
    xs, ys = rng.integers(0, w, count), rng.integers(0, h, count)
    return [(int(x), int(y), tuple(int(c) for c in truth[y, x]))
            for x, y in zip(xs, ys, strict=True)]


def mark(image: np.ndarray, hints) -> np.ndarray:
    out = image.copy()
    r = max(3, min(image.shape[:2]) // 60)
    for x, y, rgb in hints:
        cv2.circle(out, (x, y), r + 2, (255, 255, 255), -1)
        cv2.circle(out, (x, y), r, tuple(int(c) for c in rgb), -1)
    return out


def gray_scan(truth: np.ndarray) -> np.ndarray:
    """The photo as a black-and-white scan: its own CIE L, chroma 0."""
    luma = eng.lightness(truth)
    return eng.lab_to_rgb(luma, np.zeros(truth.shape[:2] + (2,), np.float32))


def colorize_all(engines: dict, truth: np.ndarray, hints: list[tuple]) -> dict:
    """{method: (image, seconds)}: the gray scan, each engine with 0 hints and with `hints`,
    and the true photo, in that order."""
    gray = gray_scan(truth)
    outputs = {"gray": (gray, 0.0)}
    for name, engine in engines.items():
        for label, use in ((f"{name}, 0 hints", []), (f"{name}, {len(hints)} hints", hints)):
            start = time.perf_counter()
            outputs[label] = (engine.colorize(gray, use).image, time.perf_counter() - start)
    outputs["true photo"] = (truth, 0.0)
    return outputs


def score(photo: str, outputs: dict, truth: np.ndarray) -> list[dict]:
    return [{"photo": photo, "method": method,
             "psnr": common.psnr(image, truth) if method != "true photo" else None,
             "colourfulness": colourfulness(image), "seconds": seconds}
            for method, (image, seconds) in outputs.items()]


def summarize(rows: list[dict], methods: list[str]) -> dict:
    """Means per method (in `methods` order; methods without rows are left out)."""
    summary = {}
    for method in methods:
        sel = [r for r in rows if r["method"] == method]
        if not sel:
            continue
        psnrs = [r["psnr"] for r in sel if r["psnr"] is not None]
        summary[method] = {
            "psnr": float(np.mean(psnrs)) if psnrs else None,
            "colourfulness": float(np.mean([r["colourfulness"] for r in sel])),
            "seconds": float(np.mean([r["seconds"] for r in sel]))}
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", help="comma-separated colorizers (default: all)")
    parser.add_argument("--limit", type=int, help="only the first N photos")
    parser.add_argument("--hints", type=int, default=10, help="hints per photo (default 10)")
    args = parser.parse_args(argv)
    names = args.engines.split(",") if args.engines else [e.name for e in models.colorizers()]
    engines = {name: models.get_colorizer(name, device="cpu") for name in names}
    methods = ["gray"] + [f"{n}, 0 hints" for n in names] + \
        [f"{n}, {args.hints} hints" for n in names] + ["true photo"]
    rows, sheet_rows, skipped = [], [], []
    for path in common.photos(limit=args.limit):
        truth = common.load_rgb(path)
        if not eng.is_colour(truth):
            skipped.append(path.name)
            continue
        hints = sample_hints(truth, args.hints, path.name)
        outputs = colorize_all(engines, truth, hints)
        rows += score(path.name, outputs, truth)
        line = "  ".join(f"{m}: {common.psnr(im, truth):5.2f} dB {colourfulness(im):5.1f}"
                         for m, (im, _) in outputs.items() if m != "true photo")
        print(f"{path.name:34s} {line}  truth {colourfulness(truth):5.1f}", flush=True)
        if len(sheet_rows) < SHEET_PHOTOS:
            sheet_rows.append([mark(outputs["gray"][0], hints)]
                              + [outputs[f"{n}, 0 hints"][0] for n in names
                                 if not engines[n].needs_hints]
                              + [outputs[f"{n}, {args.hints} hints"][0] for n in names]
                              + [truth])
    print(f"\n{len({r['photo'] for r in rows})} colour photos"
          + (f" ({len(skipped)} gray ones skipped: {', '.join(skipped)})" if skipped else ""))
    print(f"{'method':22s} {'RGB PSNR dB':>12s} {'colourfulness':>14s} {'seconds':>8s}")
    summary = summarize(rows, methods)
    for method, s in summary.items():
        psnr_text = f"{s['psnr']:12.2f}" if s["psnr"] is not None else f"{'-':>12s}"
        print(f"{method:22s} {psnr_text} {s['colourfulness']:14.1f} {s['seconds']:8.3f}")
    out = common.write_json("colorize_quality.json",
                            {"rows": rows, "summary": summary, "skipped": skipped,
                             "hints": args.hints})
    sheet = common.save_png("colorize_sheet.png", common.sheet(sheet_rows, height=200))
    auto = [n for n in names if not engines[n].needs_hints]
    print(f"\nwrote {out} and {sheet} (columns: gray + hints, {', '.join(auto)} automatic, "
          f"{', '.join(names)} with hints, truth)")
    placed = json.loads(OLD_HINTS.read_text())
    old = []
    for path in common.photos(OLD):
        scan = common.load_rgb(path)
        h, w = scan.shape[:2]
        hints = [(min(int(fx * w), w - 1), min(int(fy * h), h - 1), tuple(rgb))
                 for fx, fy, rgb in placed.get(path.name, [])]
        old.append([mark(scan, hints)] + [engines[n].colorize(scan, []).image for n in auto]
                   + [engines[n].colorize(scan, hints).image for n in names])
    if old:
        old_sheet = common.save_png("colorize_old_sheet.png", common.sheet(old, height=260))
        print(f"wrote {old_sheet} (old scans; columns: scan + hints, {', '.join(auto)} "
              f"automatic, {', '.join(names)} with the hints)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
