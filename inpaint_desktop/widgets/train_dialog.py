"""Train > Fine-tune on my photos: a non-modal dialog that sets up, runs and reports training.

The trainer runs as a subprocess (:class:`TrainingProcess`); the window stays usable, and
closing this dialog only hides it. "Both" tasks are two runs, one after the other. A finished
run's model is installed by the trainer into the user's model folder; the dialog then
re-discovers the models and emits `modelsChanged`, so the engine pickers list it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QStackedWidget, QVBoxLayout

from inpaint_desktop.widgets.train_progress import TrainProgress
from inpaint_desktop.widgets.train_setup import TrainSetup
from inpaint_desktop.workers.training_process import TrainingProcess, start_in_background
from inpaint_desktop.workers.training_runs import (
    BACKGROUND_LOG,
    TASK_VERBS,
    RunSpec,
    write_record,
)

KEEP_TRAINING, STOP_TRAINING, CANCEL_CLOSE = "background", "stop", "cancel"
PICKERS = {"inpaint": "Erase with", "colorize": "Colorize with"}


def _db(value) -> str:
    return f"{value:.1f}" if isinstance(value, (int, float)) else "?"


def _change(before, after) -> str:
    if not (isinstance(before, (int, float)) and isinstance(after, (int, float))):
        return ""
    delta = after - before
    word = "better" if delta > 0.05 else "worse" if delta < -0.05 else "about the same"
    return f" ({delta:+.1f} dB, {word})"


def summarize(spec: RunSpec, result) -> str:
    """What one run achieved, in a few lines for the user."""
    verb = TASK_VERBS[spec.task].capitalize()
    head = f"{verb} (“{spec.name}”)"
    if not isinstance(result, dict):
        return f"{head} failed: {result}"
    before = result.get("val_before") if isinstance(result.get("val_before"), dict) else {}
    after = result.get("val_after") if isinstance(result.get("val_after"), dict) else {}
    lines = []
    if after:
        b, a = before.get("val_psnr"), after.get("val_psnr")
        if spec.task == "colorize":
            text = (f"{head}: PSNR on your held-out photos without hints: "
                    f"{_db(b)} -> {_db(a)} dB{_change(b, a)}")
            bh, ah = before.get("val_psnr_hints"), after.get("val_psnr_hints")
            if ah is not None:
                text += f"; with 10 colour hints: {_db(bh)} -> {_db(ah)} dB{_change(bh, ah)}"
        else:
            text = (f"{head}: hole PSNR on your held-out photos: "
                    f"{_db(b)} -> {_db(a)} dB{_change(b, a)}")
        lines.append(text + ".")
    else:
        lines.append(f"{head}:")
    step = result.get("step")
    step_text = f"step {step:,}" if isinstance(step, int) else "the start"
    if result.get("forced"):
        lines.append(f"Stopped at {step_text} before it could report; Resume continues from "
                     "its last checkpoint.")
    elif result.get("reason") == "stop":
        lines.append(f"Stopped at {step_text}; the best result so far is kept, and Resume "
                     "continues the run.")
    else:
        lines.append(f"Trained to {step_text}.")
    installed = result.get("installed")
    if installed:
        lines.append(f"The new model “{Path(installed).stem}” is in the “{PICKERS[spec.task]}” "
                     "list of the Erase and Colorize panel.")
    return "\n".join(lines)


def close_question(parent) -> tuple[QMessageBox, dict]:
    """The question asked when the main window closes during training: the box (not yet
    shown) and its buttons' answers."""
    box = QMessageBox(QMessageBox.Question, "Training is running",
                      "A training run is still going. Keep it training in the background "
                      "after the window closes?", QMessageBox.NoButton, parent)
    box.setInformativeText(
        "In the background it saves a checkpoint, goes on until its time is up and adds its "
        "model, which the next start of the editor lists. Stopping ends it now and keeps the "
        "best result so far.")
    keep = box.addButton("Keep training in the background", QMessageBox.AcceptRole)
    stop = box.addButton("Stop and keep the result", QMessageBox.DestructiveRole)
    cancel = box.addButton("Cancel closing", QMessageBox.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(cancel)
    return box, {KEEP_TRAINING: keep, STOP_TRAINING: stop, CANCEL_CLOSE: cancel}


def ask_close_while_training(parent) -> str:
    box, buttons = close_question(parent)
    box.exec()
    clicked = box.clickedButton()
    return next((answer for answer, b in buttons.items() if b is clicked), CANCEL_CLOSE)


class TrainDialog(QDialog):
    modelsChanged = Signal()  # a model was installed: re-read the engine lists
    idle = Signal()  # no training runs any more (finished, stopped, failed or handed over)

    def __init__(self, parent=None, command: list[str] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Fine-tune on my photos")
        self.setModal(False)
        self.process = TrainingProcess(command, self)
        self.setup = TrainSetup(command)
        self.view = TrainProgress()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.setup)
        self.pages.addWidget(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.pages)
        self.resize(840, 600)

        self.setup.startRequested.connect(self.start_runs)
        self.setup.resumeRequested.connect(lambda spec: self.start_runs([spec]))
        self.setup.closeRequested.connect(self.close)
        self.view.stop_button.clicked.connect(self.stop)
        self.view.hide_button.clicked.connect(self.close)
        self.view.close_button.clicked.connect(self.close)
        self.view.new_button.clicked.connect(self.show_setup)
        p = self.process
        p.started.connect(self._on_started)
        p.progress.connect(self.view.on_progress)
        p.validated.connect(self.view.on_validated)
        p.preview.connect(self.view.on_preview)
        p.finished.connect(self._on_finished)

        self.current: RunSpec | None = None
        self.queue: list[RunSpec] = []
        self.results: list[tuple[RunSpec, object]] = []
        self._total = 0
        self._stopping = False
        self._background = False
        self.background_pid: int | None = None

    # --- state ---------------------------------------------------------------------------
    def is_training(self) -> bool:
        return self.current is not None

    def show_setup(self) -> None:
        self.setup.training = self.is_training()
        self.setup.refresh()
        self.pages.setCurrentWidget(self.setup)

    # --- runs ----------------------------------------------------------------------------
    def start_runs(self, specs: list[RunSpec]) -> None:
        if self.is_training() or not specs:
            return
        self.queue = list(specs)
        self.results = []
        self._total = len(specs)
        self._stopping = self._background = False
        self.setup.training = True
        self.pages.setCurrentWidget(self.view)
        self._run_next()

    def _run_next(self) -> None:
        spec = self.queue.pop(0)
        self.current = spec
        try:
            spec.stop_file.unlink(missing_ok=True)  # an old request must not stop this run
        except OSError:
            pass
        self.view.begin(spec, self._total - len(self.queue), self._total)
        self.process.start(spec.args(), spec.stop_file)

    def _on_started(self, d: dict) -> None:
        self.view.on_started(d)
        spec = self.current
        if spec is not None:  # the trainer made the run folder by now
            write_record(spec.run_dir, task=spec.task, photos=str(spec.photos), name=spec.name,
                         budget=spec.budget(), status="running")

    def stop(self) -> None:
        """Stop the current run after its step (it keeps its best result); skip the rest."""
        if not self.is_training():
            return
        self._stopping = True
        self.queue.clear()
        self.view.stopping()
        self.process.stop()

    def continue_in_background(self) -> None:
        """The app is closing: let the current run checkpoint, then continue it (and the runs
        still queued) in a process that outlives the app."""
        if not self.is_training():
            return
        self._background = True
        self.view.stopping()
        self.process.stop()

    def _on_finished(self, result) -> None:
        spec = self.current
        self.results.append((spec, result))
        if isinstance(result, dict):
            reason = result.get("reason")
            write_record(spec.run_dir, status="stopped" if reason == "stop" else "finished")
            if result.get("installed"):
                from models.learned import discover

                discover()
                self.modelsChanged.emit()
        else:
            write_record(spec.run_dir, status="failed")
            self.queue.clear()
        if self._background:
            self._hand_over(spec, result)
            return
        if self.queue and not self._stopping:
            self._run_next()
            return
        self.current = None
        self.setup.training = False
        completed = isinstance(result, dict) and result.get("reason") != "stop"
        texts = [summarize(s, r) for s, r in self.results]
        texts += [f"{TASK_VERBS[s.task].capitalize()} (“{s.name}”) was not started."
                  for s in self.queue]
        self.queue.clear()
        self.view.finish("\n\n".join(texts), completed)
        self.idle.emit()

    def _hand_over(self, spec: RunSpec, result) -> None:
        jobs = []
        if isinstance(result, dict) and result.get("reason") == "stop":
            remaining = None
            last = self.process.last_progress or {}
            if spec.minutes and isinstance(last.get("eta_s"), (int, float)):
                remaining = max(last["eta_s"] / 60.0, 0.5)
            jobs.append(RunSpec(spec.task, spec.photos, spec.name, spec.runs_dir,
                                spec.models_dir, minutes=remaining or spec.minutes,
                                steps=spec.steps, resume=True))
        jobs += self.queue
        self.queue.clear()
        if jobs:
            # A run not started yet has no folder: its log waits beside the runs.
            logs = [j.run_dir / BACKGROUND_LOG if j.resume
                    else Path(j.runs_dir) / f"{j.name}-{BACKGROUND_LOG}" for j in jobs]
            self.background_pid = start_in_background(
                [(j.args(), str(log), str(j.stop_file)) for j, log in zip(jobs, logs)],
                self.process.command)
            if self.background_pid and jobs[0].resume:
                write_record(jobs[0].run_dir, status="background", pid=self.background_pid)
        self.current = None
        self.setup.training = False
        self.idle.emit()

    # --- window --------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        if not self.is_training() and self.pages.currentWidget() is self.setup:
            self.setup.refresh()
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self.setup.shutdown()  # a scan is only for this form; showing it again rescans
        super().hideEvent(event)

    def shutdown(self) -> None:
        """The app is going: no trainer or scan may outlive it attached to a pipe."""
        self.setup.shutdown()
        self.process.kill()
