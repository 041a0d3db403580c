"""One 512 x 512 forward pass of MAT beside the default FFC U-Net, random weights, on the CPU.

    .venv/bin/python bench/mat_speed.py [--runs 7] [--threads 2] [--size 512]

Both nets in their default configs (:data:`models.nets.mat.CONFIG`,
:data:`models.nets.inpaint_net.CONFIG`), torch inference mode, fp32 and bfloat16 autocast,
a hole of an eighth of the picture. After one warm-up each, the passes of the two nets take
turns, so that other work on the machine slows both alike; printed: the median and the
fastest of --runs passes (wall seconds).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from models.nets import inpaint_net, mat

NETS = {"mat": mat, "ffc_unet (default)": inpaint_net}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    size = args.size
    x, m = torch.rand(1, 3, size, size), torch.zeros(1, 1, size, size)
    m[..., size // 4:size // 2, size // 4:3 * size // 4] = 1
    nets = {name: module.build().eval() for name, module in NETS.items()}
    times: dict[tuple[str, bool], list[float]] = {}
    with torch.inference_mode():
        for bf16 in (False, True):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                for net in nets.values():
                    net(x, m)  # warm-up
                for _ in range(args.runs):
                    for name, net in nets.items():
                        start = time.perf_counter()
                        net(x, m)
                        times.setdefault((name, bf16), []).append(time.perf_counter() - start)
    print(f"{size} x {size}, {args.threads} threads, {args.runs} passes each "
          "(median / fastest, seconds)")
    for name, net in nets.items():
        row = [f"{name:20s} {NETS[name].parameter_count(net) / 1e6:5.2f} M params"]
        for bf16 in (False, True):
            t = times[(name, bf16)]
            row.append(f"{'bf16' if bf16 else 'fp32'} {statistics.median(t):.3f} / {min(t):.3f}")
        print("  ".join(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
