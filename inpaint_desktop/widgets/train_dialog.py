"""Train > Fine-tune on my photos: a non-modal dialog that sets up, runs and reports training.

The trainer runs as a subprocess (:class:`TrainingProcess`); the window stays usable, and
closing this dialog only hides it. "Both" tasks are two runs, one after the other. A finished
run's model is installed by the trainer into the user's model folder; the dialog then
re-discovers the models and emits `modelsChanged`, so the engine pickers list it.

A result that scores below its base on the held-out photos (from scratch: below the classical
method) is not installed by the trainer; when the runs are over the dialog asks "Install
anyway?" with both scores, and Yes runs the trainer's own install of the kept-back result
(``--install-only --install-anyway``), No keeps the current model.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QStackedWidget, QVBoxLayout

from inpaint_desktop.widgets.train_progress import TrainProgress, median_f1
from inpaint_desktop.widgets.train_setup import TrainSetup
from inpaint_desktop.workers.training_process import TrainingProcess, start_in_background
from inpaint_desktop.workers.training_runs import (
    BACKGROUND_LOG,
    TASK_VERBS,
    RunSpec,
    install_anyway_args,
    write_record,
)

KEEP_TRAINING, STOP_TRAINING, CANCEL_CLOSE = "background", "stop", "cancel"
PICKERS = {"inpaint": ("Erase with", "Erase and Colorize"),
           "colorize": ("Colorize with", "Erase and Colorize"),
           "detect": ("Detect with", "Restore old photo")}


def _db(value) -> str:
    return f"{value:.1f}" if isinstance(value, (int, float)) else "?"


def _f1(value) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "?"


def _change(before, after, unit: str = "dB", digits: int = 1, tie: float = 0.05) -> str:
    if not (isinstance(before, (int, float)) and isinstance(after, (int, float))):
        return ""
    delta = after - before
    word = "better" if delta > tie else "worse" if delta < -tie else "about the same"
    return f" ({delta:+.{digits}f}{' ' + unit if unit else ''}, {word})"


def _score(value, unit: str) -> str:
    """A held-out score as the trainer's unit says: " dB" (PSNR) or "" (F1)."""
    if not isinstance(value, (int, float)):
        return "?"
    return f"{value:.2f}{unit}" if unit else f"{value:.3f}"


def not_installed(result) -> bool:
    """A finished run whose result the trainer kept back (below its base or reference)."""
    return isinstance(result, dict) and not result.get("installed") \
        and bool(result.get("not_installed"))


def summarize(spec: RunSpec, result, start: dict | None = None) -> str:
    """What one run achieved, in a few lines for the user (`start`: the run's "start" event,
    whose classical baselines a detection run is compared with)."""
    verb = TASK_VERBS[spec.task].capitalize()
    head = f"{verb} (“{spec.name}”)"
    if not isinstance(result, dict):
        return f"{head} failed: {result}"
    before = result.get("val_before") if isinstance(result.get("val_before"), dict) else {}
    after = result.get("val_after") if isinstance(result.get("val_after"), dict) else {}
    lines = []
    if after and spec.task == "detect":
        b, a = before.get("val_f1"), after.get("val_f1")
        text = (f"{head}: damage F1 on your held-out photos (with synthetic damage): "
                f"{_f1(b)} -> {_f1(a)}{_change(b, a, '', 3, 0.005)}")
        median = median_f1((start or {}).get("val_baselines"))
        if median is not None:
            text += f"; the classical median detector: {_f1(median)}"
        lines.append(text + ".")
    elif after:
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
    best = result.get("best_step")
    # (a new network's step 0 is never installed: best_step 0 means "the base" only for a
    # fine-tune)
    if installed and isinstance(best, int) and isinstance(step, int) and best != step:
        if best == 0 and spec.base:
            lines.append("No step scored above the starting model on your held-out photos: "
                         "the new model keeps its weights.")
        elif best > 0:
            lines.append(f"The new model has the weights of step {best:,}, the best on your "
                         "held-out photos.")
    if installed:
        lines.append(installed_text(spec, installed))
    elif not_installed(result):
        lines.append(f"Not installed: {_kept_back_reason(result)}.")
    return "\n".join(lines)


def installed_text(spec: RunSpec, installed: str) -> str:
    picker, panel = PICKERS[spec.task]
    return (f"The new model “{Path(installed).stem}” is in the “{picker}” list of the {panel} "
            "panel.")


def _kept_back_reason(result: dict) -> str:
    scores = result.get("scores") if isinstance(result.get("scores"), dict) else {}
    if not {"score", "reference"} <= set(scores):
        return str(result.get("not_installed")).split(", so it was")[0]
    unit = scores.get("unit", "")
    return (f"its best held-out {scores.get('metric', 'score')} "
            f"{_score(scores['score'], unit)} is below "
            f"{scores.get('reference_name', 'its reference')}'s "
            f"{_score(scores['reference'], unit)}")


