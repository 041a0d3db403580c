"""The trainer subprocess bridge, run against the fake trainer (tests/widgets/fake_trainer.py)."""

from __future__ import annotations

import json
import sys

import pytest
from PySide6.QtCore import QStandardPaths

from inpaint_desktop import data_folders
from inpaint_desktop.workers.training_process import TrainingProcess, running_processes
from inpaint_desktop.workers.training_runs import RunSpec, scan_args, unfinished_runs


def spec(photos, models_dir, runs_dir, **kw) -> RunSpec:
    return RunSpec(task=kw.pop("task", "inpaint"), photos=str(photos),
                   name=kw.pop("name", "album"), runs_dir=runs_dir, models_dir=models_dir,
                   **{"minutes": None, "steps": 10, **kw})


def test_scan_reports_usable_unreadable_and_monochrome(qtbot, trainer_env, photos):
    proc = TrainingProcess()
    with qtbot.waitSignal(proc.finished, timeout=10000) as done:
        proc.start(scan_args("colorize", str(photos)))
    scan = done.args[0]
    assert scan["event"] == "scan" and scan["ok"]
    assert scan["photos"] == 5  # the gray portrait is skipped for colorizing
    assert [p.endswith("broken.jpg") for p, _ in scan["unreadable"]] == [True]
    assert [p.endswith("grandma.png") for p, _ in scan["monochrome"]] == [True]


def test_a_run_reports_every_kind_of_line_across_partial_reads(qtbot, trainer_env, photos):
    models_dir, runs_dir = trainer_env
    proc = TrainingProcess()
    seen = {"started": [], "progress": [], "validated": [], "preview": [], "checkpointed": []}
    for name, items in seen.items():
        getattr(proc, name).connect(items.append)
    s = spec(photos, models_dir, runs_dir, steps=13)
    with qtbot.waitSignal(proc.finished, timeout=15000) as done:
        proc.start(s.args(), s.stop_file)
    summary = done.args[0]
    assert summary["event"] == "done" and summary["reason"] == "steps"
    assert summary["val_before"]["val_psnr"] == pytest.approx(22.4)
    # Every third progress line arrives in two halves: none may be lost or garbled.
    assert [d["step"] for d in seen["progress"]] == list(range(1, 14))
    assert seen["started"][0]["train_photos"] == 5
    assert [d["step"] for d in seen["validated"]] == [0, 4, 8, 12]
    assert len(seen["preview"]) == 2 and seen["preview"][0].endswith(".png")
    assert seen["checkpointed"]
    assert (models_dir / "album.safetensors").is_file()
    assert not proc.is_running() and not running_processes()


def test_stop_file_ends_the_run_with_its_result(qtbot, trainer_env, photos):
    models_dir, runs_dir = trainer_env
    proc = TrainingProcess()
    s = spec(photos, models_dir, runs_dir, steps=100000)
    proc.start(s.args(), s.stop_file)
    qtbot.waitUntil(lambda: proc.last_progress is not None and proc.last_progress["step"] >= 3,
                    timeout=10000)
    with qtbot.waitSignal(proc.finished, timeout=10000) as done:
        proc.stop()
        assert s.stop_file.exists()
    assert done.args[0]["reason"] == "stop"
    # Stopped, not finished: listed for Resume.
    assert [r.name for r in unfinished_runs(runs_dir)] == ["album"]


def test_a_trainer_that_ignores_the_stop_file_is_terminated(qtbot, trainer_env, photos,
                                                            monkeypatch):
    models_dir, runs_dir = trainer_env
    monkeypatch.setenv("FAKE_TRAINER_IGNORE_STOP", "1")
    proc = TrainingProcess()
    proc.stop_grace_ms = 300
    s = spec(photos, models_dir, runs_dir, steps=100000)
    proc.start(s.args(), s.stop_file)
    qtbot.waitUntil(lambda: proc.last_progress is not None, timeout=10000)
    with qtbot.waitSignal(proc.finished, timeout=10000) as done:
        proc.stop()
    result = done.args[0]
    assert isinstance(result, dict) and result["reason"] == "stop" and result["forced"]


def test_error_line_and_exit_status_2_become_the_message(qtbot, trainer_env, photos,
                                                         monkeypatch):
    models_dir, runs_dir = trainer_env
    monkeypatch.setenv("FAKE_TRAINER_ERROR", "no usable photos in /nowhere")
    proc = TrainingProcess()
    with qtbot.waitSignal(proc.finished, timeout=10000) as done:
        proc.start(spec(photos, models_dir, runs_dir).args())
    assert done.args[0] == "no usable photos in /nowhere"


