"""Widget-test helpers: a fake trainer in place of ``python -m trainer``, temp model folders,
and a check that no trainer process outlives its test."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

FAKE_TRAINER = Path(__file__).with_name("fake_trainer.py")


@pytest.fixture(autouse=True)
def no_trainer_left_running():
    yield
    from inpaint_desktop.workers.training_process import running_processes

    deadline = time.monotonic() + 5.0
    while running_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    left = running_processes()
    for p in left:  # do not let one failure leave processes for the next tests
        p.kill()
        p.waitForFinished(2000)
    assert not left, "a test left a trainer process running"


@pytest.fixture
def trainer_env(tmp_path, monkeypatch, isolated_settings):
    """The fake trainer as the trainer, and the user's model folder in tmp_path/data.

    Yields (models_dir, runs_dir). Afterwards the model registry is re-read from the
    session's folders, so later tests do not see the models made here."""
    import models.learned
    from inpaint_desktop.workers import training_process

    models_dir = tmp_path / "data" / "models"
    old = os.environ.get(models.learned.MODELS_ENV)
    os.environ[models.learned.MODELS_ENV] = str(models_dir)
    monkeypatch.setattr(training_process, "DEFAULT_COMMAND", [sys.executable, str(FAKE_TRAINER)])
    for var in ("FAKE_TRAINER_ERROR", "FAKE_TRAINER_IGNORE_STOP", "FAKE_TRAINER_NEEDED"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FAKE_TRAINER_DELAY", "0.03")
    monkeypatch.setenv("FAKE_TRAINER_MINUTE", "0.5")
    models.learned.discover()
    yield models_dir, tmp_path / "data" / "runs"
    if old is None:
        os.environ.pop(models.learned.MODELS_ENV, None)
    else:
        os.environ[models.learned.MODELS_ENV] = old
    models.learned.discover()


@pytest.fixture
def photos(tmp_path) -> Path:
    """Nested folders of mixed formats: 5 colour photos, 1 black-and-white, 1 broken file."""
    root = tmp_path / "photos"
    rng = np.random.default_rng(1)
    files = ["a/one.jpg", "a/b/two.png", "three.webp", "four.tiff", "a/five.PNG"]
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(path)
    gray = rng.integers(0, 256, (24, 32), dtype=np.uint8)
    Image.fromarray(np.dstack([gray] * 3)).save(root / "a" / "grandma.png")
    (root / "broken.jpg").write_bytes(b"this is not a photo")
    (root / "notes.txt").write_text("not a photo either, and not counted")
    return root
