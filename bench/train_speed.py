"""Training speed of the trainer's engine settings, side by side in one run.

    .venv/bin/python bench/train_speed.py [--task inpaint|colorize|detect] [--crop 192] [--batch 8]
                                          [--seconds 25] [--compile]

Each setting trains the task's default network with the trainer's own `Run.train_step` (real
photo crops and masks from ../shared/photos/train, the same loss, EMA and optimizer step as a
training run) for `--seconds` after a few warm-up steps, and prints crops per second and the
ratio to the old default (1 thread, float32, contiguous tensors, per-tensor AdamW: how runs
trained before this engine) and to float32 on all cores. The last rows are the new default
(`trainer.loop.DEFAULTS`) and the same at twice the batch; `--compile` adds torch.compile.
Writes bench/out/train_speed.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

PHOTOS = 48  # photos linked into the bench's folder: enough variety, loads in seconds


def settings(cores: int, batch: int, compile_too: bool) -> list[tuple[str, int, dict]]:
    """(label, threads, config overrides) of every measured setting."""
    old = {"amp": False, "channels_last": False, "fused_optimizer": False, "plain_adamw": True}
    rows = [
        ("old default: 1 thread, float32", 1, old),
        (f"float32, {cores} threads", cores, old),
        ("+ bfloat16 autocast", cores, {**old, "amp": True}),
        ("+ channels-last", cores, {**old, "amp": True, "channels_last": True}),
        ("+ fused AdamW (new default)", cores,
         {"amp": True, "channels_last": True, "fused_optimizer": True}),
        (f"new default at batch {2 * batch}", cores,
         {"amp": True, "channels_last": True, "fused_optimizer": True, "batch": 2 * batch}),
    ]
    if compile_too:
        rows.append(("new default + torch.compile", cores,
                     {"amp": True, "channels_last": True, "fused_optimizer": True,
                      "compile": True}))
    return rows


def measure(run, threads: int, overrides: dict, seconds: float, warmup: int = 3) -> dict:
    import torch

    torch.set_num_threads(threads)
    run.cfg.update({k: v for k, v in overrides.items() if k not in ("plain_adamw", "compile")})
    run._build()
    if overrides.get("plain_adamw"):  # torch's per-tensor loop, the trainer's old optimizer
        run.opt = torch.optim.AdamW(run.model.parameters(), lr=run.cfg["lr"], betas=(0.9, 0.99),
                                    weight_decay=run.cfg["weight_decay"], foreach=False)
    if overrides.get("compile"):
        run.train_model = torch.compile(run.model)
    for _ in range(warmup):
        run.train_step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 3:
        run.train_step()
        steps += 1
    wall = time.perf_counter() - start
    return {"threads": threads, "batch": run.cfg["batch"], "steps": steps,
            "crops_per_s": steps * run.cfg["batch"] / wall,
            "amp": str(run.autocast_dtype).replace("torch.", "") if run.autocast_dtype else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="inpaint", choices=["inpaint", "colorize", "detect"])
    parser.add_argument("--crop", type=int, default=192)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=25.0, help="timed seconds per setting")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile")
    args = parser.parse_args(argv)
    from trainer.device import cpu_supports_bf16
    from trainer.loop import Run

    cores = os.cpu_count() or 1
    train = common.SHARED / "photos" / "train"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for path in common.photos(train, limit=PHOTOS):
            (folder / path.name).symlink_to(path.resolve())
        run = Run(folder, "bench", Path(tmp) / "runs", {
            "task": args.task, "crop": args.crop, "batch": args.batch, "val_count": 2,
            "val_per_photo": 1})
        run._load_data()
        print(f"{args.task}, crop {args.crop}, batch {args.batch}, {cores} cores, "
              f"bfloat16 kernels: {'yes' if cpu_supports_bf16() else 'no'}")
        print(f"{'setting':34s} {'threads':>7s} {'batch':>5s} {'crops/s':>8s} "
              f"{'x old':>6s} {'x fp32':>6s}")
        for label, threads, overrides in settings(cores, args.batch, args.compile):
            run.cfg["batch"] = args.batch
            row = {"setting": label, **measure(run, threads, overrides, args.seconds)}
            results.append(row)
            old, fp32 = results[0]["crops_per_s"], results[min(1, len(results) - 1)]["crops_per_s"]
            row["x_old"], row["x_fp32"] = row["crops_per_s"] / old, row["crops_per_s"] / fp32
            print(f"{label:34s} {threads:7d} {row['batch']:5d} {row['crops_per_s']:8.1f} "
                  f"{row['x_old']:6.2f} {row['x_fp32']:6.2f}", flush=True)
    out = common.write_json("train_speed.json", {
        "task": args.task, "crop": args.crop, "batch": args.batch, "cores": cores,
        "rows": results})
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
