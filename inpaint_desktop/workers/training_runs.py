"""Training runs as the app sees them: the trainer's command line, and the run folders on disk.

A run is a folder ``<runs>/<name>`` that the trainer fills (``checkpoint.pt``, ``latest.json``
...). The app adds ``app-run.json`` (task, photos, budget, status) so that the Train dialog
can list the runs that a Stop, a crash or a closed window left unfinished, and resume them.
Pure Python: no Qt, no torch.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

TASKS = ("inpaint", "colorize", "detect")
TASK_VERBS = {"inpaint": "erasing", "colorize": "colorizing", "detect": "damage detection"}
NAME_SUFFIXES = {"inpaint": "erase", "colorize": "colorize",  # two runs of one request
                 "detect": "detect"}
# The held-out score of each task's progress lines (trainer/loop.py, trainer/validation.py)
SCORE_KEYS = {"inpaint": "val_psnr", "colorize": "val_psnr", "detect": "val_f1"}
RECORD_NAME = "app-run.json"
CHECKPOINT_NAME = "checkpoint.pt"
BACKGROUND_LOG = "background.log"
# A model or run name becomes a file name: keep it to letters, digits, '.', '-', '_'.
NAME_PATTERN = re.compile(r"^\w[\w.-]{0,63}$")


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a model or a run (None if it can)."""
    if not name:
        return "Give the new model a name."
    if not NAME_PATTERN.match(name):
        return "Use letters, digits, '-', '_' and '.' in the name (up to 64)."
    return None


@dataclass
class RunSpec:
    """One invocation of ``python -m trainer`` (a new run, or a resumed one)."""

    task: str
    photos: str
    name: str
    runs_dir: Path
    models_dir: Path
    minutes: float | None = 15.0
    steps: int | None = None
    resume: bool = False
    base: str | None = None
    crop: int | None = None
    lr: float | None = None
    val_count: int | None = None

    @property
    def run_dir(self) -> Path:
        return Path(self.runs_dir) / self.name

    @property
    def stop_file(self) -> Path:
        return self.run_dir / "STOP"

    def args(self) -> list[str]:
        args = ["--task", self.task, "--photos", str(self.photos), "--name", self.name,
                "--out", str(self.runs_dir), "--models-dir", str(self.models_dir)]
        if self.steps is not None:
            args += ["--steps", str(int(self.steps))]
        else:
            minutes = float(self.minutes or 15.0)
            # About ten validations (plot points, preview grids) per run, 20 s to 5 min apart.
            args += ["--minutes", f"{minutes:g}",
                     "--val-seconds", f"{min(300.0, max(20.0, minutes * 6)):g}"]
        if self.resume:
            args.append("--resume")
        else:  # the settings of a resumed run come from its checkpoint
            if self.base:
                args += ["--base", str(self.base)]
            if self.crop:
                args += ["--crop", str(int(self.crop))]
            if self.lr:
                args += ["--lr", f"{self.lr:g}"]
            if self.val_count:
                args += ["--val-count", str(int(self.val_count))]
        return args + ["--json"]

    def budget(self) -> dict:
        return {"steps": self.steps} if self.steps is not None else {"minutes": self.minutes}


def scan_args(task: str, photos: str) -> list[str]:
    return ["--task", task, "--photos", str(photos), "--scan", "--json"]


def install_anyway_args(spec: RunSpec) -> list[str]:
    """The trainer's install of a result that its run kept back (it scored below its base):
    from the run folder, without training (``--install-only``, trainer/install.py)."""
    return ["--name", spec.name, "--out", str(spec.runs_dir), "--models-dir",
            str(spec.models_dir), "--install-only", "--install-anyway", "--json"]


# --------------------------------------------------------------------------------------------
# Run folders


