"""What fine-tuning buys: held-out quality of one photo domain before and after a short fine-tune.

    .venv/bin/python bench/finetune_gain.py [--minutes 10] [--threads 2]
        [--tasks inpaint,colorize] [--domain-glob PATTERN] [--no-fsr]
        [--inpaint-base W.safetensors] [--colorize-base W.safetensors]
        [--control-photos DIR] [--concurrent] [--tag TAG] [--trainer-args "..."]

The domain is one consistent kind of photo, by default the 48 monument photos
../shared/photos/train/gcompris_explore_monuments_*.jpg. They are split deterministically:
sorted by name, every 4th photo is held out (12), the other 36 are what the fine-tuning sees
(a temporary folder of links to them; the held-out photos are never in it). Each task's base
model (default: the learned model that the app uses by default) is fine-tuned on the 36 by
`python -m trainer --base W --minutes M --threads T --no-install` (so nothing lands in the
user's model folder; the trainer's fine-tune defaults apply: lr 1e-4, the app's scale), and
the run's best weights (else its latest) are compared with the base on the 12 held-out
photos, through the app's engine interface, exactly as the quality benchmarks score engines:

- inpaint: hole PSNR and hole SSIM (bench/inpaint_quality.py) over the three mask kinds of
  bench/masks.py (fixed seed), with `fsr` as the classical reference (`--no-fsr`: it takes
  seconds per photo);
- colorize: RGB PSNR, mean ab error (CIE Lab, lower is better) and colourfulness
  (bench/colorize_quality.py) of automatic mode and with 10 hints sampled from the truth,
  with the gray scan and `levin` (10 hints) as classical references.

The target is a gain of +0.5 dB or more in each PSNR.

A fair base has never seen the domain. The bundled models were trained on all of
../shared/photos/train, the held-out monuments included, so with them the "before" figure is
flattered and the gain understated. The fair setup trains bases on the other photos first
(scripts/domain_bases.sh makes them, about an hour on 2 cores) and passes them with
--inpaint-base / --colorize-base. --control-photos DIR (e.g. ../shared/photos/train; the
domain's photos are left out) also fine-tunes each base for the same budget on those general
photos: the "control" column is what the extra training alone buys, so that "after" minus
"control" is what the user's own photos bring. --concurrent runs all the fine-tunes at once
(each with --threads; with --threads 1 on 2 cores, the domain run and its control take the
wall time of one).

Prints a table and writes bench/out/finetune_gain[-TAG].json and finetune_sheet[-TAG].png
(3 held-out photos per task: input / before / after / truth; inpaint with the object mask,
colorize in automatic mode). `--minutes 0.3 --threads 1 --no-fsr` is a quick end-to-end test.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import colorize_quality  # noqa: E402
import common  # noqa: E402
import inpaint_quality  # noqa: E402
import masks  # noqa: E402

import models  # noqa: E402
from models import engine as eng  # noqa: E402
from models import learned  # noqa: E402
from models.weights import card_path_for  # noqa: E402
from trainer.data import find_photos  # noqa: E402

DOMAIN_GLOB = str(common.SHARED / "photos" / "train" / "gcompris_explore_monuments_*.jpg")
HOLD_EVERY = 4  # every 4th photo (sorted by name) is held out
TARGET_DB = 0.5
HINTS = 10
SHEET_PHOTOS = 3
TASKS = ("inpaint", "colorize")
CLASSICAL = {"inpaint": "fsr", "colorize": "levin"}
# Card fields that steer inference, not the weights: the fine-tuned copy gets the base's, so
# that before and after differ in their weights only.
INFERENCE_FIELDS = ("working_size", "flip_average", "uses_hints")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--domain-glob", default=DOMAIN_GLOB,
                   help="the domain's photos (default: the monuments of ../shared/photos/train)")
    p.add_argument("--tasks", default=",".join(TASKS), help="inpaint,colorize (default both)")
    p.add_argument("--minutes", type=float, default=10.0,
                   help="fine-tuning budget per task, wall clock (default 10)")
    p.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    p.add_argument("--inpaint-base", help="inpainting weights (.safetensors with its card "
                                          "beside; default: the app's default model)")
    p.add_argument("--colorize-base", help="colorizer weights (default: the app's default)")
    p.add_argument("--no-fsr", action="store_true",
                   help="leave out the slow classical fsr reference")
    p.add_argument("--val-count", type=int, default=4,
                   help="of the fine-tuning photos, how many the trainer keeps to pick its "
                        "best weights (default 4)")
    p.add_argument("--lr", type=float, help="fine-tuning learning rate (default: the trainer's)")
    p.add_argument("--seed", type=int, default=0, help="trainer seed (default 0)")
    p.add_argument("--control-photos",
                   help="also fine-tune each base for the same budget on this folder's photos "
                        "(the domain's are left out) and measure that too: what more training "
                        "alone buys, as opposed to training on the domain")
    p.add_argument("--concurrent", action="store_true",
                   help="run the fine-tunes (tasks, control runs) at the same time, each with "
                        "--threads")
    p.add_argument("--tag", default="", help="suffix of the output files (finetune_gain-TAG.json)")
    p.add_argument("--trainer-args", default="",
                   help='more trainer options, e.g. "--crop 128 --scale-range 0.8 1"')
    p.add_argument("--work-dir", help="keep the runs and links here (default: a temporary "
                                      "folder, removed at the end)")
    args = p.parse_args(argv)
    args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = sorted(set(args.tasks) - set(TASKS))
    if unknown or not args.tasks:
        p.error(f"--tasks: unknown {', '.join(unknown) or '(none)'}; choose from "
                f"{', '.join(TASKS)}")
    if args.minutes <= 0 or args.threads < 1:
        p.error("--minutes must be > 0 and --threads >= 1")
    return args


# -------------------------------------------------------------------------------------- setup

def split_domain(pattern: str) -> tuple[list[Path], list[Path]]:
    """(fine-tuning photos, held-out photos): sorted by name, every HOLD_EVERY-th held out."""
    paths = sorted((Path(p) for p in glob.glob(os.path.expanduser(pattern))
                    if p.lower().endswith(common.EXTENSIONS)), key=lambda p: p.name)
    if len(paths) < 2 * HOLD_EVERY:
        sys.exit(f"error: --domain-glob {pattern} matches {len(paths)} photos; "
                 f"need at least {2 * HOLD_EVERY}")
    held = paths[::HOLD_EVERY]
    return [p for p in paths if p not in held], held


def link_photos(paths: list[Path], folder: Path) -> None:
    """The fine-tuning folder: links to the photos (copies where links are not allowed)."""
    folder.mkdir(parents=True)
    for i, path in enumerate(paths):
        target = folder / path.name
        if target.exists():  # same name in two subfolders
            target = folder / f"{i}-{path.name}"
        try:
            target.symlink_to(path.resolve())
        except OSError:
            shutil.copy2(path, target)


def control_photos(folder: str, domain: list[Path]) -> list[Path]:
    """The photos of `folder` (recursively) that are not the domain's: the control run must
    not see the held-out photos either."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        sys.exit(f"error: --control-photos {folder} is not a folder")
    taken = {p.resolve() for p in domain}
    paths = [p for p in find_photos(root) if p.resolve() not in taken]  # as the trainer finds
    if len(paths) < 2 * HOLD_EVERY:
        sys.exit(f"error: --control-photos {folder} has {len(paths)} photos outside the domain")
    return paths


