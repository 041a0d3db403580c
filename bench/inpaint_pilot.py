"""Hole PSNR / SSIM of inpainting networks against the classical fills, on a photo folder.

Every photo is scaled so its longer side is ``--max-side`` pixels; each gets one mask of each
kind (object blobs, brush strokes, thin scratches) from a fixed seed, so every method sees the
same holes. Classical results are cached in ``--cache`` (they do not change).

    .venv/bin/python bench/inpaint_pilot.py --weights /work/ckpt/inpaint/default/checkpoint.pt
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.nets import inpaint_net  # noqa: E402
from models.nets.blocks import pyramid_fill  # noqa: E402
from trainer.data import find_photos, load_photo  # noqa: E402
from trainer.masks import KINDS, eval_masks  # noqa: E402
from trainer.metrics import hole_psnr_u8, hole_ssim_u8  # noqa: E402


def classical(name: str, img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    bgr = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    if name == "telea":
        out = cv2.inpaint(bgr, mask, 3, cv2.INPAINT_TELEA)
    elif name == "fsr":
        out = np.zeros_like(bgr)
        # xphoto's mask marks the KNOWN pixels
        cv2.xphoto.inpaint(bgr, 255 - mask, out, cv2.xphoto.INPAINT_FSR_FAST)
    elif name == "pyramid":
        x = torch.from_numpy(img.copy()).permute(2, 0, 1)[None].float() / 255
        m = torch.from_numpy(mask > 127)[None, None].float()
        y = pyramid_fill(x, 1 - m)
        return (y[0].permute(1, 2, 0).clamp(0, 1) * 255).round().byte().numpy()
    else:
        raise ValueError(name)
    return cv2.cvtColor(out, cv2.COLOR_BGR2RGB)


def load_net(path: str) -> torch.nn.Module:
    p = Path(path)
    if p.suffix == ".safetensors":
        from safetensors.torch import load_file

        card = json.loads(p.with_suffix(".json").read_text())
        net = inpaint_net.build(card["config"])
        state = {k: v.float() for k, v in load_file(str(p)).items()}
    else:
        ck = torch.load(p, map_location="cpu", weights_only=True)
        net = inpaint_net.build(ck["config"]["model"])
        state = ck.get("ema") or ck["model"]
    net.load_state_dict(state)
    return net.eval()


@torch.no_grad()
def run_net(net: torch.nn.Module, img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    x = torch.from_numpy(img.copy()).permute(2, 0, 1)[None].float() / 255
    m = torch.from_numpy(mask > 127)[None, None].float()
    y = net(x, m).clamp(0, 1)
    y = (y[0].permute(1, 2, 0) * 255).round().byte().numpy()
    return np.where(mask[..., None] > 127, y, img)


def pooled(values: list) -> np.ndarray:
    """[PSNR of the mean MSE, mean SSIM] of per-photo [PSNR, SSIM] pairs."""
    arr = np.asarray(values, dtype=np.float64)
    mse = np.mean(10.0 ** (-arr[:, 0] / 10.0))
    return np.array([10.0 * np.log10(1.0 / mse), arr[:, 1].mean()])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", default="/work/shared/photos/val")
    ap.add_argument("--max-side", type=int, default=512)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--weights", nargs="*", default=[])
    ap.add_argument("--baselines", default="fsr,telea,pyramid")
    ap.add_argument("--cache", default="/work/ckpt/inpaint/pilot_baselines.json")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    paths = find_photos(args.photos)
    if args.limit:
        paths = paths[: args.limit]
    cache_path = Path(args.cache)
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    methods = [b for b in args.baselines.split(",") if b] + list(args.weights)
    nets = {w: load_net(w) for w in args.weights}
    scores: dict[str, dict[str, list]] = {m: {k: [] for k in KINDS} for m in methods}
    seconds: dict[str, float] = {m: 0.0 for m in methods}
    for i, path in enumerate(paths):
        img = load_photo(path, args.max_side)
        holes = eval_masks(img.shape[0], img.shape[1], seed=1000 + i)
        for kind, mask in holes.items():
            for method in methods:
                key = f"{args.max_side}|{path.name}|{kind}|{method}"
                if method in nets:
                    t0 = time.perf_counter()
                    out = run_net(nets[method], img, mask)
                    seconds[method] += time.perf_counter() - t0
                    val = [hole_psnr_u8(out, img, mask), hole_ssim_u8(out, img, mask)]
                elif key in cache:
                    val = cache[key]
                else:
                    t0 = time.perf_counter()
                    out = classical(method, img, mask)
                    seconds[method] += time.perf_counter() - t0
                    val = [hole_psnr_u8(out, img, mask), hole_ssim_u8(out, img, mask)]
                    cache[key] = val
                scores[method][kind].append(val)
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cache_path.write_text(json.dumps(cache))
    result = {}
    print(f"{len(paths)} photos, longer side {args.max_side}; hole PSNR dB / hole SSIM")
    print("PSNR of the mean hole MSE over the photos (a flat hole that a method fills exactly\n"
          "cannot dominate, as it does in a mean of per-photo PSNRs); SSIM: mean over photos")
    print(f"{'method':40s} " + " ".join(f"{k:>16s}" for k in KINDS) + f" {'mean':>16s}")
    for method in methods:
        row = {k: pooled(v) for k, v in scores[method].items()}
        mean = np.mean([row[k] for k in KINDS], axis=0)
        result[method] = {k: [round(float(a), 3) for a in v] for k, v in
                          {**row, "mean": mean}.items()}
        cells = " ".join(f"{row[k][0]:7.2f} / {row[k][1]:.3f}" for k in KINDS)
        print(f"{Path(method).name if method in nets else method:40.40s} {cells} "
              f"{mean[0]:7.2f} / {mean[1]:.3f}  ({seconds[method]:.1f} s)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
