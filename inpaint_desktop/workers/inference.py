"""One long-lived inference thread that owns the engines.

The GUI submits a Job (copies of its inputs, the document revision, a cancel flag);
the worker runs it off the GUI thread and reports progress, a result or an error
through queued signals. Jobs run one at a time in submission order, so model calls
never overlap and weights load once (the worker keeps engines in `engines`).
"""

from __future__ import annotations

import itertools
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from models.engine import Cancelled, CancelToken

_job_ids = itertools.count(1)
_threads: weakref.WeakSet[QThread] = weakref.WeakSet()


def running_qthreads() -> list[QThread]:
    """Worker QThreads still running (the tests fail any test that leaves one)."""
    alive = []
    for t in list(_threads):
        try:
            if t.isRunning():
                alive.append(t)
        except RuntimeError:  # the C++ object is already gone
            pass
    return alive


@dataclass
class Job:
    """`run(engines, cancel, progress)` does the work in the worker thread and returns the
    result; `progress(fraction, message)` may be called from it. `cancel` is the engines'
    own CancelToken, so a job hands it straight to the engine."""

    title: str
    run: Callable[[dict, CancelToken, Callable[[float, str], None]], Any]
    revision: int = 0
    id: int = field(default_factory=lambda: next(_job_ids))
    cancel: CancelToken = field(default_factory=CancelToken)


class _Worker(QObject):
    progress = Signal(int, float, str)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.engines: dict[str, Any] = {}  # loaded engines, kept for the next job

    @Slot(object)
    def run_job(self, job: Job) -> None:
        if job.cancel.cancelled:
            self.cancelled.emit(job.id)
            return
        try:
            result = job.run(self.engines, job.cancel,
                             lambda f, m="": self.progress.emit(job.id, float(f), str(m)))
        except Exception as e:  # noqa: BLE001 - every failure is reported, none kills the thread
            if job.cancel.cancelled or isinstance(e, Cancelled):
                self.cancelled.emit(job.id)
            else:
                traceback.print_exc()
                message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                self.failed.emit(job.id, message)
            return
        if job.cancel.cancelled:
            self.cancelled.emit(job.id)
        else:
            self.finished.emit(job.id, result)


class InferenceThread(QObject):
    """GUI-side handle of the worker thread. Signals arrive in the GUI thread."""

    progress = Signal(object, float, str)  # job, fraction, message
    finished = Signal(object, object)  # job, result
    failed = Signal(object, str)  # job, one-line message
    cancelled = Signal(object)  # job
    busyChanged = Signal(bool)
    _submit = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("inference")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.run_job)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._jobs: dict[int, Job] = {}
        _threads.add(self._thread)
        self._thread.start()

    def submit(self, job: Job) -> Job:
        self._jobs[job.id] = job
        self._submit.emit(job)
        if len(self._jobs) == 1:
            self.busyChanged.emit(True)
        return job

    def is_busy(self) -> bool:
        return bool(self._jobs)

    def pending(self) -> list[Job]:
        return list(self._jobs.values())

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            job.cancel.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel what runs, stop the thread and wait for it; True if it stopped."""
        self.cancel_all()
        self._thread.quit()
        stopped = self._thread.wait(timeout_ms)
        self._jobs.clear()
        return stopped

    def _done(self, job_id: int) -> Job | None:
        job = self._jobs.pop(job_id, None)
        if not self._jobs:
            self.busyChanged.emit(False)
        return job

    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        job = self._jobs.get(job_id)
        if job is not None and not job.cancel.cancelled:
            self.progress.emit(job, fraction, message)

    def _on_finished(self, job_id: int, result: object) -> None:
        job = self._done(job_id)
        if job is not None:
            self.finished.emit(job, result)

    def _on_failed(self, job_id: int, message: str) -> None:
        job = self._done(job_id)
        if job is not None:
            self.failed.emit(job, message)

    def _on_cancelled(self, job_id: int) -> None:
        job = self._done(job_id)
        if job is not None:
            self.cancelled.emit(job)