def default_base(task: str) -> Path:
    """The weights of the app's default learned model for `task` (as the app discovers it)."""
    name = models.default_inpainter() if task == "inpaint" else models.default_colorizer()
    for model in learned.discovered():
        if model.name == name:
            return model.weights
    sys.exit(f"error: the app's default {task} engine is {name!r}, a classical one: no learned "
             f"{task} model is bundled ({learned.bundled_folder()}) or in the user's model "
             f"folder; pass --{task}-base WEIGHTS.safetensors")


def check_base(path: str, task: str) -> Path:
    weights = Path(path).expanduser()
    if weights.suffix != ".safetensors" or not weights.is_file():
        sys.exit(f"error: --{task}-base {path}: expected an existing .safetensors file")
    if not card_path_for(weights).is_file():
        sys.exit(f"error: --{task}-base {path}: its model card {card_path_for(weights).name} "
                 "is missing")
    return weights


# ------------------------------------------------------------------------------- fine-tuning

class Progress:
    """One line of progress: redrawn in place on a terminal, else (or when several runs share
    the terminal) every 30 s."""

    def __init__(self, redraw: bool = True) -> None:
        self.tty = redraw and sys.stdout.isatty()
        self.width = 0
        self.last = 0.0

    def show(self, text: str) -> None:
        if self.tty:
            sys.stdout.write("\r" + text + " " * max(0, self.width - len(text)))
            sys.stdout.flush()
            self.width = len(text)
        elif time.monotonic() - self.last >= 30:
            print(text, flush=True)
            self.last = time.monotonic()

    def line(self, text: str) -> None:
        if self.tty and self.width:
            sys.stdout.write("\r" + " " * self.width + "\r")
            self.width = 0
        print(text, flush=True)


