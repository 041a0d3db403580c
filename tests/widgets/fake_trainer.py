"""A fast stand-in for ``python -m trainer --json``: the same protocol, no network, no torch.

The GUI tests run it as the trainer. Steps take FAKE_TRAINER_DELAY seconds (0.03); one
"minute" of budget lasts FAKE_TRAINER_MINUTE seconds (0.5). It honours the STOP file (unless
FAKE_TRAINER_IGNORE_STOP), saves its step for --resume, writes a preview PNG and, at the end,
a weights file + model card into --models-dir. FAKE_TRAINER_ERROR makes it fail like the
real one (``error: ...`` on stderr, status 2); FAKE_TRAINER_NEEDED is the scan's minimum.
FAKE_TRAINER_WORSE makes a run end below its reference: nothing installed, the "done" line
says why with both scores, and ``--install-only --install-anyway`` installs it afterwards
(``install-argv.json`` in the run folder records that call). ``--task detect`` reports F1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import struct
import sys
import time
from pathlib import Path

EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}


def emit(obj: dict, split: bool = False) -> None:
    text = json.dumps(obj) + "\n"
    if split:  # half a line, a pause, the rest: the reader must keep partial lines
        half = len(text) // 2
        sys.stdout.write(text[:half])
        sys.stdout.flush()
        time.sleep(0.02)
        text = text[half:]
    sys.stdout.write(text)
    sys.stdout.flush()


def scan(args) -> int:
    from PIL import Image

    photos, unreadable, monochrome = 0, [], []
    for path in sorted(Path(args.photos).rglob("*")):
        if path.suffix.lower() not in EXTENSIONS:
            continue
        try:
            with Image.open(path) as im:
                rgb = im.convert("RGB")
        except Exception as exc:  # noqa: BLE001
            unreadable.append([str(path), f"not an image ({type(exc).__name__})"])
            continue
        r, g, b = rgb.split()
        if args.task == "colorize" and r.tobytes() == g.tobytes() == b.tobytes():
            monochrome.append([str(path), "black and white"])
            continue
        photos += 1
    needed = int(os.environ.get("FAKE_TRAINER_NEEDED", "3"))
    emit({"event": "scan", "task": args.task, "photos": photos, "unreadable": unreadable,
          "monochrome": monochrome, "needed": needed, "ok": photos >= needed})
    if photos < needed:  # as the real one: the line, then an error and status 2
        print(f"error: found {photos} usable photos; need at least {needed}", file=sys.stderr)
        return 2
    return 0


def safetensors_bytes() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + b"\0\0\0\0"


def install(args, step: int, after: dict) -> str:
    models = Path(args.models_dir)
    models.mkdir(parents=True, exist_ok=True)
    data = safetensors_bytes()
    weights = models / f"{args.name}.safetensors"
    weights.write_bytes(data)
    arch = {"inpaint": "ffc_unet", "colorize": "hint_colorizer",
            "detect": "unet_mask_detector"}[args.task]
    card = {"architecture": arch, "task": args.task, "name": args.name, "config": {},
            "parameters": 1234, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
            "training": {"steps": step, "train_photos": 5, "photos": args.photos},
            "metrics": {"val_last": after}}
    weights.with_suffix(".json").write_text(json.dumps(card))
    return str(weights)


def preview_png(path: Path, step: int) -> None:
    """Rows input / result / truth, as the real one, rewritten in place; the input row is
    red at first, blue later."""
    from PIL import Image

    im = Image.new("RGB", (96, 72), (60, 160, 60))
    im.paste((200, 60, 60) if step < 10 else (60, 60, 200), (0, 0, 96, 24))
    im.paste((90, 90, 90), (0, 48, 96, 72))
    im.save(path)


def metrics(task: str, step: int) -> dict:
    if task == "detect":
        f1 = round(0.4 + 0.01 * step, 4)
        return {"val_f1": f1, "val_iou": round(f1 / (2 - f1), 4), "val_score": f1}
    m = {"val_psnr": round(22.4 + 0.01 * step, 3)}
    if task == "colorize":
        m.update(val_psnr_hints=round(25.0 + 0.01 * step, 3), val_colourfulness=30.0)
    return m


def train(args) -> int:
    if os.environ.get("FAKE_TRAINER_ERROR"):
        print("Traceback noise", file=sys.stderr)
        print(f"error: {os.environ['FAKE_TRAINER_ERROR']}", file=sys.stderr)
        return 2
    run = Path(args.out) / args.name
    if args.resume and not (run / "checkpoint.pt").is_file():
        print(f"error: no checkpoint to resume in {run}", file=sys.stderr)
        return 2
    if not args.resume and (run / "checkpoint.pt").is_file():
        print(f"error: run {args.name} exists: resume it or choose another name",
              file=sys.stderr)
        return 2
    run.mkdir(parents=True, exist_ok=True)
    stop = run / "STOP"
    stop.unlink(missing_ok=True)
    step = int((run / "step.txt").read_text()) if args.resume else 0
    before_file = run / "before.json"
    if not args.resume:
        before_file.write_text(json.dumps(metrics(args.task, 0)))
    before = json.loads(before_file.read_text())
    delay = float(os.environ.get("FAKE_TRAINER_DELAY", "0.03"))
    minute = float(os.environ.get("FAKE_TRAINER_MINUTE", "0.5"))
    (run / "argv.json").write_text(json.dumps(sys.argv[1:]))
    baselines = ({"median": {"val_f1": 0.2, "val_iou": 0.1111}} if args.task == "detect"
                 else {"telea": {"val_psnr": 21.0}})
    emit({"event": "start", "step": step, "name": args.name, "train_photos": 5,
          "val_photos": args.val_count or 2, "skipped": [], "parameters": 1234,
          "val_baselines": baselines})
    emit({"event": "val", "step": step, **metrics(args.task, step)})
    budget = (args.minutes or 0) * minute
    t0 = time.monotonic()
    reason = "done"

    def checkpoint():
        (run / "checkpoint.pt").write_bytes(b"fake")
        (run / "step.txt").write_text(str(step))
        card = {"task": args.task, "name": args.name,
                "training": {"photos": args.photos, "steps": step}}
        (run / "latest.json").write_text(json.dumps(card))
        emit({"event": "checkpoint", "step": step, "path": str(run / "checkpoint.pt"),
              "seconds": 0.01})

    while True:
        elapsed = time.monotonic() - t0
        if args.steps is not None and step >= args.steps:
            reason = "steps"
            break
        if args.minutes is not None and elapsed >= budget:
            reason = "time"
            break
        if stop.exists() and not os.environ.get("FAKE_TRAINER_IGNORE_STOP"):
            reason = "stop"
            break
        time.sleep(delay)
        step += 1
        if args.minutes is not None:
            eta = max(0.0, budget - (time.monotonic() - t0)) / minute * 60
        else:
            eta = (args.steps - step) * delay / minute * 60
        emit({"step": step, "loss": round(0.5 / (1 + 0.1 * step), 5), "lr": 0.001,
              "img_per_s": 40.0, "eta_s": round(eta, 1), "elapsed_s": round(elapsed, 2)},
             split=step % 3 == 0)
        if step % 4 == 0:
            emit({"event": "val", "step": step, **metrics(args.task, step)})
        if step % 5 == 0:
            checkpoint()
        if step in (2, 12):
            path = run / "preview.png"
            preview_png(path, step)
            emit({"event": "preview", "step": step, "path": str(path)})
    checkpoint()
    after = metrics(args.task, step)
    pending = run / "not-installed.json"
    pending.unlink(missing_ok=True)
    if os.environ.get("FAKE_TRAINER_WORSE"):
        key, unit = ("val_f1", "") if args.task == "detect" else ("val_psnr", " dB")
        scores = {"score": round(before[key] - 0.5 * (0.1 if unit == "" else 1), 4),
                  "reference": before[key], "reference_name": "its base model",
                  "metric": "damage F1" if args.task == "detect" else "hole PSNR",
                  "unit": unit}
        pending.write_text(json.dumps({"step": step, "after": after, "scores": scores,
                                       "task": args.task, "photos": args.photos}))
        emit({"event": "done", "reason": reason, "step": step, "val_before": before,
              "val_after": after, "best_step": 0, "weights": str(run / "latest.safetensors"),
              "installed": None, "scores": scores,
              "not_installed": f"its held-out score {scores['score']} is below its base "
                               f"model's {scores['reference']}, so it was not installed"})
        return 0
    installed = install(args, step, after)
    emit({"event": "done", "reason": reason, "step": step, "val_before": before,
          "val_after": after, "weights": str(run / "latest.safetensors"),
          "installed": installed})
    return 0


def install_only(args) -> int:
    run = Path(args.out) / args.name
    (run / "install-argv.json").write_text(json.dumps(sys.argv[1:]))
    pending = run / "not-installed.json"
    if not pending.is_file():
        print(f"error: the run {run} has no finished result waiting to be installed",
              file=sys.stderr)
        return 2
    if not args.install_anyway:
        print("error: its held-out score is below its base model's", file=sys.stderr)
        return 2
    record = json.loads(pending.read_text())
    args.task, args.photos = record["task"], record["photos"]  # as the run's own record
    installed = install(args, record["step"], record["after"])
    pending.unlink()
    emit({"event": "install", "name": args.name, "installed": installed,
          "scores": record["scores"]})
    return 0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--task", default="inpaint")
    p.add_argument("--photos")
    p.add_argument("--name")
    p.add_argument("--out")
    p.add_argument("--models-dir")
    p.add_argument("--minutes", type=float)
    p.add_argument("--steps", type=int)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--base")
    p.add_argument("--crop", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--val-count", type=int)
    p.add_argument("--val-seconds", type=float)
    p.add_argument("--scan", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--install-only", action="store_true")
    p.add_argument("--install-anyway", action="store_true")
    args = p.parse_args()
    if args.install_only:
        return install_only(args)
    return scan(args) if args.scan else train(args)


if __name__ == "__main__":
    sys.exit(main())