def test_a_crash_without_an_error_line_is_reported(qtbot, trainer_env):
    proc = TrainingProcess([sys.executable, "-c", "import sys; print('{\"step\": 1'); "
                            "sys.exit(3)"])
    with qtbot.waitSignal(proc.finished, timeout=10000) as done:
        proc.start([])
    assert "exit status 3" in done.args[0]


def test_a_missing_program_is_reported(qtbot, trainer_env, tmp_path):
    proc = TrainingProcess([str(tmp_path / "no-such-python")])
    with qtbot.waitSignal(proc.finished, timeout=10000) as done:
        proc.start([])
    assert done.args[0].startswith("cannot start the trainer")


def test_kill_ends_a_running_trainer_at_once(qtbot, trainer_env, photos):
    models_dir, runs_dir = trainer_env
    proc = TrainingProcess()
    proc.start(spec(photos, models_dir, runs_dir, steps=100000).args())
    qtbot.waitUntil(proc.is_running, timeout=10000)
    proc.kill()  # what the app does when it quits
    assert not proc.is_running() and not running_processes()


def test_resume_passes_only_what_a_resumed_run_may_change(tmp_path):
    s = RunSpec("colorize", "/p", "n", tmp_path / "runs", tmp_path / "models", minutes=7.5,
                base="/b.safetensors", crop=128, lr=2e-4, val_count=4)
    args = s.args()
    assert args[args.index("--minutes") + 1] == "7.5"
    assert args[args.index("--val-seconds") + 1] == "45"  # ten validations in the budget
    assert ["--base", "/b.safetensors"] == args[args.index("--base"):][:2]
    assert "--val-count" in args and args[-1] == "--json"
    s.resume = True
    resumed = s.args()
    assert "--resume" in resumed and "--base" not in resumed and "--crop" not in resumed
    assert resumed[resumed.index("--models-dir") + 1] == str(tmp_path / "models")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG data folder")
def test_models_folder_is_the_one_discovery_searches(monkeypatch, isolated_settings):
    from models.learned import MODELS_ENV, user_folders

    monkeypatch.delenv(MODELS_ENV, raising=False)
    assert data_folders.models_dir() == user_folders()[0]
    assert data_folders.runs_dir() == user_folders()[0].parent / "runs"
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert data_folders.models_dir() == user_folders()[0]
    assert str(data_folders.models_dir()).startswith(
        QStandardPaths.writableLocation(QStandardPaths.GenericDataLocation))


def test_env_override_puts_runs_beside_the_models(monkeypatch, tmp_path):
    import os

    monkeypatch.setenv("INPAINT_DESKTOP_MODELS",
                       os.pathsep.join([str(tmp_path / "m1"), str(tmp_path / "m2")]))
    assert data_folders.models_dir() == tmp_path / "m1"
    assert data_folders.runs_dir() == tmp_path / "runs"


def test_unfinished_runs_lists_stopped_and_interrupted_runs_only(tmp_path):
    from inpaint_desktop.workers.training_runs import write_record

    runs = tmp_path / "runs"
    for name, status in (("a", "stopped"), ("b", "finished"), ("c", "running"), ("d", None)):
        run = runs / name
        run.mkdir(parents=True)
        (run / "checkpoint.pt").write_bytes(b"x")
        (run / "latest.json").write_text(json.dumps(
            {"task": "inpaint", "training": {"photos": "/p", "steps": 40}}))
        if status:
            write_record(run, status=status)
    (runs / "e").mkdir()  # no checkpoint: nothing to resume
    found = {r.name: r.status for r in unfinished_runs(runs)}
    assert found == {"a": "stopped", "c": "interrupted", "d": "interrupted"}


def test_a_run_training_in_the_background_is_listed_as_such(tmp_path):
    import os

    from inpaint_desktop.workers.training_runs import BACKGROUND_LOG, write_record

    run = tmp_path / "runs" / "bg"
    run.mkdir(parents=True)
    (run / "checkpoint.pt").write_bytes(b"x")
    (run / BACKGROUND_LOG).write_text('{"step": 3, "loss": 0.1}\n')
    write_record(run, task="colorize", photos="/p", status="background", pid=os.getpid())
    [found] = unfinished_runs(tmp_path / "runs")
    assert found.status == "background" and "in the background" in found.describe()
    (run / BACKGROUND_LOG).write_text('{"event": "done", "reason": "stop", "step": 9}\n')
    write_record(run, pid=2**22 + 12345)  # gone
    assert unfinished_runs(tmp_path / "runs")[0].status == "stopped"
    (run / BACKGROUND_LOG).write_text('{"event": "done", "reason": "time", "step": 9}\n')
    assert unfinished_runs(tmp_path / "runs") == []