def fine_tune(task: str, base: Path, photos: Path, runs: Path, args,
              name: str | None = None) -> dict:
    """Run the trainer as the app does (a subprocess); returns its "done" event plus the
    weights file to measure."""
    name = name or f"bench-{task}"
    cmd = [sys.executable, "-m", "trainer", "--task", task, "--photos", str(photos),
           "--name", name, "--base", str(base), "--minutes", f"{args.minutes:g}",
           "--out", str(runs), "--json", "--val-count", str(args.val_count),
           "--threads", str(args.threads), "--seed", str(args.seed), "--no-install"]
    if args.lr:
        cmd += ["--lr", f"{args.lr:g}"]
    cmd += shlex.split(args.trainer_args)
    progress = Progress(redraw=not args.concurrent)
    progress.line(f"\nfine-tuning {task} ({name}) from {base} on {photos} for "
                  f"{args.minutes:g} min, {args.threads} thread(s)")
    done: dict = {}
    start = time.monotonic()
    with subprocess.Popen(cmd, cwd=common.REPO, stdout=subprocess.PIPE, text=True,
                          bufsize=1) as proc:
        for raw in proc.stdout:
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError:
                progress.line(raw.rstrip())  # a warning of some library: pass it on
                continue
            event = obj.get("event")
            if event == "start":
                progress.line(f"  trainer: {obj['train_photos']} photos to train on, "
                              f"{obj['val_photos']} of them kept aside to pick the best "
                              f"weights; {obj['parameters']:,} parameters")
            elif event == "val":
                progress.line(f"  trainer validation at step {obj['step']}: "
                              f"{obj.get('val_psnr')} dB")
            elif event == "done":
                done = obj
            elif event is None and "loss" in obj:
                eta = obj.get("eta_s")
                progress.show(f"  {name}: step {obj['step']}  loss {obj['loss']:.4f}  "
                              f"{obj['img_per_s']:.1f} img/s"
                              + (f"  {eta / 60:.1f} min left" if eta is not None else ""))
    if proc.returncode != 0 or not done:
        sys.exit(f"error: the trainer failed for {task} (exit status {proc.returncode}): "
                 f"{' '.join(cmd)}")
    run_dir = runs / name
    best = run_dir / "best.safetensors"
    # best.safetensors exists only when a validation beat the base on the trainer's own split
    weights = best if best.is_file() else run_dir / "latest.safetensors"
    progress.line(f"  {done['reason']} at step {done['step']} after "
                  f"{time.monotonic() - start:.0f} s; measuring {weights.name}")
    return {**done, "measured_weights": str(weights),
            "wall_seconds": round(time.monotonic() - start, 1)}


