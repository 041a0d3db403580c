"""--arch: the seed architectures train, resume bit-exactly, export and run in the app."""

import json
import shutil

import numpy as np
import pytest
import torch

import models
from models import learned
from trainer import __main__ as cli
from trainer import architectures as archs
from trainer import colorize as col
from trainer.checkpoint import load_checkpoint, save_checkpoint
from trainer.errors import TrainError
from trainer.loop import Run, to_tensor_images, to_tensor_masks

COMMON = {"crop": 32, "batch": 2, "val_count": 2, "val_crop": 32, "val_per_photo": 1,
          "max_side": 96, "warmup_steps": 2, "lr": 3e-3, "log_seconds": 0.0}
TINY = {
    "partial_conv": {"task": "inpaint", "model": {"widths": [8, 16, 16], "kernels": [5, 3, 3]}},
    "context_encoder": {"task": "inpaint", "model": {"input_size": 32, "base": 8,
                                                     "max_width": 32, "disc_base": 8}},
    "pix2pix": {"task": "colorize", "model": {"depth": 5, "base": 8, "max_width": 32,
                                              "disc_layers": 2, "disc_base": 8,
                                              "disc_max_width": 32}},
    # the default nets, with the optional PatchGAN term
    "ffc_unet": {"task": "inpaint", "adversarial": 0.1,
                 "model": {"widths": [8, 12, 16], "blocks": 1, "dilations": [1]}},
    "hint_colorizer": {"task": "colorize", "adversarial": 0.1,
                       "model": {"widths": [8, 12, 16], "dilations": [1, 2]}},
}
SEEDS = ["partial_conv", "context_encoder", "pix2pix"]


def config(arch, **kw):
    return {**COMMON, **TINY[arch], "arch": arch, **kw}


def quiet(_obj):
    pass


@pytest.fixture(autouse=True)
def _restore_discovered():
    yield
    learned.discover()  # what importing models found


@pytest.mark.parametrize("arch", SEEDS)
def test_a_few_steps_lower_the_loss(photo_dir, tmp_path, arch):
    run = Run(photo_dir, "learn", tmp_path, config(arch))
    run._load_data()
    run._build()
    assert run.net.name == arch and run.cfg["arch"] == arch
    expect_gan = arch != "partial_conv"
    assert (run.adversary is not None) == expect_gan
    batch = run.sampler.batch(4)
    run.cfg["batch"] = 4
    run.sampler.batch = lambda n: batch  # the same four crops every step
    if run.task == "inpaint":
        targets = (to_tensor_images(batch[0]), to_tensor_masks(batch[1]))
        inputs = targets
    else:
        lum, ab, hints = col.lab_tensors(*batch[:2])
        targets, inputs = (ab,), (lum, hints)

    def loss_now():  # the reconstruction loss, in eval mode (what the app runs)
        run.model.eval()
        with torch.no_grad():
            return float(run.net.loss(run.model(*inputs), *targets,
                                      weights=run.loss_weights)[0])

    first = {k: v.clone() for k, v in run.model.state_dict().items()}
    before = loss_now()
    terms = {}
    for _ in range(40):  # BatchNorm's running statistics (used in eval) need a few too
        loss, terms = run.train_step()
        assert np.isfinite(loss)
    after = loss_now()
    assert after < before * 0.8, (before, after)
    assert any(not torch.equal(first[k], v) for k, v in run.model.state_dict().items())
    if expect_gan:
        assert {"d_real", "d_fake", "gan"} <= set(terms)
    # BatchNorm statistics of the exported (averaged) weights follow the live model
    for name, buf in run.model.named_buffers():
        assert torch.equal(dict(run.ema.named_buffers())[name], buf), name


@pytest.mark.parametrize("arch", [*SEEDS, "ffc_unet"])
def test_resume_continues_exactly(photo_dir, tmp_path, arch):
    Run(photo_dir, "a", tmp_path, config(arch, steps=3), emit=quiet).run()
    Run(photo_dir, "a", tmp_path, config(arch, steps=5), resume=True, emit=quiet).run()
    Run(photo_dir, "b", tmp_path, config(arch, steps=5), emit=quiet).run()
    a = load_checkpoint(tmp_path / "a" / "checkpoint.pt")
    b = load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert a["step"] == b["step"] == 5 and a["config"]["arch"] == arch
    for part in ("model", "ema"):
        for k in b[part]:
            assert torch.equal(a[part][k], b[part][k]), (part, k)
    assert ("adversary" in b) == (arch != "partial_conv")  # the rest train a discriminator
    if arch == "partial_conv":
        return
    for k, v in b["adversary"]["disc"].items():
        assert torch.equal(a["adversary"]["disc"][k], v), k
    da, db = a["adversary"]["optimizer"]["state"], b["adversary"]["optimizer"]["state"]
    assert da.keys() == db.keys() and da
    for i in db:
        for k in db[i]:
            assert torch.equal(da[i][k], db[i][k]), (i, k)
    assert a["rng"]["sampler"] == b["rng"]["sampler"]


