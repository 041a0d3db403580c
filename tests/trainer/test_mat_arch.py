"""--arch mat: MAT trains (bfloat16 autocast and channels-last where the CPU has them, as
the trainer's default), exports a card, and runs in the app."""

import json
import shutil

import numpy as np
import pytest
import torch

import models
from models import learned
from models.nets import mat
from trainer import __main__ as cli
from trainer import architectures as archs
from trainer.loop import Run, to_tensor_images, to_tensor_masks
from trainer.losses import InpaintLossWeights

COMMON = {"crop": 32, "batch": 2, "val_count": 2, "val_crop": 32, "val_per_photo": 1,
          "max_side": 96, "warmup_steps": 2, "lr": 3e-3, "log_seconds": 0.0}
TINY_MODEL = {"widths": [8, 12, 16], "blocks": 2, "heads": 2, "window": 2}


def config(**kw):
    return {**COMMON, "task": "inpaint", "arch": "mat", "model": TINY_MODEL, **kw}


@pytest.fixture(autouse=True)
def _one_thread_and_restore_discovered():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    learned.discover()  # what importing models found


def test_mat_is_a_trainable_inpaint_arch_with_the_default_loss():
    arch = archs.resolve("inpaint", "mat")
    assert arch.build is mat.build and arch.CONFIG == mat.CONFIG
    assert arch.loss_defaults == {"hole": 1.0, "valid": 0.1, "grad": 0.5, "ssim": 0.2}
    assert isinstance(arch.loss_weights(arch.loss_config(None)), InpaintLossWeights)
    assert arch.adversarial == 0.0
    assert "mat" in archs.TASK_ARCHITECTURES["inpaint"]


def test_a_few_steps_lower_the_loss(photo_dir, tmp_path):
    run = Run(photo_dir, "learn", tmp_path, config())
    run._load_data()
    run._build()
    assert run.net.name == "mat" and run.adversary is None
    batch = run.sampler.batch(4)
    run.cfg["batch"] = 4
    run.sampler.batch = lambda n: batch  # the same four crops every step
    images, masks = to_tensor_images(batch[0]), to_tensor_masks(batch[1])

    def loss_now():
        run.model.eval()
        with torch.no_grad():
            return float(run.net.loss(run.model(images, masks), images, masks,
                                      weights=run.loss_weights)[0])

    before = loss_now()
    for _ in range(30):
        loss, _terms = run.train_step()
        assert np.isfinite(loss)
    after = loss_now()
    assert after < before * 0.8, (before, after)


def test_cli_trains_exports_a_card_and_the_app_runs_it(photo_dir, tmp_path, capsys):
    code = cli.main(["--photos", str(photo_dir), "--name", "m", "--out", str(tmp_path),
                     "--steps", "3", "--json", "--no-install", "--crop", "32", "--batch", "2",
                     "--val-count", "2", "--threads", "1", "--arch", "mat",
                     "--model-config", json.dumps(TINY_MODEL)])
    assert code == 0, capsys.readouterr().err
    card = json.loads((tmp_path / "m" / "latest.json").read_text())
    assert card["architecture"] == "mat" and card["task"] == "inpaint"
    assert card["config"] == {**mat.CONFIG, **TINY_MODEL}
    assert card["training"]["loss"] == archs.ARCHS["mat"].loss_defaults
    assert card["parameters"] == mat.parameter_count(mat.build(TINY_MODEL))
    folder = tmp_path / "models"
    folder.mkdir()
    for ext in ("safetensors", "json"):
        shutil.copy(tmp_path / "m" / f"latest.{ext}", folder / f"m.{ext}")
    infos = learned.discover([(folder, learned.USER_PRIORITY)])
    assert [i.name for i in infos] == ["m"], learned.discovery_problems()
    engine = models.get_inpainter("m", device="cpu")
    assert isinstance(engine, learned.LearnedInpainter) and engine.pad_multiple == 8
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (45, 70, 3), dtype=np.uint8)
    mask = np.zeros((45, 70), np.uint8)
    mask[10:30, 20:44] = 255
    for strategy in ("crop", "original"):
        result = engine.inpaint(image, mask, models.InpaintOptions(hd_strategy=strategy))
        assert result.shape == image.shape and result.dtype == np.uint8
        assert np.array_equal(result[mask == 0], image[mask == 0])
        assert not np.array_equal(result[mask > 0], image[mask > 0])