def fine_tune_all(args, train: list[Path], held: list[Path], bases: dict[str, Path],
                  work: Path) -> tuple[dict, dict]:
    """({task: run}, {task: control run}): every fine-tune of the bench, one after the other
    or (--concurrent) all at once."""
    link_photos(train, work / "photos")
    jobs = {("run", task): (work / "photos", f"bench-{task}") for task in args.tasks}
    if args.control_photos:
        link_photos(control_photos(args.control_photos, train + held), work / "control")
        jobs.update({("control", task): (work / "control", f"control-{task}")
                     for task in args.tasks})

    def job(key):
        photos, name = jobs[key]
        return fine_tune(key[1], bases[key[1]], photos, work / "runs", args, name=name)

    with ThreadPoolExecutor(max_workers=len(jobs) if args.concurrent else 1) as pool:
        done = dict(zip(jobs, pool.map(job, jobs), strict=True))
    return ({task: run for (kind, task), run in done.items() if kind == "run"},
            {task: run for (kind, task), run in done.items() if kind == "control"})


def register(pairs: dict[str, tuple[Path, dict]], folder: Path) -> None:
    """Copy each weights file + card into `folder` under its engine name, and let the app's
    discovery register them (and nothing else: the bundled and user models are dropped)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (weights, overrides) in pairs.items():
        card = json.loads(card_path_for(weights).read_text())
        card.update(overrides, name=name, label=name)
        shutil.copyfile(weights, folder / f"{name}.safetensors")
        (folder / f"{name}.json").write_text(json.dumps(card, indent=1))
    learned.discover([(folder, 100)])
    problems = learned.discovery_problems()
    if problems:
        sys.exit("error: " + "; ".join(problems))


# ------------------------------------------------------------------------------- measurement

def measure_inpaint(held: list[Path], fsr: bool, control: bool):
    names = (["before-inpaint", "after-inpaint"] + (["control-inpaint"] if control else [])
             + (["fsr"] if fsr else []))
    engines = {n: models.get_inpainter(n, device="cpu") for n in names}
    kinds = list(masks.KINDS)
    rows, sheet_rows = inpaint_quality.evaluate(engines, held, kinds, SHEET_PHOTOS)
    summary = inpaint_quality.summarize(rows, names, kinds)
    # sheet columns: input+mask, before, after, truth (object masks: the clearest to see)
    sheet = [[row[0], row[1], row[2], row[-1]] for _, kind, row in sheet_rows
             if kind == "object"]
    return rows, summary, sheet


def ab_error(image: np.ndarray, truth: np.ndarray) -> float:
    """Mean Euclidean distance of the CIE ab chroma of `image` from the truth's."""
    diff = eng.rgb_to_lab(image)[..., 1:] - eng.rgb_to_lab(truth)[..., 1:]
    return float(np.mean(np.hypot(diff[..., 0], diff[..., 1])))


def measure_colorize(held: list[Path], control: bool):
    names = (["before-colorize", "after-colorize"] + (["control-colorize"] if control else [])
             + [CLASSICAL["colorize"]])
    engines = {n: models.get_colorizer(n, device="cpu") for n in names}
    rows, sheet, skipped = [], [], []
    for path in held:
        truth = common.load_rgb(path)
        if not eng.is_colour(truth):
            skipped.append(path.name)
            continue
        hints = colorize_quality.sample_hints(truth, HINTS, path.name)
        outputs = colorize_quality.colorize_all(engines, truth, hints)
        scored = colorize_quality.score(path.name, outputs, truth)
        for row, (image, _) in zip(scored, outputs.values(), strict=True):
            row["ab_error"] = ab_error(image, truth)
        rows += scored
        by = {r["method"]: r for r in scored}
        print(f"{path.name:36s} " + "  ".join(
            f"{m}: {by[m]['psnr']:5.2f} dB" for m in
            ("before-colorize, 0 hints", "after-colorize, 0 hints",
             f"before-colorize, {HINTS} hints", f"after-colorize, {HINTS} hints")), flush=True)
        if len(sheet) < SHEET_PHOTOS:
            sheet.append([outputs["gray"][0], outputs["before-colorize, 0 hints"][0],
                          outputs["after-colorize, 0 hints"][0], truth])
    methods = list(dict.fromkeys(r["method"] for r in rows))
    summary = colorize_quality.summarize(rows, methods)
    for method, s in summary.items():
        s["ab_error"] = float(np.mean([r["ab_error"] for r in rows if r["method"] == method]))
    return rows, summary, sheet, skipped