def validations(*lines: bytes) -> list[dict]:
    """The `validated` signals of a TrainingProcess fed these trainer output lines."""
    proc = TrainingProcess()
    seen = []
    proc.validated.connect(seen.append)
    for line in lines:
        proc._handle_line(line + b"\n")
    return seen


def test_a_validation_in_both_the_progress_line_and_a_val_event_counts_once():
    seen = validations(b'{"step": 40, "loss": 0.1, "val_psnr": 21.5}',
                       b'{"event": "val", "step": 40, "val_psnr": 21.5}',
                       b'{"event": "val", "step": 80, "val_psnr": 21.9}')
    assert [v["step"] for v in seen] == [40, 80]


def test_a_detection_run_reports_its_f1_as_validations():
    seen = validations(b'{"event": "val", "step": 0, "val_f1": 0.41, "val_iou": 0.26}',
                       b'{"step": 40, "loss": 0.3, "val_f1": 0.45, "val_iou": 0.29}',
                       b'{"event": "val", "step": 40, "val_f1": 0.45, "val_iou": 0.29}',
                       b'{"step": 41, "loss": 0.3}')
    assert [(v["step"], v["val_f1"]) for v in seen] == [(0, 0.41), (40, 0.45)]


def test_detect_and_install_anyway_command_lines_are_the_real_trainers(tmp_path):
    """What the dialog runs parses with `python -m trainer`'s own options."""
    from inpaint_desktop.workers.training_runs import install_anyway_args
    from trainer.__main__ import parse_args

    s = RunSpec("detect", "/scans", "mine", tmp_path / "runs", tmp_path / "models",
                minutes=5, base="/w/damage-detector.safetensors")
    args = parse_args(s.args())
    assert (args.task, args.photos, args.name, args.base) == \
        ("detect", "/scans", "mine", "/w/damage-detector.safetensors")
    assert parse_args(scan_args("detect", "/scans")).scan
    install = parse_args(install_anyway_args(s))
    assert install.install_only and install.install_anyway and install.name == "mine"
    assert (install.out, install.models_dir) == (str(tmp_path / "runs"),
                                                 str(tmp_path / "models"))


def test_the_one_line_of_an_install_only_run_is_its_result(qtbot, trainer_env, photos,
                                                           monkeypatch):
    from inpaint_desktop.workers.training_runs import install_anyway_args

    models_dir, runs_dir = trainer_env
    monkeypatch.setenv("FAKE_TRAINER_WORSE", "1")
    proc = TrainingProcess()
    s = spec(photos, models_dir, runs_dir, steps=3)
    with qtbot.waitSignal(proc.finished, timeout=10000) as done:
        proc.start(s.args(), s.stop_file)
    assert done.args[0]["installed"] is None and done.args[0]["scores"]["reference"] == 22.4
    with qtbot.waitSignal(proc.finished, timeout=10000) as done:
        proc.start(install_anyway_args(s))
    assert done.args[0] == {"event": "install", "name": "album",
                            "installed": str(models_dir / "album.safetensors"),
                            "scores": done.args[0]["scores"]}
    with qtbot.waitSignal(proc.finished, timeout=10000) as done:
        proc.start(install_anyway_args(s))  # nothing left to install
    assert "no finished result waiting" in done.args[0]


def test_a_run_kept_back_is_listed_for_resume(tmp_path):
    from inpaint_desktop.workers.training_runs import BACKGROUND_LOG, write_record

    runs = tmp_path / "runs"
    for name in ("kept", "bg"):
        run = runs / name
        run.mkdir(parents=True)
        (run / "checkpoint.pt").write_bytes(b"x")
        (run / "latest.json").write_text(json.dumps(
            {"task": "detect", "training": {"photos": "/p", "steps": 40}}))
    write_record(runs / "kept", status="kept")
    (runs / "bg" / BACKGROUND_LOG).write_text(json.dumps(
        {"event": "done", "reason": "time", "step": 40, "installed": None,
         "not_installed": "below its base"}) + "\n")
    write_record(runs / "bg", status="background", pid=2**22 + 12345)  # gone
    found = {r.name: r for r in unfinished_runs(runs)}
    assert {n: r.status for n, r in found.items()} == {"kept": "kept", "bg": "kept"}
    assert found["kept"].describe().startswith(
        "kept: damage detection, step 40, not installed (below its base)")
