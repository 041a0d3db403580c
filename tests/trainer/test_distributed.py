"""The same entry point under torchrun: DistributedDataParallel over 2 CPU processes (gloo)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from trainer.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not torch.distributed.is_available(), reason="no torch.distributed")
def test_torchrun_two_cpu_processes(photo_dir, tmp_path):
    model = {"widths": [8, 12, 16], "blocks": 1, "dilations": [1]}
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
        "-m", "trainer", "--photos", str(photo_dir), "--name", "ddp", "--out", str(tmp_path),
        "--steps", "3", "--crop", "32", "--batch", "2", "--val-count", "2", "--threads", "1",
        "--device", "cpu", "--json", "--model-config", json.dumps(model),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    starts = [x for x in lines if x.get("event") == "start"]
    assert len(starts) == 1 and starts[0]["processes"] == 2  # only rank 0 reports
    done = [x for x in lines if x.get("event") == "done"]
    assert len(done) == 1 and done[0]["step"] == 3
    state = load_checkpoint(tmp_path / "ddp" / "checkpoint.pt")
    samplers = state["rng"]["samplers"]
    assert len(samplers) == 2 and samplers[0] != samplers[1]  # each rank saw its own data