# ------------------------------------------------------------------------------------ report

def gain_row(label: str, reference, before: float, after: float, target: bool,
             higher_better: bool = True, digits: int = 2, control: float | None = None) -> dict:
    gain = after - before
    return {"metric": label, "reference": reference, "before": before, "after": after,
            "gain": gain, "target_met": (gain >= TARGET_DB) if target else None,
            "higher_better": higher_better, "digits": digits, "control": control}


def inpaint_table(summary: dict, fsr: bool) -> list[dict]:
    b, a = summary["before-inpaint"], summary["after-inpaint"]
    c = summary.get("control-inpaint")
    ref = summary.get("fsr") if fsr else None
    rows = [gain_row(f"hole PSNR dB, {k}", ref[k]["psnr"] if ref else None,
                     b[k]["psnr"], a[k]["psnr"], k == "mean",
                     control=c[k]["psnr"] if c else None)
            for k in (*masks.KINDS, "mean")]
    rows.append(gain_row("hole SSIM, mean", ref["mean"]["ssim"] if ref else None,
                         b["mean"]["ssim"], a["mean"]["ssim"], False, digits=4,
                         control=c["mean"]["ssim"] if c else None))
    return rows


def colorize_table(summary: dict) -> list[dict]:
    rows = []
    for hints, ref_method in ((0, "gray"), (HINTS, f"levin, {HINTS} hints")):
        b = summary[f"before-colorize, {hints} hints"]
        a = summary[f"after-colorize, {hints} hints"]
        c = summary.get(f"control-colorize, {hints} hints")
        ref = summary[ref_method]
        mode = "automatic" if hints == 0 else f"{hints} hints"

        def ctl(key, c=c):
            return c[key] if c else None

        rows += [gain_row(f"RGB PSNR dB, {mode}", ref["psnr"], b["psnr"], a["psnr"], True,
                          control=ctl("psnr")),
                 gain_row(f"ab error, {mode}", ref["ab_error"], b["ab_error"], a["ab_error"],
                          False, higher_better=False, control=ctl("ab_error")),
                 gain_row(f"colourfulness, {mode}", ref["colourfulness"], b["colourfulness"],
                          a["colourfulness"], False, digits=1, control=ctl("colourfulness"))]
    truth = summary["true photo"]["colourfulness"]
    rows[-1]["note"] = f"true photos {truth:.1f}"
    return rows