def test_partial_conv_has_no_discriminator_unless_asked(photo_dir, tmp_path):
    Run(photo_dir, "p", tmp_path, config("partial_conv", steps=1), emit=quiet).run()
    assert "adversary" not in load_checkpoint(tmp_path / "p" / "checkpoint.pt")
    run = Run(photo_dir, "q", tmp_path, config("partial_conv", adversarial=0.5))
    run._load_data()
    run._build()
    assert run.adversary is not None and run.adversary.weight == 0.5


def install(tmp_path, run_name):
    """The run's latest weights + card, alone in a model folder (as the app finds them)."""
    folder = tmp_path / "models"
    folder.mkdir()
    for ext in ("safetensors", "json"):
        shutil.copy(tmp_path / run_name / f"latest.{ext}", folder / f"{run_name}.{ext}")
    infos = learned.discover([(folder, learned.USER_PRIORITY)])
    assert [i.name for i in infos] == [run_name], learned.discovery_problems()
    return json.loads((folder / f"{run_name}.json").read_text())


@pytest.mark.parametrize("arch", ["partial_conv", "context_encoder"])
def test_exported_inpainter_runs_in_the_app(photo_dir, tmp_path, arch):
    Run(photo_dir, arch, tmp_path, config(arch, steps=2), emit=quiet).run()
    card = install(tmp_path, arch)
    assert card["architecture"] == arch and card["task"] == "inpaint"
    assert card["config"] == {**archs.ARCHS[arch].CONFIG, **TINY[arch]["model"]}
    assert card["training"]["loss"] == archs.ARCHS[arch].loss_defaults
    engine = models.get_inpainter(arch, device="cpu")
    assert isinstance(engine, learned.LearnedInpainter)
    assert not engine.net.training
    if arch == "context_encoder":  # fixed size: crops are shrunk to it
        assert card["working_size"] == engine.working_size == 32
        assert card["adversarial"]["weight"] == 0.001
    else:
        assert "adversarial" not in card
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (45, 70, 3), dtype=np.uint8)
    mask = np.zeros((45, 70), np.uint8)
    mask[10:30, 20:44] = 255
    for strategy in ("crop", "original"):
        result = engine.inpaint(image, mask, models.InpaintOptions(hd_strategy=strategy))
        assert result.shape == image.shape and result.dtype == np.uint8
        assert np.array_equal(result[mask == 0], image[mask == 0])
        assert not np.array_equal(result[mask > 0], image[mask > 0])


def test_exported_pix2pix_colorizes_automatically(photo_dir, tmp_path):
    Run(photo_dir, "p2p", tmp_path, config("pix2pix", steps=2), emit=quiet).run()
    card = install(tmp_path, "p2p")
    assert card["architecture"] == "pix2pix" and card["task"] == "colorize"
    assert card["uses_hints"] is False and card["working_size"] == 256
    assert card["adversarial"]["weight"] == 1.0 and card["training"]["loss"] == {"l1": 100.0}
    info = next(i for i in models.colorizers() if i.name == "p2p")
    assert "automatic only" in info.description
    engine = models.get_colorizer("p2p", device="cpu")
    assert isinstance(engine, learned.LearnedColorizer)
    assert engine.uses_hints is False and not engine.needs_hints
    gray = np.repeat(np.random.default_rng(1).integers(0, 256, (50, 70, 1), np.uint8), 3, 2)
    plain = engine.colorize(gray)
    hinted = engine.colorize(gray, [(10, 10, (255, 0, 0))])
    assert plain.image.shape == gray.shape and plain.image.dtype == np.uint8
    assert np.array_equal(plain.image, hinted.image)  # automatic only: hints change nothing
    # ... and the user is told so, rather than left wondering why their hints did nothing
    assert hinted.notes == [models.engine.NOTE_HINTS_IGNORED] and plain.notes == []


