"""Restoring old photos on the val photos: damage detection and the restored result.

    .venv/bin/python bench/restore_quality.py [--models median,damage-detector] [--speed]

Each val photo (long side 1024, as the detector was trained) gets one damaged copy per kind
of damage (trainer/damage.py: scratches, dust, hairs, cracks, tears, stains, holes) and one
with a random mix, seeded (SEED) so every run sees the same pictures.

- Detection, each detector at the default sensitivity: precision / recall / F1 with a 2 px
  tolerance (a found pixel is right if true damage is within 2 px, a damaged pixel is found if
  a found pixel is within 2 px), per kind and on the mixed set; false alarms = share of the
  pixels flagged on clean copies (toning, grain and JPEG only).
- Restoration on the mixed set (the default erase engine on the gray photo, the mask grown as
  the app grows it): SSIM of the restored gray against the clean gray print and PSNR inside
  the damage, for doing nothing, the mask of each detector and the true mask (the upper
  bound); then colorized (default colorizer, no hints): SSIM against the colour photo, as the
  restoration contest scored.
- `--speed`: detection of a 24 MP photo (seconds, peak memory of a fresh process) and the
  one-click restore of a 12 MP photo end to end.

Writes bench/out/restore_quality.json and bench/out/detect_sheet.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load_rgb, photos, save_png, sheet, ssim_map, write_json  # noqa: E402

SIDE = 1024
SEED = 7
TOLERANCE = 2  # px


def _shrink(rgb: np.ndarray, side: int) -> np.ndarray:
    from models import hd

    h, w = rgb.shape[:2]
    return hd.resize_image(rgb, *hd.fit_size(w, h, side))


def cases(paths):
    """(photo index, kind, colour photo, damaged, truth, clean print) per photo and kind."""
    from trainer import damage as dmg

    for i, path in enumerate(paths):
        rgb = _shrink(load_rgb(path), SIDE)
        for k, kind in enumerate((*dmg.KINDS, "mix", "clean")):
            rng = np.random.default_rng([SEED, i, k])
            kinds = {"mix": None, "clean": ()}.get(kind, (kind,))
            if kind == "mix":
                kinds = tuple(x for x in dmg.KINDS if rng.random() < dmg.KIND_CHANCE[x]) \
                    or ("scratches",)
            damaged, truth, clean = dmg.damaged_print(rgb, rng, kinds)
            yield i, kind, rgb, damaged, truth > 127, clean


def _near(mask: np.ndarray) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * TOLERANCE + 1,) * 2)
    return cv2.dilate(mask.astype(np.uint8), kernel) > 0


def tolerant_counts(found: np.ndarray, truth: np.ndarray) -> list[int]:
    """[found pixels near truth, found pixels, true pixels near found, true pixels]."""
    return [int((found & _near(truth)).sum()), int(found.sum()),
            int((truth & _near(found)).sum()), int(truth.sum())]


def prf(c: list[int]) -> dict[str, float]:
    p = c[0] / c[1] if c[1] else (1.0 if not c[3] else 0.0)
    r = c[2] / c[3] if c[3] else 1.0
    return {"precision": round(p, 3), "recall": round(r, 3),
            "f1": round(2 * p * r / max(p + r, 1e-9), 3)}


def gray_of(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def main() -> None:
    import models
    from models.engine import damage_mask
    from models.restore import gray_rgb, grow, grow_pixels

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", help="comma-separated detectors (default: all registered)")
    parser.add_argument("--limit", type=int, help="only the first N val photos")
    parser.add_argument("--speed", action="store_true", help="also time 24 MP and 12 MP photos")
    args = parser.parse_args()
    names = args.models.split(",") if args.models else [i.name for i in models.detectors()]
    detectors = {n: models.get_detector(n, device="cpu") for n in names}
    inpainter = models.get_inpainter(device="cpu")
    colorizer = models.get_colorizer(device="cpu")
    paths = photos(limit=args.limit)
    counts = {n: {} for n in names}  # detector -> kind -> tolerant counts (or flagged, all)
    fixes = {}  # mask source -> [gray SSIM, damage MSE, colour SSIM] lists
    rows = []
    for i, kind, rgb, damaged, truth, clean in cases(paths):
        found = {}
        for name, det in detectors.items():
            found[name] = damage_mask(det.detect(damaged)) > 0
            c = counts[name].setdefault(kind, [0, 0, 0, 0])
            if kind == "clean":
                c[0] += int(found[name].sum())
                c[1] += found[name].size
            else:
                c[:] = [x + y for x, y in zip(c, tolerant_counts(found[name], truth))]
        if kind != "mix":
            continue
        h, w = truth.shape
        gray, clean_gray = gray_rgb(damaged), gray_of(clean)
        masks = {"nothing": None, **found, "true mask": truth}
        for source, m in masks.items():
            if m is None:
                restored = gray
            else:
                hole = grow(m.astype(np.uint8) * 255, grow_pixels(w, h))
                restored = inpainter.inpaint(gray, hole) if hole.any() else gray
            colour = colorizer.colorize(restored).image
            r = fixes.setdefault(source, [[], [], []])
            r[0].append(float(ssim_map(gray_of(restored), clean_gray).mean()))
            d = gray_of(restored)[truth].astype(np.float64) - clean_gray[truth]
            r[1].append(float(np.mean(d * d)) if d.size else 0.0)
            r[2].append(float(ssim_map(colour, rgb).mean()))
        if i < 4:
            row = [damaged]
            for name in names:
                shown = damaged.copy()
                shown[found[name]] = (255, 0, 200)
                row.append(shown)
            truth_view = damaged.copy()
            truth_view[truth] = (255, 0, 200)
            rows.append(row + [truth_view])
    report = {"photos": len(paths), "side": SIDE, "seed": SEED, "sensitivity": 0.5,
              "tolerance_px": TOLERANCE, "detection": {}, "restoration": {}}
    print(f"{len(paths)} val photos at {SIDE} px, seed {SEED}, sensitivity 0.5; precision / "
          f"recall / F1 with a {TOLERANCE} px tolerance")
    for name in names:
        per = {k: prf(c) for k, c in counts[name].items() if k != "clean"}
        flagged, total = counts[name]["clean"][:2]
        per["clean"] = {"false_alarm": round(flagged / max(total, 1), 5)}
        report["detection"][name] = per
        kinds = [k for k in per if k not in ("clean", "mix")]
        m = per["mix"]
        print(f"{name:18s} mixed {m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}; "
              + ", ".join(f"{k} {per[k]['f1']:.2f}" for k in kinds)
              + f"; false alarms {per['clean']['false_alarm']:.4f}")
    print(f"restoration of the mixed set ({inpainter.name} on the gray photo, then "
          f"{colorizer.name}): gray SSIM / PSNR in the damage / colour SSIM")
    for source, (ss, mses, cs) in fixes.items():
        mse = max(float(np.mean(mses)), 1e-10)
        entry = {"gray_ssim": round(float(np.mean(ss)), 4),
                 "damage_psnr": round(10 * np.log10(255.0**2 / mse), 2),
                 "colour_ssim": round(float(np.mean(cs)), 4)}
        report["restoration"][source] = entry
        print(f"  {source:18s} {entry['gray_ssim']:.4f} / {entry['damage_psnr']:.2f} dB / "
              f"{entry['colour_ssim']:.4f}")
    if args.speed:
        report["speed"] = speed(names)
    write_json("restore_quality.json", report)
    if rows:
        print("sheet:", save_png("detect_sheet.png", sheet(rows, height=200)))


# Peak memory from /proc's VmHWM: unlike ru_maxrss it is not inherited from the parent
SPEED_CHILD = """
import sys, time, numpy as np, models
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
det = models.get_detector(sys.argv[1], device="cpu")
img = np.random.default_rng(0).integers(0, 255, (4000, 6000, 3), dtype=np.uint8)
det.detect(img[:800, :800])
before = hwm()
t = time.perf_counter(); det.detect(img); s = time.perf_counter() - t
print(f"{s:.2f} {before:.0f} {hwm():.0f}")
"""


def speed(names: list[str]) -> dict:
    """24 MP detection per detector (fresh process each, for its peak memory) and the
    one-click restore of a 12 MP photo with the defaults."""
    import subprocess

    import models
    from models.restore import restore
    from trainer import damage as dmg

    out = {}
    for name in names:
        line = subprocess.run([sys.executable, "-c", SPEED_CHILD, name], capture_output=True,
                              text=True, check=True).stdout.split()
        seconds, before, peak = float(line[0]), float(line[1]), float(line[2])
        out[name] = {"seconds_24mp": seconds, "rss_before_mb": before, "peak_rss_mb": peak}
        print(f"{name:18s} 24 MP detection {seconds:.2f} s; peak memory {peak:.0f} MB "
              f"({peak - before:+.0f} MB over the loaded photo and model)")
    rgb = cv2.resize(load_rgb(photos()[0]), (4000, 3000), interpolation=cv2.INTER_CUBIC)
    damaged, _, _ = dmg.damaged_print(rgb, np.random.default_rng(SEED), ("scratches", "dust"))
    det, inp, col = (models.get_detector(device="cpu"), models.get_inpainter(device="cpu"),
                     models.get_colorizer(device="cpu"))
    t = time.perf_counter()
    result = restore(damaged, det, inp, col)
    out["restore_12mp_s"] = round(time.perf_counter() - t, 2)
    print(f"one-click restore of 12 MP ({det.name}, {inp.name}, {col.name}): "
          f"{out['restore_12mp_s']} s; {result.notes[0]}")
    return out


if __name__ == "__main__":
    main()
