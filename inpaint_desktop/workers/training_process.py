"""The trainer subprocess seen from the GUI: start it, read its JSON lines, stop it.

The app never imports the trainer (design.md): it runs ``python -m trainer ... --json`` in a
QProcess, so a crash or an out-of-memory in training cannot take the open photo down, and
the GUI thread only ever reads a pipe. The trainer prints one JSON object per line:

- ``{"event": "scan", ...}`` (a ``--scan`` run), ``{"event": "start", ...}``,
- progress lines without "event" (``step``, ``loss``, ``eta_s``...),
- ``{"event": "val"}``, ``{"event": "preview", "path"}``, ``{"event": "checkpoint"}``,
- ``{"event": "done", ...}`` last; a failure is ``error: <one line>`` on stderr, status 2;
- ``{"event": "install", "installed", ...}``: the one line of an ``--install-only`` run.

A validation's scores are ``val_psnr`` (erasing, colorizing) or ``val_f1`` (damage
detection), in a progress line or a "val" event.

Stop = create the run's STOP file (the trainer ends after the current step, with a
checkpoint); a trainer that has not exited `stop_grace_ms` later is terminated.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import weakref
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QProcess, QProcessEnvironment, QTimer, Signal

# The program and its first arguments; tests put a fast fake trainer here.
DEFAULT_COMMAND: list[str] = [sys.executable, "-m", "trainer"]
STOP_GRACE_MS = 20000
_STDERR_KEEP = 64 * 1024

SCORE_KEYS = ("val_psnr", "val_f1")  # a line with one of these reports a validation

_processes: weakref.WeakSet[QProcess] = weakref.WeakSet()


def running_processes() -> list[QProcess]:
    """Trainer processes still running (tests check that none is left behind)."""
    alive = []
    for p in list(_processes):
        try:
            if p.state() != QProcess.NotRunning:
                alive.append(p)
        except RuntimeError:  # the C++ object is gone, and its process with it
            pass
    return alive


def _trainer_pythonpath() -> str:
    """PYTHONPATH that lets ``-m trainer`` import the trainer that sits beside this app,
    also when the app was started from another folder."""
    spec = importlib.util.find_spec("trainer")  # finds it without importing (torch) it
    parts = []
    if spec is not None and spec.origin:
        parts.append(str(Path(spec.origin).resolve().parent.parent))
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    return os.pathsep.join(parts)


def _last_error_line(stderr: str) -> str | None:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("error:"):
            return line[len("error:"):].strip()
    return lines[-1] if lines else None


class TrainingProcess(QObject):
    """One trainer run (or scan) at a time. `finished` carries the "done" (or "scan") event
    as a dict, or a one-line error message as a str."""

    started = Signal(object)  # the "start" event
    progress = Signal(object)  # a progress line
    validated = Signal(object)  # a validation ("val" event, or val_psnr in a progress line)
    preview = Signal(str)  # path of a preview PNG
    checkpointed = Signal(object)
    scanned = Signal(object)
    finished = Signal(object)  # dict or error str

    def __init__(self, command: list[str] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.command = list(command or DEFAULT_COMMAND)
        self.stop_grace_ms = STOP_GRACE_MS
        self.last_progress: dict | None = None
        self.last_start: dict | None = None
        self.last_val: dict | None = None
        self._proc: QProcess | None = None
        self._stdout = bytearray()
        self._stderr = bytearray()
        self._result: dict | None = None
        self._stop_file: Path | None = None
        self.stop_requested = False
        self._grace = QTimer(self)
        self._grace.setSingleShot(True)
        self._grace.timeout.connect(self._terminate)
        app = QCoreApplication.instance()
        if app is not None:  # however the app ends, no trainer is left orphaned on a pipe
            app.aboutToQuit.connect(self.kill)

    # --- control ---------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._proc is not None and self._proc.state() != QProcess.NotRunning

    def start(self, args: list[str], stop_file: str | os.PathLike | None = None) -> None:
        if self.is_running():
            raise RuntimeError("the trainer is already running")
        self._stdout.clear()
        self._stderr.clear()
        self._result = None
        self.last_progress = self.last_start = self.last_val = None
        self.stop_requested = False
        self._stop_file = Path(stop_file) if stop_file else None
        proc = QProcess(self)
        proc.setProgram(self.command[0])
        proc.setArguments(self.command[1:] + [str(a) for a in args])
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONPATH", _trainer_pythonpath())
        env.insert("PYTHONUNBUFFERED", "1")  # lines arrive as they are printed
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._read_stdout)
        proc.readyReadStandardError.connect(self._read_stderr)
        proc.finished.connect(self._on_finished)
        proc.errorOccurred.connect(self._on_error)
        self._proc = proc
        _processes.add(proc)
        proc.start()

    def stop(self) -> None:
        """Ask the trainer to stop after its current step (it checkpoints and reports)."""
        if not self.is_running() or self.stop_requested:
            return
        self.stop_requested = True
        if self._stop_file is None:
            self._terminate()
            return
        try:
            self._stop_file.parent.mkdir(parents=True, exist_ok=True)
            self._stop_file.touch()
        except OSError:
            self._terminate()
            return
        self._grace.start(self.stop_grace_ms)

    def kill(self) -> None:
        """End the process now (app exit): SIGTERM first, which the trainer treats as a stop."""
        self._grace.stop()
        proc = self._proc
        if proc is None or proc.state() == QProcess.NotRunning:
            return
        self.stop_requested = True
        proc.terminate()
        if not proc.waitForFinished(5000):
            proc.kill()
            proc.waitForFinished(2000)

    def _terminate(self) -> None:
        if self.is_running():
            self._proc.terminate()
            QTimer.singleShot(5000, self, self._kill_if_running)

    def _kill_if_running(self) -> None:
        if self.is_running():
            self._proc.kill()

    # --- output ----------------------------------------------------------------------------
    def _read_stdout(self) -> None:
        if self._proc is None:
            return
        self._stdout += bytes(self._proc.readAllStandardOutput().data())
        *lines, rest = self._stdout.split(b"\n")  # a read may end in the middle of a line
        self._stdout = bytearray(rest)
        for line in lines:
            self._handle_line(line)

    def _read_stderr(self) -> None:
        if self._proc is None:
            return
        self._stderr += bytes(self._proc.readAllStandardError().data())
        if len(self._stderr) > _STDERR_KEEP:
            del self._stderr[:-_STDERR_KEEP]

    def _handle_line(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace").strip()
        if not text.startswith("{"):
            return
        try:
            obj = json.loads(text)
        except ValueError:
            return
        if not isinstance(obj, dict):
            return
        event = obj.get("event")
        if event is None and "step" in obj:
            self.last_progress = obj
            self.progress.emit(obj)
            if any(obj.get(k) is not None for k in SCORE_KEYS):  # validation merged in
                self._validated(obj)
        elif event == "val":
            self._validated(obj)
        elif event == "start":
            self.last_start = obj
            self.started.emit(obj)
        elif event == "preview" and obj.get("path"):
            self.preview.emit(str(obj["path"]))
        elif event == "checkpoint":
            self.checkpointed.emit(obj)
        elif event == "scan":
            self._result = obj
            self.scanned.emit(obj)
        elif event in ("done", "install"):
            self._result = obj
        # other events: a newer trainer may say more; nothing here depends on it

    def _validated(self, obj: dict) -> None:
        # The trainer reports a validation both in its progress line and as a "val" event.
        last = self.last_val
        key = [obj.get(k) for k in ("step", *SCORE_KEYS)]
        if last is not None and [last.get(k) for k in ("step", *SCORE_KEYS)] == key:
            return
        self.last_val = obj
        self.validated.emit(obj)

    # --- the end ---------------------------------------------------------------------------
    def _on_error(self, error) -> None:
        if error == QProcess.FailedToStart:  # no finished() follows
            message = f"cannot start the trainer ({self._proc.errorString()})"
            self._proc = None
            self._grace.stop()
            self.finished.emit(message)

    def _on_finished(self, code: int, status) -> None:
        proc = self._proc
        if proc is None:
            return
        self._grace.stop()
        self._read_stdout()
        self._read_stderr()
        if self._stdout.strip():
            self._handle_line(bytes(self._stdout))  # a last line without its newline
        self._stdout.clear()
        self._proc = None
        proc.deleteLater()
        stderr = self._stderr.decode("utf-8", errors="replace")
        scan = self._result is not None and self._result.get("event") == "scan"
        if self._result is not None and (code == 0 or scan) and status == QProcess.NormalExit:
            self.finished.emit(self._result)  # a scan of too few photos ends with status 2
        elif self.stop_requested and (self._result is not None or code != 2):
            # Stopped by force (no time to report): the last checkpoint is what remains.
            last = self.last_progress or self.last_start or {}
            self.finished.emit(self._result or {"event": "done", "reason": "stop",
                                                "step": last.get("step"), "forced": True})
        else:
            line = _last_error_line(stderr)
            if code == 2 and line:
                self.finished.emit(line)
            elif status != QProcess.NormalExit:
                self.finished.emit("the trainer stopped unexpectedly"
                                   + (f" ({line})" if line else ""))
            else:
                self.finished.emit(line or f"the trainer ended with exit status {code} "
                                           "and no result")


# ------------------------------------------------------------------------------------------
# Training on after the app closes

# A tiny program that runs trainer commands one after the other, detached from the app.
# Each command's output goes to its log; a STOP file (or a failure) ends the chain.
_CHAIN = """
import json, os, subprocess, sys
jobs, pythonpath = json.loads(sys.argv[1])
env = dict(os.environ, PYTHONPATH=pythonpath, PYTHONUNBUFFERED="1")
for argv, log, stop in jobs:
    with open(log, "ab") as out:
        code = subprocess.call(argv, stdout=out, stderr=out, env=env)
    if code != 0 or os.path.exists(stop):
        break
"""


def start_in_background(jobs: list[tuple[list[str], str, str]],
                        command: list[str] | None = None) -> int | None:
    """Run trainer invocations one after the other in a process that outlives the app.

    `jobs` are (trainer args, log file, stop file). Returns the pid, or None if it did not
    start."""
    base = list(command or DEFAULT_COMMAND)
    chain = [[[*base, *map(str, args)], str(log), str(stop)] for args, log, stop in jobs]
    blob = json.dumps([chain, _trainer_pythonpath()])
    ok, pid = QProcess.startDetached(sys.executable, ["-c", _CHAIN, blob])
    return int(pid) if ok and pid else None