def test_wrong_or_unknown_arch_is_a_one_line_error(photo_dir, tmp_path, capsys):
    def argv(*extra):
        return ["--photos", str(photo_dir), "--name", "x", "--out", str(tmp_path),
                "--steps", "1", "--json", "--no-install", *extra]

    assert cli.main(argv("--task", "inpaint", "--arch", "pix2pix")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pix2pix is a colorize network" in err
    assert cli.main(argv("--task", "colorize", "--arch", "partial_conv")) == 2
    assert "not one for --task colorize" in capsys.readouterr().err
    assert cli.main(argv("--arch", "unet9000")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown --arch 'unet9000'" in err
    assert cli.main(argv("--arch", "partial_conv", "--loss-config", '{"ssim": 1}')) == 2
    assert "unknown loss weight(s) ssim for partial_conv" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_cli_trains_a_seed_arch_and_merges_its_loss_weights(photo_dir, tmp_path, capsys):
    model = json.dumps(TINY["partial_conv"]["model"])
    code = cli.main(["--photos", str(photo_dir), "--name", "pc", "--out", str(tmp_path),
                     "--steps", "2", "--json", "--no-install", "--crop", "32", "--batch", "2",
                     "--val-count", "2", "--arch", "partial_conv", "--model-config", model,
                     "--loss-config", '{"tv": 0.5}'])
    assert code == 0, capsys.readouterr().err
    card = json.loads((tmp_path / "pc" / "latest.json").read_text())
    assert card["architecture"] == "partial_conv"
    assert card["training"]["loss"] == {"hole": 6.0, "valid": 1.0, "tv": 0.5}
    cfg = load_checkpoint(tmp_path / "pc" / "checkpoint.pt")["config"]
    assert cfg["lr"] == 2e-4  # the architecture's own default, since --lr was not given


def test_base_keeps_its_architecture(photo_dir, tmp_path):
    Run(photo_dir, "base", tmp_path, config("partial_conv", steps=1), emit=quiet).run()
    weights = tmp_path / "base" / "latest.safetensors"
    run = Run(photo_dir, "tuned", tmp_path, {**COMMON, "task": "inpaint", "steps": 1},
              base=weights, emit=quiet)
    assert run.net.name == "partial_conv" and run.cfg["arch"] == "partial_conv"
    assert run.cfg["model"]["widths"] == [8, 16, 16]
    assert run.run()["step"] == 1
    with pytest.raises(TrainError, match="does not match the base model"):
        Run(photo_dir, "x", tmp_path, {**COMMON, "arch": "ffc_unet"}, base=weights)
    with pytest.raises(TrainError, match="'partial_conv' model, not one for 'colorize'"):
        Run(photo_dir, "x", tmp_path, {**COMMON, "task": "colorize"}, base=weights)


def test_resume_keeps_the_checkpoint_arch(photo_dir, tmp_path):
    Run(photo_dir, "a", tmp_path, config("partial_conv", steps=1), emit=quiet).run()
    with pytest.raises(TrainError, match="'partial_conv' run: --arch ffc_unet cannot"):
        Run(photo_dir, "a", tmp_path, {"arch": "ffc_unet", "steps": 2}, resume=True)
    run = Run(photo_dir, "a", tmp_path, {"steps": 2}, resume=True, emit=quiet)
    assert run.net.name == "partial_conv"


def test_checkpoint_without_arch_is_the_default_net(photo_dir, tmp_path):
    """A checkpoint of the trainer before --arch: no "arch" / "adversarial" in its config."""
    cfg = {**COMMON, "model": TINY["ffc_unet"]["model"]}
    Run(photo_dir, "old", tmp_path, dict(cfg, steps=2), emit=quiet).run()
    path = tmp_path / "old" / "checkpoint.pt"
    state = load_checkpoint(path)
    assert state["config"]["arch"] == "ffc_unet" and state["config"]["adversarial"] == 0.0
    for key in ("arch", "adversarial"):
        del state["config"][key]
    save_checkpoint(path, state)
    run = Run(photo_dir, "old", tmp_path, dict(steps=3), resume=True, emit=quiet)
    assert run.net.name == "ffc_unet" and run.task == "inpaint"
    assert run.run()["step"] == 3
    assert "adversary" not in load_checkpoint(path)
    card = json.loads((tmp_path / "old" / "latest.json").read_text())
    # the card of the default net has exactly the fields it had before --arch
    assert set(card) == {"architecture", "task", "name", "config", "parameters", "training",
                         "metrics", "weights", "dtype", "bytes", "sha256"}
    assert card["architecture"] == "ffc_unet"
    assert set(card["training"]["loss"]) == {"hole", "valid", "grad", "ssim"}


def test_every_trainable_arch_is_known_to_the_app():
    for name, arch in archs.ARCHS.items():
        app = learned.ARCHITECTURES[name]
        assert app.kind == arch.task and name in archs.TASK_ARCHITECTURES[arch.task]
        assert isinstance(app.build, str)  # imported lazily: `import models` stays torch-free
        net = app.build_net(dict(arch.CONFIG))
        assert type(net) is type(arch.build(dict(arch.CONFIG)))


def test_a_fine_tune_keeps_an_architectures_own_crop(photo_dir, tmp_path):
    """The fine-tune crop (larger, for native-scale objects) is the default net's; the
    Context Encoder's own 128 px crop stays, a partial-conv fine-tune gets the larger one."""
    from trainer.loop import FINE_TUNE_SCALE

    fine_tune_crop = FINE_TUNE_SCALE["inpaint"]["crop"]
    for arch, crop in (("context_encoder", 128), ("partial_conv", fine_tune_crop)):
        Run(photo_dir, arch, tmp_path, config(arch, steps=1), emit=quiet).run()
        base = tmp_path / arch / "latest.safetensors"
        settings = {k: v for k, v in config(arch, steps=1).items() if k not in ("crop", "arch")}
        assert Run(photo_dir, f"{arch}-ft", tmp_path, settings, base=base).cfg["crop"] == crop
