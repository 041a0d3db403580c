"""Learned engines: discovery of weights + cards, building, inpainting, refusing bad files."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import models
from models import learned
from models.nets import inpaint_net
from models.weights import WeightsError
from trainer.checkpoint import export_weights

REPO = Path(__file__).resolve().parents[2]
TINY = {"widths": [8, 12, 16], "blocks": 1, "dilations": [1]}


def export_tiny(folder: Path, stem: str = "tiny", name: str | None = "tiny-ffc") -> Path:
    torch.manual_seed(0)
    net = inpaint_net.build(TINY)
    with torch.no_grad():  # a visible correction, so the net is not just the pyramid fill
        net.head.weight.normal_(0, 0.05)
    card = {"architecture": "ffc_unet", "task": "inpaint", "config": net.config,
            "parameters": inpaint_net.parameter_count(net),
            "training": {"steps": 12, "wall_seconds": 3.0, "train_photos": 4},
            "metrics": {"val_baselines": {"telea": {"val_psnr": 17.5, "val_ssim": 0.6}},
                        "val_last": {"step": 12, "val_psnr": 18.25, "val_ssim": 0.65}}}
    if name:
        card["name"] = name
    path = folder / f"{stem}.safetensors"
    export_weights(net, path, card)
    return path


@pytest.fixture(autouse=True)
def _restore_discovered():
    yield
    learned.discover()  # what importing models found


def test_discovered_model_is_registered_built_and_inpaints(tmp_path):
    export_tiny(tmp_path)
    infos = learned.discover([(tmp_path, learned.BUNDLED_PRIORITY)])
    assert [i.name for i in infos] == ["tiny-ffc"] and learned.discovery_problems() == []
    assert "torch" in sys.modules  # (the test imports it; see the subprocess test below)
    info = models.inpainters()[0]
    assert info.name == "tiny-ffc" and models.default_inpainter() == "tiny-ffc"
    assert info.uses_device and "12 steps" in info.description and "18.25 dB" in info.description
    engine = models.get_inpainter("tiny-ffc", device="cpu")
    assert isinstance(engine, learned.LearnedInpainter)
    assert engine.pad_multiple == 8 and engine.working_size == learned.DEFAULT_WORKING_SIZE == 1024
    assert not engine.net.training
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    mask = np.zeros((40, 48), np.uint8)
    mask[10:25, 12:30] = 255
    result = engine.inpaint(image, mask)
    assert result.shape == image.shape and result.dtype == np.uint8
    assert np.array_equal(result[mask == 0], image[mask == 0])
    assert not np.array_equal(result[mask > 0], image[mask > 0])
    pred = engine._predict(image[:40, :40].copy(), mask[:40, :40].copy())
    assert pred.shape == (40, 40, 3) and pred.dtype == np.uint8


def test_user_models_rank_below_bundled_and_names_never_replace_engines(tmp_path):
    bundled, user = tmp_path / "bundled", tmp_path / "user"
    bundled.mkdir(), user.mkdir()
    export_tiny(bundled, "a", name=None)
    export_tiny(user, "b", name="telea")
    infos = learned.discover([(bundled, learned.BUNDLED_PRIORITY),
                              (user, learned.USER_PRIORITY)])
    assert [(i.name, i.priority) for i in infos] == [("a", 10), ("telea-2", 5)]
    assert models.default_inpainter() == "a"
    assert not isinstance(models.get_inpainter("telea"), learned.LearnedInpainter)
    learned.discover([])
    assert "a" not in [i.name for i in models.inpainters()]


def test_user_folder_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(learned.MODELS_ENV, str(tmp_path))
    assert learned.user_folders() == [tmp_path]
    monkeypatch.delenv(learned.MODELS_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    if sys.platform.startswith("linux"):
        assert learned.user_folders() == [tmp_path / "data" / "inpaint-desktop" / "models"]


def test_checksum_mismatch_is_refused_when_built(tmp_path):
    path = export_tiny(tmp_path)
    data = bytearray(path.read_bytes())
    data[-2] ^= 0x40
    path.write_bytes(bytes(data))  # same size and header: only the checksum can tell
    learned.discover([(tmp_path, 5)])
    with pytest.raises(WeightsError, match="checksum"):
        models.get_inpainter("tiny-ffc", device="cpu")


def test_broken_files_are_skipped_and_listed(tmp_path):
    export_tiny(tmp_path, "good")
    truncated = export_tiny(tmp_path, "truncated", name="t")
    truncated.write_bytes(truncated.read_bytes()[:-100])
    bad_card = export_tiny(tmp_path, "badcard", name="b")
    bad_card.with_suffix(".json").write_text("{oops")
    (tmp_path / "lonely.safetensors").write_bytes(b"\x00" * 16)
    unknown = export_tiny(tmp_path, "unknown", name="u")
    card = unknown.with_suffix(".json")
    card.write_text(card.read_text().replace('"ffc_unet"', '"mystery_net"'))
    infos = learned.discover([(tmp_path, 5), (tmp_path / "missing", 5)])
    assert [i.name for i in infos] == ["tiny-ffc"]
    problems = learned.discovery_problems()
    assert len(problems) == 4 and all("\n" not in p for p in problems)
    text = " | ".join(problems)
    for words in ("truncated.safetensors", "badcard.json is not valid JSON",
                  "lonely.safetensors has no model card", "unknown architecture 'mystery_net'"):
        assert words in text


def test_importing_models_does_not_import_torch(tmp_path):
    export_tiny(tmp_path)
    code = ("import sys, models; assert 'torch' not in sys.modules, 'torch imported'; "
            "print(','.join(i.name for i in models.inpainters()))")
    env = dict(os.environ, INPAINT_DESKTOP_MODELS=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "tiny-ffc" in out.stdout.split(",")