def read_record(run_dir: Path) -> dict:
    try:
        record = json.loads((Path(run_dir) / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def write_record(run_dir: Path, **fields) -> None:
    """Merge `fields` into the run's app-run.json (temp file + rename: never half-written)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    record = {**read_record(run_dir), **fields, "updated": time.time()}
    tmp = run_dir / f".{RECORD_NAME}.tmp"
    try:
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        os.replace(tmp, run_dir / RECORD_NAME)
    except OSError:
        pass  # bookkeeping only: the run itself is not affected


def pid_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if os.name == "nt":  # os.kill would terminate it there; the log's age decides instead
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def last_event(log: Path, event: str) -> dict | None:
    """The last JSON line of `log` whose "event" is `event` (None if none)."""
    try:
        lines = Path(log).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and obj.get("event") == event:
            return obj
    return None


BACKGROUND_STALE_S = 600  # a background run whose log is older than this is not running


@dataclass
class RunFolder:
    name: str
    task: str
    photos: str
    run_dir: Path
    steps: int | None
    status: str  # "stopped", "interrupted", "background", "failed", "kept" (not installed)
    updated: float

    def describe(self) -> str:
        verb = TASK_VERBS.get(self.task, self.task)
        step = f"step {self.steps:,}" if isinstance(self.steps, int) else "not yet trained"
        status = {"background": "training in the background now",
                  "stopped": "stopped", "failed": "ended with an error",
                  "kept": "not installed (below its base)"}.get(
            self.status, "interrupted")
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.updated))
        return f"{self.name}: {verb}, {step}, {status} ({when})"


def _status(run_dir: Path, record: dict) -> str:
    status = record.get("status") or "interrupted"
    if status == "running":
        return "interrupted"  # the app that watched it is gone
    if status == "background":
        log = run_dir / BACKGROUND_LOG
        try:
            fresh = time.time() - log.stat().st_mtime < BACKGROUND_STALE_S
        except OSError:
            fresh = False
        if pid_alive(record.get("pid")) and fresh:
            return "background"
        done = last_event(log, "done")
        if done is None:
            return "interrupted"
        if done.get("not_installed") and not done.get("installed"):
            return "kept"
        return "finished" if done.get("reason") in ("time", "steps", "done") else "stopped"
    return status


def unfinished_runs(runs_dir: Path) -> list[RunFolder]:
    """Runs with a checkpoint that did not end by their budget, or whose result was not
    installed (it scored below its base), newest first."""
    found = []
    try:
        folders = [p for p in Path(runs_dir).iterdir() if p.is_dir()]
    except OSError:
        return []
    for run_dir in folders:
        ckpt = run_dir / CHECKPOINT_NAME
        if not ckpt.is_file():
            continue
        record = read_record(run_dir)
        status = _status(run_dir, record)
        if status == "finished":
            continue
        card = {}
        try:
            card = json.loads((run_dir / "latest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        training = card.get("training") if isinstance(card.get("training"), dict) else {}
        task = record.get("task") or card.get("task")
        photos = record.get("photos") or training.get("photos")
        if task not in TASKS or not photos:
            continue  # nothing to resume it with
        steps = training.get("steps")
        try:
            updated = max(ckpt.stat().st_mtime, float(record.get("updated") or 0))
        except OSError:
            updated = 0.0
        found.append(RunFolder(run_dir.name, task, str(photos), run_dir,
                               steps if isinstance(steps, int) else None, status, updated))
    return sorted(found, key=lambda r: -r.updated)


def name_taken(name: str, runs_dir: Path, models_dir: Path) -> bool:
    return (Path(runs_dir) / name).exists() or \
        (Path(models_dir) / f"{name}.safetensors").exists()


def free_name(base: str, runs_dir: Path, models_dir: Path, suffixes=("",)) -> str:
    """`base`, or `base-2`, `base-3`... so that no run or model of that name (with each of
    `suffixes` appended) exists yet."""
    n = 1
    while True:
        name = base if n == 1 else f"{base}-{n}"
        if not any(name_taken(name + s, runs_dir, models_dir) for s in suffixes):
            return name
        n += 1
