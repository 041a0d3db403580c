"""``python -m trainer``: train or fine-tune a model on a folder of photos.

Example::

    python -m trainer --task inpaint --photos ~/Pictures --name my-album --minutes 15
    python -m trainer --task colorize --photos ~/Pictures --name my-colours --minutes 60

Progress is printed as JSON lines (``--json``, the GUI's format) or as a one-line progress
display on a terminal. Exit status: 0 done, 2 bad input (folder, photos, checkpoint).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DEFAULT_OUT = Path("runs")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m trainer", description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=["inpaint", "colorize"], default="inpaint")
    p.add_argument("--photos", required=True, help="folder of colour photos (searched recursively)")
    p.add_argument("--name", required=True, help="run / model name")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="folder for runs (default ./runs)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="wall-clock budget of this invocation")
    budget.add_argument("--steps", type=int, help="train until this total step count")
    p.add_argument("--resume", action="store_true", help="continue the run's checkpoint")
    p.add_argument("--base", help="weights (.safetensors + card) to fine-tune (new runs)")
    p.add_argument("--crop", type=int, help="training crop size (default 192)")
    p.add_argument("--batch", type=int, help="batch size (default 8)")
    p.add_argument("--lr", type=float, help="learning rate (default 1e-3)")
    p.add_argument("--schedule", choices=["constant", "cosine"])
    p.add_argument("--val-count", type=int, help="photos held out for validation (default 8)")
    p.add_argument("--seed", type=int)
    p.add_argument("--model-config", help="JSON object of network settings (new runs only)")
    p.add_argument("--loss-config", help='JSON loss weights, e.g. {"hole": 1, "grad": 0}')
    p.add_argument("--device", default="auto", help="auto (CUDA, MPS, CPU), cpu, cuda, mps")
    p.add_argument("--amp", action="store_true", default=None,
                   help="mixed precision (bfloat16 on CPUs with AMX/AVX512-BF16, float16 on CUDA)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all)")
    p.add_argument("--log-seconds", type=float)
    p.add_argument("--val-seconds", type=float)
    p.add_argument("--checkpoint-seconds", type=float)
    p.add_argument("--stop-file", help="a file whose appearance stops the run (default RUN/STOP)")
    p.add_argument("--json", action="store_true", help="print JSON lines (default on a pipe)")
    return p.parse_args(argv)


def _terminal_emit(obj: dict) -> None:
    """Human-readable progress on a terminal: one updating line, messages for events."""
    event = obj.get("event")
    if event == "start":
        print(f"training {obj['name']}: {obj['train_photos']} photos, {obj['val_photos']} held "
              f"out, {len(obj['skipped'])} unreadable; {obj['parameters']:,} parameters, "
              f"starting at step {obj['step']}")
        return
    if event == "val":
        print(f"validation at step {obj['step']}: hole PSNR {obj.get('val_psnr')} dB")
        return
    if event == "checkpoint":
        return
    if event == "done":
        before = (obj.get("val_before") or {}).get("val_psnr")
        after = (obj.get("val_after") or {}).get("val_psnr")
        print(f"\n{obj['reason']} at step {obj['step']}: hole PSNR on held-out photos "
              f"{before} -> {after} dB; weights: {obj.get('weights')}")
        return
    parts = [f"step {obj['step']}", f"loss {obj['loss']:.4f}", f"{obj['img_per_s']:.1f} img/s"]
    if obj.get("val_psnr") is not None:
        parts.append(f"val {obj['val_psnr']:.2f} dB")
    if obj.get("eta_s") is not None:
        m, s = divmod(int(obj["eta_s"]), 60)
        parts.append(f"{m}:{s:02d} left")
    sys.stdout.write("\r" + "  ".join(parts) + "   ")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, str(args.threads))
    from trainer.loop import Run, TrainError, configure_threads, pick_device

    configure_threads(args.threads)
    device = pick_device(args.device)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:  # started by torchrun: one process per device (or per CPU share)
        import torch
        import torch.distributed as dist

        if device.startswith("cuda"):
            local = int(os.environ.get("LOCAL_RANK", "0"))
            torch.cuda.set_device(local)
            device = f"cuda:{local}"
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    config = {
        "task": args.task, "crop": args.crop, "batch": args.batch, "lr": args.lr,
        "schedule": args.schedule, "val_count": args.val_count, "seed": args.seed,
        "steps": args.steps, "minutes": args.minutes, "log_seconds": args.log_seconds,
        "val_seconds": args.val_seconds, "checkpoint_seconds": args.checkpoint_seconds,
        "amp": args.amp,
    }
    if args.model_config:
        config["model"] = json.loads(args.model_config)
    if args.loss_config:
        from trainer.colorize import ColorizeLossWeights
        from trainer.losses import InpaintLossWeights

        weights = ColorizeLossWeights if args.task == "colorize" else InpaintLossWeights
        config["loss"] = {**weights().__dict__, **json.loads(args.loss_config)}
    use_json = args.json or not sys.stdout.isatty()
    try:
        run = Run(args.photos, args.name, args.out, config, resume=args.resume,
                  stop_file=args.stop_file, emit=None if use_json else _terminal_emit,
                  device=device, base=args.base)
        run.run()
    except TrainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if world > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