def install_question(parent, spec: RunSpec, result: dict) -> QMessageBox:
    """"Install anyway?" for a result that its run kept back, with both scores (not shown
    yet: the caller opens it)."""
    scores = result.get("scores") if isinstance(result.get("scores"), dict) else {}
    what = scores.get("reference_name", "its base model")
    box = QMessageBox(QMessageBox.Question, "Install anyway?",
                      f"“{spec.name}” scored below {what} on your held-out photos, so it was "
                      "not installed. Install it anyway?",
                      QMessageBox.Yes | QMessageBox.No, parent)
    unit = scores.get("unit", "")
    if {"score", "reference"} <= set(scores):
        metric = str(scores.get("metric") or "held-out score")
        detail = (f"{metric[:1].upper() + metric[1:]}: "
                  f"{_score(scores['score'], unit)} for “{spec.name}”, "
                  f"{_score(scores['reference'], unit)} for {what}.")
    else:
        detail = str(result.get("not_installed"))
    box.setInformativeText(
        detail + "\n\nNo keeps your current model; the run stays listed under Unfinished "
        "runs, where Resume trains it longer.")
    box.setDefaultButton(QMessageBox.No)
    box.setEscapeButton(QMessageBox.No)
    box.setWindowModality(Qt.WindowModal)
    return box


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
        self._starts: dict[str, dict] = {}  # run name -> its "start" event
        self._notes: dict[str, list[str]] = {}  # run name -> what happened after its end
        self._total = 0
        self._stopping = False
        self._closing = False  # the app is going: ask nothing
        self._background = False
        self.background_pid: int | None = None
        self.kept_back: list[tuple[RunSpec, dict]] = []  # results to ask about, in order
        self.install_question: QMessageBox | None = None
        self.installing: RunSpec | None = None
        self._not_started: list[RunSpec] = []

    # --- state ---------------------------------------------------------------------------
    def is_training(self) -> bool:
        return self.current is not None

    def is_busy(self) -> bool:
        """Training, asking whether to install a result, or installing it."""
        return self.is_training() or self.installing is not None \
            or self.install_question is not None

    def show_setup(self) -> None:
        self.setup.training = self.is_training()
        self.setup.refresh()
        self.pages.setCurrentWidget(self.setup)

    # --- runs ----------------------------------------------------------------------------
    def start_runs(self, specs: list[RunSpec]) -> None:
        if self.is_busy() or not specs:
            return
        self.queue = list(specs)
        self.results = []
        self._starts.clear()
        self._notes.clear()
        self.kept_back = []
        self._not_started = []
        self._total = len(specs)
        self._stopping = self._background = self._closing = False
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
        if spec is not None:
            self._starts[spec.name] = d
        if spec is not None:  # the trainer made the run folder by now
            write_record(spec.run_dir, task=spec.task, photos=str(spec.photos), name=spec.name,
                         budget=spec.budget(), status="running")

    def stop(self, closing: bool = False) -> None:
        """Stop the current run after its step (it keeps its best result); skip the rest.
        `closing`: the app is going, so a result kept back is not asked about (it stays in
        its run folder)."""
        if not self.is_training():
            return
        self._stopping = True
        self._closing = self._closing or closing
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
        if self.installing is not None:
            self._on_installed(result)
            return
        spec = self.current
        self.results.append((spec, result))
        if isinstance(result, dict):
            reason = result.get("reason")
            # A result kept back stays listed for Resume until it is installed.
            write_record(spec.run_dir, status="kept" if not_installed(result) else
                         "stopped" if reason == "stop" else "finished")
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
        self._not_started = list(self.queue)
        self.queue.clear()
        self.view.finish(self.summary_text(), completed)
        self.kept_back = [] if self._closing else \
            [(s, r) for s, r in self.results if not_installed(r)]
        if self.kept_back:
            self._ask_next()
        else:
            self.idle.emit()

    def summary_text(self) -> str:
        texts = []
        for s, r in self.results:
            text = summarize(s, r, self._starts.get(s.name))
            texts.append("\n".join([text, *self._notes.get(s.name, [])]))
        texts += [f"{TASK_VERBS[s.task].capitalize()} (“{s.name}”) was not started."
                  for s in self._not_started]
        return "\n\n".join(texts)

    # --- a result kept back ----------------------------------------------------------------
    def _ask_next(self) -> None:
        """Ask about the next result kept back; when none is left, the dialog is idle."""
        self.view.summary.setText(self.summary_text())
        if not self.kept_back:
            self.view.new_button.setEnabled(True)
            self.idle.emit()
            return
        spec, result = self.kept_back[0]
        if not self.isVisible():  # hidden while it trained: the question needs the dialog
            self.show()
        self.raise_()
        self.view.new_button.setEnabled(False)
        box = install_question(self, spec, result)
        self.install_question = box
        box.finished.connect(lambda _code, box=box: self._answered(box))
        box.open()

    def _answered(self, box: QMessageBox) -> None:
        if box is not self.install_question or not self.kept_back:
            return
        self.install_question = None
        box.deleteLater()
        spec, _result = self.kept_back.pop(0)
        if box.clickedButton() is box.button(QMessageBox.Yes):
            self.installing = spec
            self.view.status_label.setText(f"Installing “{spec.name}”...")
            self.process.start(install_anyway_args(spec))
            return
        self._notes.setdefault(spec.name, []).append(
            "Your current model stays in use. The run is kept (New training... lists it under "
            "Unfinished runs, where Resume trains it longer).")
        self._ask_next()

    def _on_installed(self, result) -> None:
        spec, self.installing = self.installing, None
        self.view.status_label.setText("")
        notes = self._notes.setdefault(spec.name, [])
        if isinstance(result, dict) and result.get("installed"):
            notes.append("Installed anyway. " + installed_text(spec, result["installed"]))
            write_record(spec.run_dir, status="finished")
            from models.learned import discover

            discover()
            self.modelsChanged.emit()
        else:  # an error line, or the install was ended by force (the app closing)
            why = result if isinstance(result, str) else "the install was interrupted"
            notes.append(f"Could not install it: {why}. Your current model stays in use.")
        self._ask_next()

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
        self._closing = True
        self.kept_back = []
        if self.install_question is not None:
            box, self.install_question = self.install_question, None
            box.done(QMessageBox.No)
        self.setup.shutdown()
        self.process.kill()
