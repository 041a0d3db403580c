"""``python -m trainer``: train or fine-tune a model on a folder of photos.

Example::

    python -m trainer --task inpaint --photos ~/Pictures --name my-album --minutes 15
    python -m trainer --task colorize --photos ~/Pictures --name my-colours --minutes 60
    python -m trainer --task colorize --photos ~/Pictures --scan   # usable photo count only
    python -m trainer --name my-album --install-only --install-anyway  # a result kept back

Progress is printed as JSON lines (``--json``, the GUI's format; see :mod:`trainer.loop`) or
as a progress bar on a terminal. At the end the best weights are installed as
``<models dir>/<name>.safetensors`` + card (``--models-dir``, default the user's model folder;
``--no-install`` skips it; a result that scores below its base, or from scratch below the
classical method, is kept in its run folder: ``--install-only --install-anyway`` installs it
later). Exit status: 0 done, 2 bad input (folder, photos, checkpoint,
name, model folder), 130 interrupted before training started.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

DEFAULT_OUT = Path("runs")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m trainer", description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=["inpaint", "colorize", "detect"], default="inpaint",
                   help="what to learn: erasing, colorizing, or finding damage on old photos "
                        "(detect: trained on synthetic damage of the photos)")
    p.add_argument("--arch", help="network: inpaint ffc_unet (default), partial_conv, "
                                  "context_encoder; colorize hint_colorizer (default), pix2pix")
    p.add_argument("--adversarial", type=float,
                   help="weight of a GAN term with a discriminator (new runs; default 0, "
                        "context_encoder 0.001, pix2pix 1)")
    p.add_argument("--photos", help="folder of colour photos (searched recursively; required "
                                    "unless --install-only)")
    p.add_argument("--name", help="run / model name (required unless --scan)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="folder for runs (default ./runs)")
    p.add_argument("--scan", action="store_true",
                   help="only count the usable photos of --photos (one JSON line), train nothing")
    p.add_argument("--models-dir", help="model folder that receives the result as NAME.safetensors"
                                        " (default: the user's model folder)")
    p.add_argument("--no-install", action="store_true",
                   help="leave the result in the run folder only")
    p.add_argument("--install-anyway", action="store_true",
                   help="install the result even if its held-out score is below its base's "
                        "(or, from scratch, below the classical method's)")
    p.add_argument("--install-only", action="store_true",
                   help="train nothing: install the result that run NAME left in its folder "
                        "when it ended (with --install-anyway also one that scored below its "
                        "reference); --out and --models-dir as for the run")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="wall-clock budget of this invocation")
    budget.add_argument("--steps", type=int, help="train until this total step count")
    p.add_argument("--resume", action="store_true",
                   help="continue the run's checkpoint (an error if it has none)")
    p.add_argument("--new-if-missing", action="store_true",
                   help="with --resume: start a new run when there is no checkpoint to continue")
    p.add_argument("--base", help="weights (.safetensors + card) to fine-tune (new runs)")
    p.add_argument("--crop", type=int,
                   help="training crop size (default 192; fine-tunes of erasing 320)")
    p.add_argument("--max-side", type=int,
                   help="photos are kept in RAM at most this large (new runs; default 768, "
                        "fine-tunes 1024)")
    p.add_argument("--scale-range", type=float, nargs=2, metavar=("LO", "HI"),
                   help="crops are resampled by a random factor in [LO, HI] of the kept photo "
                        "(new runs; default 0.5 1, fine-tunes 0.75 1)")
    p.add_argument("--batch", type=int, help="batch size (default 8)")
    p.add_argument("--lr", type=float, help="learning rate (default 1e-3)")
    p.add_argument("--schedule", choices=["constant", "cosine"])
    p.add_argument("--val-count", type=int, help="photos held out for validation (default 8)")
    p.add_argument("--seed", type=int)
    p.add_argument("--model-config", help="JSON object of network settings (new runs only)")
    p.add_argument("--loss-config", help='JSON loss weights, e.g. {"hole": 1, "grad": 0}')
    p.add_argument("--mask-mix", help='erasing: JSON shares of the hole kinds (new runs), e.g. '
                                      '{"strokes": 0.4, "blobs": 0.4, "scratches": 0.2}')
    p.add_argument("--device", default="auto", help="auto (CUDA, MPS, CPU), cpu, cuda, mps")
    p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                   help="mixed precision: bfloat16 on CPUs with AMX/AVX512-BF16, float16 on "
                        "CUDA (default on; --no-amp trains in float32)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all)")
    p.add_argument("--log-seconds", type=float)
    p.add_argument("--val-seconds", type=float)
    p.add_argument("--checkpoint-seconds", type=float,
                   help="checkpoint at least this often (default 60) ...")
    p.add_argument("--checkpoint-steps", type=int,
                   help="... and every this many steps (default 500)")
    p.add_argument("--stop-file", help="a file whose appearance stops the run (default RUN/STOP)")
    p.add_argument("--json", action="store_true", help="print JSON lines (default on a pipe)")
    return p.parse_args(argv)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TerminalProgress:
    """Human-readable progress on a terminal: a bar redrawn in place (percent done, time
    left), and a line for each validation and for the end."""

    BAR = 24

    def __init__(self) -> None:
        self._reset({})

    def _reset(self, start: dict) -> None:
        config = start.get("config") or {}
        self.task = config.get("task", "inpaint")
        self.target = config.get("steps")
        self.t0 = time.monotonic()
        self.shown = 0  # length of the bar on screen (0: none)

    def _out(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def _line(self, text: str) -> None:
        """A message line: the bar is wiped first and redrawn by the next progress line."""
        if self.shown:
            self._out("\r" + " " * self.shown + "\r")
            self.shown = 0
        self._out(text + "\n")

    def _metric(self, metrics: dict | None) -> str:
        m = metrics or {}
        if self.task == "colorize":
            return (f"PSNR {m.get('val_psnr')} dB without hints, "
                    f"{m.get('val_psnr_hints')} dB with 10 hints")
        if self.task == "detect":
            return f"damage F1 {m.get('val_f1')}, IoU {m.get('val_iou')}"
        return f"hole PSNR {m.get('val_psnr')} dB, SSIM {m.get('val_ssim')}"

    def __call__(self, obj: dict) -> None:
        event = obj.get("event")
        if event == "start":
            self._reset(obj)
            self._line(f"training {obj['name']}: {obj['train_photos']} photos, "
                       f"{obj['val_photos']} held out, {len(obj['skipped'])} unreadable; "
                       f"{obj['parameters']:,} parameters, starting at step {obj['step']}")
        elif event == "val":
            self._line(f"validation at step {obj['step']}: {self._metric(obj)}")
        elif event == "done":
            what, key, unit = {"colorize": ("PSNR (no hints)", "val_psnr", " dB"),
                               "detect": ("damage F1", "val_f1", "")}.get(
                self.task, ("hole PSNR", "val_psnr", " dB"))
            before = (obj.get("val_before") or {}).get(key)
            after = (obj.get("val_after") or {}).get(key)
            self._line(f"{obj['reason']} at step {obj['step']}: {what} on held-out photos "
                       f"{before} -> {after}{unit}; weights: {obj.get('weights')}")
            if obj.get("installed"):
                self._line(f"installed: {obj['installed']} (the app lists it as a model)")
            elif obj.get("not_installed"):
                self._line(f"not installed: {obj['not_installed']}")
        elif event is None and "loss" in obj:
            self._bar(obj)

    def _bar(self, obj: dict) -> None:
        step, eta = obj["step"], obj.get("eta_s")
        since = time.monotonic() - self.t0
        done = None
        if self.target:
            done = min(1.0, step / self.target)
        elif eta is not None:
            done = since / max(since + eta, 1e-9)
        parts = []
        if done is not None:
            filled = round(done * self.BAR)
            parts.append(f"[{'#' * filled}{'.' * (self.BAR - filled)}] {100 * done:3.0f}%")
        parts.append(f"step {step}" + (f"/{self.target}" if self.target else ""))
        parts.append(f"loss {obj['loss']:.4f}")
        if obj.get("val_psnr") is not None:
            parts.append(f"val {obj['val_psnr']:.2f} dB")
        elif obj.get("val_f1") is not None:
            parts.append(f"val F1 {obj['val_f1']:.3f}")
        parts.append(f"{obj['img_per_s']:.1f} img/s")
        parts.append(f"{_clock(eta)} left" if eta is not None else f"{_clock(since)} elapsed")
        width = shutil.get_terminal_size((100, 24)).columns - 1
        text = "  ".join(parts)[:width]
        self._out("\r" + text + " " * max(0, self.shown - len(text)))
        self.shown = len(text)


_terminal_emit = TerminalProgress()


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl+C before the run's own stop handler is in place
        print("error: interrupted", file=sys.stderr)
        return 130


def _install_only(args: argparse.Namespace) -> int:
    """``--install-only``: the install that a finished run left for later, one JSON line."""
    from trainer import install
    from trainer.errors import TrainError

    try:
        install.check_name(args.name)
        models_dir = args.models_dir or install.default_models_dir()
        weights, record = install.install_pending(Path(args.out) / args.name, models_dir,
                                                  args.name, anyway=args.install_anyway)
    except TrainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json or not sys.stdout.isatty():
        print(json.dumps({"event": "install", "name": args.name, "installed": str(weights),
                          "scores": record.get("scores")}), flush=True)
    else:
        print(f"installed: {weights} (the app lists it as a model)")
    return 0


def _scan(args: argparse.Namespace) -> int:
    """``--scan``: one ``{"event": "scan", ...}`` line (or a summary on a terminal)."""
    from trainer import scan
    from trainer.errors import TrainError

    try:
        result = scan.scan_folder(args.photos, args.task, args.val_count, args.max_side)
    except TrainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json or not sys.stdout.isatty():
        print(json.dumps(result), flush=True)
    else:
        print(scan.summary(result, args.photos))
    problem = scan.problem(result, args.photos)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
    return 0 if result["ok"] else 2


# JSON-valued options and the run config key each fills (loss weights are merged over the
# architecture's own by Run)
JSON_OPTIONS = {"model_config": "model", "loss_config": "loss", "mask_mix": "mask_mix"}


def _parse_json_options(args) -> str | None:
    """Decode the JSON-valued options in place; the one-line problem, if any."""
    for option in JSON_OPTIONS:
        text = getattr(args, option)
        if not text:
            continue
        try:
            setattr(args, option, json.loads(text))
        except ValueError as exc:
            return f"--{option.replace('_', '-')} {text!r} is not valid JSON ({exc})"
    return None


CROP_RANGE = (32, 1024)  # a net needs a few levels of context; photos are kept <= 1024 px


def _number_problem(args) -> str | None:
    """The one-line problem of a numeric option out of its range (NaN included), if any."""
    def bad(option: str, value, low, high=math.inf, low_ok=True) -> str | None:
        if value is None:
            return None
        if not math.isfinite(value) or value < low or (value == low and not low_ok) \
                or value > high:
            above = f"at least {low:g}" if low_ok else f"above {low:g}"
            limit = above if high == math.inf else f"{above} and at most {high:g}"
            return f"--{option} {value:g} is out of range: it must be {limit}"
        return None

    checks = [
        ("crop", args.crop, *CROP_RANGE), ("batch", args.batch, 1, 4096),
        ("lr", args.lr, 0, 1, False), ("minutes", args.minutes, 0, math.inf, False),
        ("steps", args.steps, 0), ("val-count", args.val_count, 0),
        ("threads", args.threads, 1), ("max-side", args.max_side, CROP_RANGE[0]),
        ("adversarial", args.adversarial, 0), ("log-seconds", args.log_seconds, 0),
        ("val-seconds", args.val_seconds, 0), ("checkpoint-seconds", args.checkpoint_seconds, 0),
        ("checkpoint-steps", args.checkpoint_steps, 1),
    ]
    if args.scale_range:
        lo, hi = args.scale_range
        checks += [("scale-range", lo, 0, 1, False), ("scale-range", hi, lo, 1)]
    for check in checks:
        problem = bad(*check)
        if problem:
            return problem
    return None


def _json_shape_problem(args) -> str | None:
    """JSON options must be objects; the loss weights must be non-negative numbers."""
    # (--mask-mix has its own check: trainer.masks.mix_problem)
    examples = {"model_config": '{"widths": [32, 64, 128]}', "loss_config": '{"hole": 1}'}
    for option, example in examples.items():
        value = getattr(args, option)
        if value is not None and not isinstance(value, dict):
            return (f"--{option.replace('_', '-')} must be a JSON object such as {example}, "
                    f"not {json.dumps(value)[:40]}")
    for key, weight in (args.loss_config or {}).items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
                or not math.isfinite(weight) or weight < 0:
            return (f"--loss-config: the weight of {key!r} must be a number of 0 or more, "
                    f"not {json.dumps(weight)[:40]}")
    return None


def _main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    problem = (_parse_json_options(args) or _json_shape_problem(args)
               or _number_problem(args))
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if not args.photos and not args.install_only:
        print("error: --photos is required (the folder of photos to train on)",
              file=sys.stderr)
        return 2
    if args.scan:
        return _scan(args)  # before the torch import: a scan takes a second, not five
    if not args.name:
        print("error: --name is required (the run's and the model's name)", file=sys.stderr)
        return 2
    if args.install_only:
        return _install_only(args)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, str(args.threads))
    from trainer.device import configure_threads, pick_device
    from trainer.loop import Run, TrainError

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
        "checkpoint_steps": args.checkpoint_steps,
        "amp": args.amp, "arch": args.arch, "adversarial": args.adversarial,
        "max_side": args.max_side,
        "scale_range": list(args.scale_range) if args.scale_range else None,
    }
    for option, key in JSON_OPTIONS.items():
        if getattr(args, option):
            config[key] = getattr(args, option)
    use_json = args.json or not sys.stdout.isatty()
    try:
        install_dir = None
        if not args.no_install:
            from trainer.install import default_models_dir

            install_dir = args.models_dir or default_models_dir()
        run = Run(args.photos, args.name, args.out, config, resume=args.resume,
                  stop_file=args.stop_file, emit=None if use_json else _terminal_emit,
                  device=device, base=args.base, install_dir=install_dir,
                  new_if_missing=args.new_if_missing, install_anyway=args.install_anyway)
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
