"""One forward pass of the learned networks on the CPU, with a LaMa-sized anchor in the same run.

    .venv/bin/python bench/net_speed.py [--runs 7] [--threads 2]

- Every learned model that the app finds (bundled and the user's), at its task's reference
  size: 512 x 512 for inpainting (target: 0.25 s or less for the default), and the
  colorizer's working size (256 x 256; target: 0.15 s or less).
- Anchor: the same FFC U-Net code scaled to about LaMa-Fourier's size (four levels from 64 to
  512 channels, nine FFC blocks, ~27 M parameters) with random weights, so "a quarter of
  LaMa's time" is a ratio measured on this machine in this run.

Times are the median of --runs passes after one warm-up, torch in inference mode, fp32, with
--threads threads. Writes bench/out/net_speed.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

import models  # noqa: E402
from models import learned  # noqa: E402

INPAINT_SIZE = 512
TARGETS = {"inpaint": 0.25, "colorize": 0.15}
LAMA_LIKE = {"widths": [64, 128, 256, 512], "blocks": 9, "dilations": [1]}


def time_pass(net, kind: str, size: int, runs: int) -> float:
    import torch

    with torch.inference_mode():
        if kind == "inpaint":
            x, m = torch.rand(1, 3, size, size), torch.zeros(1, 1, size, size)
            m[..., size // 4:size // 2, size // 4:3 * size // 4] = 1
            args = (x, m)
        else:
            args = (torch.rand(1, 1, size, size) * 100, torch.zeros(1, 3, size, size))
        net(*args)  # warm-up: allocations, FFT plans
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            net(*args)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    import torch

    from models.nets import inpaint_net

    torch.set_num_threads(args.threads)
    rows = []
    anchor = inpaint_net.build(LAMA_LIKE).eval()
    anchor_s = time_pass(anchor, "inpaint", INPAINT_SIZE, args.runs)
    rows.append({"model": "LaMa-sized FFC U-Net (random weights)", "kind": "inpaint",
                 "size": INPAINT_SIZE, "parameters": inpaint_net.parameter_count(anchor),
                 "seconds": anchor_s})
    defaults = {"inpaint": models.default_inpainter(), "colorize": models.default_colorizer()}
    for model in learned.discovered():
        net, card = learned.load_net(model.weights, model.card)
        size = INPAINT_SIZE if model.kind == "inpaint" else int(
            card.get("working_size") or learned.DEFAULT_COLORIZE_SIZE)
        rows.append({"model": model.name, "kind": model.kind, "size": size,
                     "parameters": sum(p.numel() for p in net.parameters()),
                     "seconds": time_pass(net, model.kind, size, args.runs),
                     "default": defaults[model.kind] == model.name})
    print(f"{args.threads} threads, median of {args.runs} passes")
    print(f"{'model':40s} {'size':>9s} {'params':>8s} {'seconds':>8s} {'vs anchor':>9s}")
    for row in rows:
        row["anchor_ratio"] = row["seconds"] / anchor_s if row["kind"] == "inpaint" else None
        target = TARGETS[row["kind"]] if row.get("default") else None
        ratio = f"{row['anchor_ratio']:9.2f}" if row["anchor_ratio"] is not None else " " * 9
        flag = "" if target is None else (" ok" if row["seconds"] <= target else " SLOW")
        print(f"{row['model'][:40]:40s} {row['size']:4d}x{row['size']:<4d} "
              f"{row['parameters'] / 1e6:7.2f}M {row['seconds']:8.3f} {ratio}"
              f"{'' if target is None else f'  (target {target} s){flag}'}")
    out = common.write_json("net_speed.json", {"threads": args.threads, "runs": args.runs,
                                               "rows": rows})
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
