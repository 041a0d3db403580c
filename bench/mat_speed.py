"""One 512 x 512 forward pass of MAT beside the default FFC U-Net, random weights, on the CPU.

    .venv/bin/python bench/mat_speed.py [--runs 5] [--threads 2] [--size 512]

Both nets in their default configs (:data:`models.nets.mat.CONFIG`,
:data:`models.nets.inpaint_net.CONFIG`), torch inference mode, fp32 and bfloat16 autocast;
the median of --runs passes after one warm-up (wall and CPU seconds), a hole of an eighth
of the picture.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from models.nets import inpaint_net, mat


def time_pass(net, size: int, runs: int, bf16: bool) -> tuple[float, float]:
    """Median (wall, CPU) seconds of one pass; CPU time (all threads) is the steadier figure
    on a machine that also runs other work."""
    x, m = torch.rand(1, 3, size, size), torch.zeros(1, 1, size, size)
    m[..., size // 4:size // 2, size // 4:3 * size // 4] = 1
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        net(x, m)
        wall, cpu = [], []
        for _ in range(runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            net(x, m)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"{args.size} x {args.size}, {args.threads} threads, median of {args.runs}")
    for name, module in (("mat", mat), ("ffc_unet (default)", inpaint_net)):
        net = module.build().eval()
        fp32 = time_pass(net, args.size, args.runs, False)
        bf16 = time_pass(net, args.size, args.runs, True)
        print(f"{name:20s} {module.parameter_count(net) / 1e6:5.2f} M params  "
              f"fp32 {fp32[0]:.3f} s (cpu {fp32[1]:.3f} s)  "
              f"bf16 {bf16[0]:.3f} s (cpu {bf16[1]:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
