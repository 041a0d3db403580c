"""The trainer as the app runs it: a subprocess that is stopped, killed and resumed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trainer.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
MODEL = json.dumps({"widths": [8, 12, 16], "blocks": 1, "dilations": [1]})


def start(photo_dir, out, *extra):
    cmd = [sys.executable, "-m", "trainer", "--photos", str(photo_dir), "--name", "p",
           "--out", str(out), "--crop", "32", "--batch", "2", "--val-count", "2",
           "--threads", "1", "--device", "cpu", "--json", "--log-seconds", "0",
           "--model-config", MODEL, *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def read_until(proc, predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        raw = proc.stdout.readline()
        if not raw:
            break
        obj = json.loads(raw)
        lines.append(obj)
        if predicate(obj):
            return lines
    raise AssertionError(f"not seen in time; got {lines[-3:]}")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_with_a_checkpoint(photo_dir, tmp_path):
    proc = start(photo_dir, tmp_path, "--steps", "100000")
    try:
        read_until(proc, lambda o: o.get("step", 0) >= 2 and "loss" in o)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    done = json.loads(out.strip().splitlines()[-1])
    assert done["event"] == "done" and done["reason"] == "stop"
    assert load_checkpoint(tmp_path / "p" / "checkpoint.pt")["step"] == done["step"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_kill_9_then_resume_loses_at_most_one_interval(photo_dir, tmp_path):
    proc = start(photo_dir, tmp_path, "--steps", "100000", "--checkpoint-seconds", "0")
    try:
        lines = read_until(proc, lambda o: o.get("event") == "checkpoint" and o["step"] >= 3)
        proc.kill()  # SIGKILL: no handler runs, no final checkpoint
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    saved = load_checkpoint(tmp_path / "p" / "checkpoint.pt")  # complete, never half-written
    last_ckpt = max(o["step"] for o in lines if o.get("event") == "checkpoint")
    assert saved["step"] >= last_ckpt
    target = saved["step"] + 2
    proc = start(photo_dir, tmp_path, "--steps", str(target), "--resume")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert lines[0]["event"] == "start" and lines[0]["step"] == saved["step"]
    assert lines[-1]["event"] == "done" and lines[-1]["step"] == target
    assert not list((tmp_path / "p").glob(".*.tmp"))  # a killed writer's leftovers are gone