def print_table(title: str, reference: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    control = any(r["control"] is not None for r in rows)
    print(f"  {'metric':28s} {reference:>10s} {'before':>9s} {'after':>9s} {'gain':>9s}"
          + (f" {'control':>9s} {'c. gain':>9s}" if control else "") + "  target")
    for r in rows:
        d = r["digits"]

        def cell(v, d=d):
            return f"{v:9.{d}f}" if v is not None else f"{'-':>9s}"

        target = {True: f"+{TARGET_DB} dB met", False: f"+{TARGET_DB} dB NOT met",
                  None: ""}[r["target_met"]]
        better = "" if r["higher_better"] else " (lower is better)"
        ref = f"{r['reference']:10.{d}f}" if r["reference"] is not None else f"{'-':>10s}"
        extra = (f" {cell(r['control'])} {r['control'] - r['before']:+9.{d}f}"
                 if r["control"] is not None else "")
        line = (f"  {r['metric']:28s} {ref} {cell(r['before'])} {cell(r['after'])} "
                f"{r['gain']:+9.{d}f}{extra}  {target}{better}"
                + (f"  [{r['note']}]" if r.get("note") else ""))
        print(line.rstrip())


# -------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # the measuring half runs in this process: same thread budget as the fine-tuning
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import cv2

    cv2.setNumThreads(args.threads)
    train, held = split_domain(args.domain_glob)
    print(f"domain {args.domain_glob}: {len(train) + len(held)} photos, {len(train)} to "
          f"fine-tune on, {len(held)} held out (every {HOLD_EVERY}th by name: "
          f"{held[0].name} ... {held[-1].name})")
    bases = {}
    for task in args.tasks:
        given = getattr(args, f"{task}_base")
        bases[task] = check_base(given, task) if given else default_base(task)

    work_ctx = None
    if args.work_dir:
        work = Path(args.work_dir).expanduser()
        if work.exists() and any(work.iterdir()):
            sys.exit(f"error: --work-dir {work} is not empty")
    else:
        work_ctx = tempfile.TemporaryDirectory(prefix="finetune-gain-")
        work = Path(work_ctx.name)
    try:
        return _measure(args, train, held, bases, work)
    finally:
        if work_ctx is not None:
            work_ctx.cleanup()


def _measure(args, train: list[Path], held: list[Path], bases: dict[str, Path],
             work: Path) -> int:
    runs, controls = fine_tune_all(args, train, held, bases, work)
    pairs = {}
    for task in args.tasks:
        base_card = json.loads(card_path_for(bases[task]).read_text())
        keep = {k: base_card[k] for k in INFERENCE_FIELDS if k in base_card}
        pairs[f"before-{task}"] = (bases[task], {})
        pairs[f"after-{task}"] = (Path(runs[task]["measured_weights"]), keep)
        if task in controls:
            pairs[f"control-{task}"] = (Path(controls[task]["measured_weights"]), keep)
    register(pairs, work / "models")
    import torch

    torch.set_num_threads(args.threads)

    report = {"domain_glob": args.domain_glob, "fine_tune_photos": [p.name for p in train],
              "held_out_photos": [p.name for p in held], "minutes_per_task": args.minutes,
              "threads": args.threads, "target_db": TARGET_DB, "tasks": {}}
    sheet_rows, tables = [], []
    if "inpaint" in args.tasks:
        print(f"\nmeasuring inpainting on the {len(held)} held-out photos x "
              f"{len(masks.KINDS)} mask kinds")
        rows, summary, sheet = measure_inpaint(held, not args.no_fsr, bool(controls))
        table = inpaint_table(summary, not args.no_fsr)
        tables.append((f"inpaint: mean over {len(held)} held-out photos", "fsr", table))
        sheet_rows += sheet
        report["tasks"]["inpaint"] = {"base": str(bases["inpaint"]), "fine_tune": runs["inpaint"],
                                      "control": controls.get("inpaint"),
                                      "table": table, "summary": summary, "rows": rows}
    if "colorize" in args.tasks:
        print(f"\nmeasuring colorization on the {len(held)} held-out photos (0 and {HINTS} "
              "hints)")
        rows, summary, sheet, skipped = measure_colorize(held, bool(controls))
        table = colorize_table(summary)
        count = len(held) - len(skipped)
        tables.append((f"colorize: mean over {count} held-out colour photos "
                       f"(reference: gray scan / levin with {HINTS} hints)", "classical", table))
        sheet_rows += sheet
        report["tasks"]["colorize"] = {"base": str(bases["colorize"]),
                                       "fine_tune": runs["colorize"],
                                       "control": controls.get("colorize"), "table": table,
                                       "summary": summary, "rows": rows, "skipped": skipped}
    for title, reference, table in tables:
        print_table(title, reference, table)
    tag = f"-{args.tag}" if args.tag else ""
    out = common.write_json(f"finetune_gain{tag}.json", report)
    sheet = common.save_png(f"finetune_sheet{tag}.png", common.sheet(sheet_rows, height=200))
    print(f"\nwrote {out} and {sheet} (rows: {', '.join(args.tasks)}; columns: input "
          "(+mask / gray), before, after, truth)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
