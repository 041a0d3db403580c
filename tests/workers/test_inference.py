"""The inference thread: jobs run off the GUI thread, which keeps running."""

import threading
import time

import pytest
from PySide6.QtCore import QTimer

from inpaint_desktop.workers.inference import InferenceThread, Job
from models.engine import Cancelled


@pytest.fixture
def worker(qtbot):
    w = InferenceThread()
    yield w
    assert w.shutdown(5000)


def slow_job(seconds: float, result="done", steps: int = 20):
    def run(engines, cancel, progress):
        for i in range(steps):
            cancel.check()
            time.sleep(seconds / steps)
            progress((i + 1) / steps, f"step {i + 1}")
        return result
    return run


def test_gui_event_loop_keeps_running_during_a_slow_job(qtbot, worker):
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    job = Job("slow", slow_job(0.6))
    progress = []
    worker.progress.connect(lambda j, f, m: progress.append(f))
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        worker.submit(job)
    timer.stop()
    assert blocker.args == [job, "done"]
    # The GUI thread ticked all along: no gap near the job's length.
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) >= 20 and max(gaps) < 0.25
    assert progress[-1] == 1.0
    assert not worker.is_busy()


def test_job_runs_in_another_thread(qtbot, worker):
    seen = []
    job = Job("where", lambda e, c, p: seen.append(threading.get_ident()) or 1)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.submit(job)
    assert seen and seen[0] != threading.get_ident()


def test_cancel_stops_a_running_job(qtbot, worker):
    job = Job("slow", slow_job(5.0, steps=100))
    with qtbot.waitSignal(worker.cancelled, timeout=5000) as blocker:
        worker.submit(job)
        QTimer.singleShot(100, job.cancel.cancel)
    assert blocker.args == [job]


def test_failure_is_reported_as_one_line_and_the_thread_lives_on(qtbot, worker):
    def boom(engines, cancel, progress):
        raise ValueError("mask is 10x10 but the image is 20x20\nmore detail")
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.submit(Job("bad", boom))
    assert blocker.args[1] == "mask is 10x10 but the image is 20x20"
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.submit(Job("ok", lambda e, c, p: 42))


def test_engines_persist_between_jobs(qtbot, worker):
    def load(engines, cancel, progress):
        engines.setdefault("count", 0)
        engines["count"] += 1
        return engines["count"]
    for expected in (1, 2):
        with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
            worker.submit(Job("load", load))
        assert blocker.args[1] == expected


def test_job_raising_cancelled_counts_as_cancelled(qtbot, worker):
    def run(engines, cancel, progress):
        raise Cancelled()
    with qtbot.waitSignal(worker.cancelled, timeout=5000):
        worker.submit(Job("c", run))


def test_shutdown_with_a_job_running_is_clean(qtbot):
    w = InferenceThread()
    w.submit(Job("slow", slow_job(10.0, steps=200)))
    time.sleep(0.1)
    t0 = time.monotonic()
    assert w.shutdown(5000)
    assert time.monotonic() - t0 < 2.0
