"""Inpainting quality of every registered engine on the val photos.

    .venv/bin/python bench/inpaint_quality.py [--engines telea,fsr] [--limit N] [--kinds object]
                                              [--sheet-kind object] [--sheet-photos 3]

For each photo of ../shared/photos/val and each mask kind of bench/masks.py (object blobs,
brush strokes, thin scratches; fixed seed) every engine fills the hole through the engine
interface (crop strategy, default options), and the result is compared with the photo:

- hole PSNR: PSNR over the RGB values of the hole pixels only (mask > 127), peak 255.
- hole SSIM: the SSIM map (Wang et al. 2004, Gaussian window sigma 1.5, per RGB channel,
  averaged over channels) of the whole result against the photo, averaged over the hole
  pixels. Windows reach a few pixels past the hole, so it also scores how the fill joins
  the surroundings.
- texture ratio: mean gradient magnitude of the result's gray image over the truth's, on the
  hole eroded by 2 px (bench/common.py `texture_ratio`): a blur scores far below 1, a fill
  with the photo's own amount of detail near 1. Reported as mean and median over photos (one
  photo with an almost flat truth can score 2 or more and pull the mean).

A learned engine whose card turns on the texture step (models/texture.py) is also measured
without it, as `NAME/no-texture`, and one that mixes FSR into narrow holes without that, as
`NAME/no-fsr-mix`. `fsr` runs in one call per crop, its best quality, not in
the small tiles the app uses so that Esc can stop it within a second (0.3 dB lower).

Prints a table (mean over photos per engine and mask kind, and a mean row) and the time per
image; writes bench/out/inpaint_quality.json and a contact sheet bench/out/inpaint_sheet.png
(per row: input with the mask in red, each engine's result, the truth).
"""

from __future__ import annotations

import argparse
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

SHEET_PHOTOS = 3  # photos on the contact sheet (each with every mask kind)


def overlay(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = image.copy()
    hole = mask > 127
    out[hole] = (0.4 * out[hole] + 0.6 * np.array([255, 0, 0])).astype(np.uint8)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", help="comma-separated engine names (default: all)")
    parser.add_argument("--limit", type=int, help="only the first N photos")
    parser.add_argument("--kinds", default=",".join(masks.KINDS),
                        help="comma-separated mask kinds (default: all)")
    parser.add_argument("--sheet-kind", help="only this mask kind on the contact sheet")
    parser.add_argument("--sheet-photos", type=int, default=SHEET_PHOTOS,
                        help=f"photos on the contact sheet (default {SHEET_PHOTOS})")
    parser.add_argument("--gray", action="store_true",
                        help="gray copies of the photos (old scans, what restore fills)")
    args = parser.parse_args(argv)
    names = args.engines.split(",") if args.engines else [e.name for e in models.inpainters()]
    kinds = args.kinds.split(",")
    engines = {}
    for name in names:
        engine = models.get_inpainter(name, device="cpu")
        if name == "fsr":
            engine.tile_size = 1 << 20  # one call per crop (see the docstring)
        engines[name] = engine
        if getattr(engine, "texture", False):
            plain = models.get_inpainter(name, device="cpu")
            plain.texture = False
            engines[f"{name}/no-texture"] = plain
        if getattr(engine, "fsr_blend", 0):
            alone = models.get_inpainter(name, device="cpu")
            alone.fsr_blend = 0.0
            engines[f"{name}/no-fsr-mix"] = alone
    names = list(engines)
    rows, sheet_rows = evaluate(engines, common.photos(limit=args.limit), kinds,
                                args.sheet_photos, args.sheet_kind, args.gray)
    summary = summarize(rows, names, kinds)
    print_table(summary, names, kinds)
    suffix = "_gray" if args.gray else ""
    out = common.write_json(f"inpaint_quality{suffix}.json", {"rows": rows, "summary": summary})
    sheet = common.save_png("inpaint_sheet.png",
                            common.sheet([row for _, _, row in sheet_rows]))
    print(f"\nwrote {out} and {sheet} (columns: input+mask, {', '.join(names)}, truth)")
    return 0


def evaluate(engines: dict, paths: list[Path], kinds: list[str],
             sheet_photos: int = SHEET_PHOTOS,
             sheet_kind: str | None = None, gray: bool = False) -> tuple[list[dict], list[tuple]]:
    """Fill every (photo, mask kind) hole with every engine and score it (one line each).

    Returns the score rows and, for the first `sheet_photos` photos, (photo name, kind,
    [input with the mask in red, each engine's result, truth]) for a contact sheet.
    """
    options = InpaintOptions()
    rows = []
    sheet_rows = []
    for index, path in enumerate(paths):
        truth = common.load_rgb(path)
        if gray:
            truth = np.repeat(cv2.cvtColor(truth, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
        h, w = truth.shape[:2]
        for kind in kinds:
            mask = masks.make_mask(kind, h, w, path.name)
            hole = mask > 127
            sheet_row = [overlay(truth, mask)]
            for name, engine in engines.items():
                start = time.perf_counter()
                result = engine.inpaint(truth, mask, options)
                seconds = time.perf_counter() - start
                row = {"photo": path.name, "kind": kind, "engine": name,
                       "hole_fraction": float(hole.mean()),
                       "psnr": common.psnr(result, truth, hole),
                       "ssim": float(common.ssim_map(result, truth)[hole].mean()),
                       "texture": common.texture_ratio(result, truth, hole),
                       "seconds": seconds}
                rows.append(row)
                sheet_row.append(result)
                print(f"{path.name:36s} {kind:9s} {name:24s} psnr {row['psnr']:6.2f}  "
                      f"ssim {row['ssim']:.4f}  texture {row['texture']:5.2f}  "
                      f"{seconds:6.2f} s", flush=True)
            if index < sheet_photos and sheet_kind in (None, kind):
                sheet_rows.append((path.name, kind, sheet_row + [truth]))
    return rows, sheet_rows


def summarize(rows, names, kinds):
    summary = {}
    for name in names:
        per = {}
        for kind in kinds + ["mean"]:
            sel = [r for r in rows if r["engine"] == name and (kind == "mean" or r["kind"] == kind)]
            if sel:
                per[kind] = {key: float(np.mean([r[key] for r in sel]))
                             for key in ("psnr", "ssim", "seconds")}
                ratios = [r["texture"] for r in sel]
                per[kind]["texture"] = float(np.nanmean(ratios))
                per[kind]["texture_median"] = float(np.nanmedian(ratios))
        summary[name] = per
    return summary


def print_table(summary, names, kinds):
    cols = kinds + ["mean"]
    print("\nhole PSNR (dB) / hole SSIM / texture ratio mean (median) / seconds per image, "
          "mean over photos")
    print(f"{'engine':24s} " + " ".join(f"{k:>36s}" for k in cols))
    for name in names:
        cells = []
        for k in cols:
            s = summary[name].get(k)
            cells.append(f"{s['psnr']:6.2f} / {s['ssim']:.4f} / {s['texture']:.2f} "
                         f"({s['texture_median']:.2f}) / {s['seconds']:5.2f}"
                         if s else f"{'-':>36s}")
        print(f"{name:24s} " + " ".join(f"{c:>36s}" for c in cells))


if __name__ == "__main__":
    sys.exit(main())
