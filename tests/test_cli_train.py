"""`inpaint-desktop train`: runs `python -m trainer` in a subprocess and relays it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint_desktop.cli import build_parser, default_runs_dir, main, trainer_command

REPO = Path(__file__).resolve().parents[1]
TINY = ["--from-scratch", "--install-anyway",
        "--", "--val-count", "2", "--threads", "1", "--log-seconds", "0",
        "--model-config", json.dumps({"widths": [8, 12, 16], "blocks": 1, "dilations": [1]})]


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(5):
        small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        Image.fromarray(small).resize((72, 56), Image.Resampling.BICUBIC).save(
            folder / f"p{i}.png")
    return folder


@pytest.fixture
def user_models(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "data" / "inpaint-desktop" / "models"
    monkeypatch.setenv("INPAINT_DESKTOP_MODELS", str(folder))
    return folder


def test_options_are_passed_through(tmp_path, user_models):
    args = build_parser().parse_args([
        "train", "--task", "colorize", "--photos", "ph", "--name", "n", "--minutes", "5",
        "--resume", "--base", "b.safetensors", "--device", "cpu", "--json", "--crop", "64",
        "--lr", "0.001", "--batch", "4", "--no-install", "--", "--arch", "pix2pix"])
    cmd = trainer_command(args)
    assert cmd[:3] == [sys.executable, "-m", "trainer"]
    text = " ".join(cmd[3:])
    for part in ("--task colorize", "--photos ph", "--name n", "--minutes 5.0", "--resume",
                 "--base b.safetensors", "--device cpu", "--json", "--crop 64", "--lr 0.001",
                 "--batch 4", "--no-install"):
        assert part in text
    assert cmd[-2:] == ["--arch", "pix2pix"]
    # runs live beside the model folder: <user data>/inpaint-desktop/runs
    assert cmd[cmd.index("--out") + 1] == str(user_models.parent / "runs")
    assert default_runs_dir(tmp_path / "m") == tmp_path / "runs"
    args = build_parser().parse_args(["train", "--task", "inpaint", "--photos", "ph", "--name",
                                      "n", "--out", "o", "--models-dir", "m", "--steps", "9"])
    cmd = trainer_command(args)
    assert cmd[cmd.index("--out") + 1] == "o" and cmd[cmd.index("--models-dir") + 1] == "m"
    assert "--minutes" not in cmd and cmd[cmd.index("--steps") + 1] == "9"


def test_train_runs_and_installs(photos, user_models, capfd):
    status = main(["train", "--task", "inpaint", "--photos", str(photos), "--name", "album",
                   "--steps", "2", "--crop", "32", "--batch", "2", "--device", "cpu", "--json",
                   *TINY])
    out, err = capfd.readouterr()
    assert status == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert lines[0]["event"] == "start" and lines[0]["train_photos"] == 3
    assert {"val", "preview", "checkpoint"} <= {x.get("event") for x in lines}
    done = lines[-1]
    assert done["event"] == "done" and done["step"] == 2
    assert done["installed"] == str(user_models / "album.safetensors")
    assert Path(done["weights"]).parent == user_models.parent / "runs" / "album"


def test_errors_are_one_line_with_status_2(photos, tmp_path, user_models, capfd):
    base = ["train", "--task", "inpaint", "--photos", str(photos), "--json"]
    assert main([*base, "--name", "a/b", "--steps", "1"]) == 2
    assert capfd.readouterr().err.strip() == ("error: invalid name 'a/b': it must not contain "
                                              "/ or \\")
    assert main(base) == 2  # no --name
    assert capfd.readouterr().err.strip() == ("train: --name is required: the name of the run "
                                              "and of the model")
    assert main([*base, "--name", "n", "--steps", "1"]) == 2  # 5 photos, 10 needed
    err = capfd.readouterr().err.strip()
    assert err == f"error: found 5 usable photos in {photos} (0 unreadable); need at least 10: " \
                  "add 5 more"
    assert not (user_models.parent / "runs" / "n").exists()


def test_scan(photos, capfd):
    assert main(["train", "--task", "inpaint", "--photos", str(photos), "--scan", "--json"]) == 2
    out, err = capfd.readouterr()
    assert json.loads(out) == {"event": "scan", "task": "inpaint", "photos": 5,
                               "unreadable": [], "monochrome": [], "needed": 10, "ok": False}
    assert "need at least 10" in err
    assert main(["train", "--task", "inpaint", "--photos", str(photos), "--scan", "--json",
                 "--", "--val-count", "2"]) == 0


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_cleanly_with_a_checkpoint(photos, tmp_path, user_models):
    cmd = [sys.executable, "-m", "inpaint_desktop", "train", "--task", "inpaint", "--photos",
           str(photos), "--name", "stopme", "--steps", "100000", "--crop", "32", "--batch", "2",
           "--device", "cpu", "--json", *TINY]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            if json.loads(line).get("step", 0) >= 2:
                break
        proc.send_signal(signal.SIGINT)  # to the CLI only, as a terminal's Ctrl+C would
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopping after the current step" in err
    done = json.loads(out.strip().splitlines()[-1])
    assert done["event"] == "done" and done["reason"] == "stop"
    checkpoint = user_models.parent / "runs" / "stopme" / "checkpoint.pt"
    assert checkpoint.exists() and done["installed"] == str(user_models / "stopme.safetensors")


def test_train_fine_tunes_the_bundled_model_unless_told(user_models):
    """Issue 20, item 18: as the Train dialog does, not a new network that needs hours."""
    from models.learned import bundled_folder

    def cmd(*extra):
        return trainer_command(build_parser().parse_args(
            ["train", "--task", "inpaint", "--photos", "ph", "--name", "n", *extra]))

    default = cmd()
    base = Path(default[default.index("--base") + 1])
    assert base.parent == bundled_folder() and base.suffix == ".safetensors"
    assert "--base" not in cmd("--from-scratch")
    assert "--base" not in cmd("--", "--arch", "partial_conv")
    colorize = trainer_command(build_parser().parse_args(
        ["train", "--task", "colorize", "--photos", "ph", "--name", "n"]))
    assert Path(colorize[colorize.index("--base") + 1]).parent == bundled_folder()
    assert "--install-anyway" in cmd("--install-anyway") and "--install-anyway" not in default
