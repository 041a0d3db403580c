"""Installing a finished run into the user's model folder: card, atomicity, name guards."""

import json
from pathlib import Path

import pytest
import torch

from models import learned
from models.weights import check_safetensors_header, load_card, sha256_of
from trainer import __main__ as cli
from trainer import install
from trainer.loop import Run as _Run
from trainer.loop import TrainError


def Run(*args, **kwargs):  # noqa: N802 - the real Run, installing even a poor result
    """Tiny nets trained for a few steps score below Telea; these tests are about installing,
    so they install anyway (test_a_run_below_its_reference_is_not_installed checks the rule)."""
    kwargs.setdefault("install_anyway", True)
    return _Run(*args, **kwargs)

TINY = {
    "crop": 32, "batch": 2, "val_count": 2, "val_crop": 32, "val_per_photo": 1,
    "max_side": 96, "warmup_steps": 2, "log_seconds": 0.0,
    "model": {"widths": [8, 12, 16], "blocks": 1, "dilations": [1]},
}


def tiny(**kw):
    return {**TINY, **kw}


def quiet(_obj):
    pass


def test_a_finished_run_is_installed_with_its_card(photo_dir, tmp_path):
    models = tmp_path / "models"
    run = Run(photo_dir, "mine", tmp_path / "runs", tiny(steps=3), emit=quiet,
              install_dir=models)
    summary = run.run()
    weights = models / "mine.safetensors"
    assert summary["installed"] == str(weights)
    assert sorted(p.name for p in models.iterdir()) == ["mine.json", "mine.safetensors"]
    card = load_card(weights.with_suffix(".json"))
    assert card["name"] == "mine" and card["weights"] == "mine.safetensors"
    assert card["sha256"] == sha256_of(weights)
    check_safetensors_header(weights, card["bytes"])
    assert card["base"] is None  # trained from scratch
    training = card["training"]
    assert training["photos"] == str(photo_dir) and training["photo_count"] == 6
    assert training["run_id"] == run.cfg["run_id"] and training["steps"] <= 3
    assert card["metrics"]["before"] == summary["val_before"]
    assert set(card["metrics"]["after"]) == {"val_psnr", "val_ssim"}
    source = run.run_dir / training["source"]
    assert source.read_bytes() == weights.read_bytes()  # best (else latest), copied as is
    net = learned.load_net(weights, card)  # what the app does with it: checks the sha256
    assert net is not None


def test_fine_tuned_card_names_its_base(photo_dir, tmp_path):
    Run(photo_dir, "base", tmp_path, tiny(steps=1), emit=quiet).run()
    base = tmp_path / "base" / "latest.safetensors"
    summary = Run(photo_dir, "tuned", tmp_path, tiny(steps=2), emit=quiet, base=base,
                  install_dir=tmp_path / "models").run()
    card = json.loads((tmp_path / "models" / "tuned.json").read_text())
    assert card["base"]["path"] == str(base) and card["base"]["name"] == "base"
    assert card["metrics"]["before"] == summary["val_before"]


def test_the_same_run_resumed_replaces_its_model_another_is_refused(photo_dir, tmp_path):
    models = tmp_path / "models"
    Run(photo_dir, "m", tmp_path / "a", tiny(steps=2), emit=quiet, install_dir=models).run()
    first = json.loads((models / "m.json").read_text())
    summary = Run(photo_dir, "m", tmp_path / "a", tiny(steps=3), resume=True, emit=quiet,
                  install_dir=models).run()
    assert summary["installed"] == str(models / "m.safetensors")
    again = json.loads((models / "m.json").read_text())
    assert again["training"]["run_id"] == first["training"]["run_id"]
    with pytest.raises(TrainError, match="a model named 'm' already exists in .*not from this run"):
        Run(photo_dir, "m", tmp_path / "b", tiny(steps=1), install_dir=models)
    (models / "own.safetensors").write_bytes(b"a file the user put there")
    with pytest.raises(TrainError, match="'own' already exists"):
        Run(photo_dir, "own", tmp_path / "b", tiny(steps=1), install_dir=models)
    assert (models / "own.safetensors").read_bytes() == b"a file the user put there"


def full_disk_for(monkeypatch, folder, names=None):
    """Temp files in ``folder`` (those for ``names`` only, if given) fail as on a full disk."""
    import tempfile

    real = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        prefix, where = kwargs.get("prefix", ""), kwargs.get("dir")
        if where is not None and Path(where) == folder and (
                names is None or any(prefix.startswith(f".{n}.") for n in names)):
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def test_a_failed_install_is_one_line_and_keeps_the_run(photo_dir, tmp_path, monkeypatch):
    models = tmp_path / "models"
    full_disk_for(monkeypatch, models)
    with pytest.raises(TrainError) as info:
        Run(photo_dir, "x", tmp_path / "runs", tiny(steps=1), emit=quiet,
            install_dir=models).run()
    message = str(info.value)
    assert "\n" not in message and "No space left on device" in message
    assert message.endswith(f"the trained weights are in {tmp_path / 'runs' / 'x'}")
    assert (tmp_path / "runs" / "x" / "latest.safetensors").exists()
    assert not models.exists() or not list(models.iterdir())


def test_a_failed_reinstall_keeps_the_working_model(photo_dir, tmp_path, monkeypatch):
    """Issue 20, item 1: the card's write fails (full disk) after the new weights are written:
    the old weights + card stay as they were, a pair that the app still loads."""
    models = tmp_path / "models"
    Run(photo_dir, "m", tmp_path, tiny(steps=2), emit=quiet, install_dir=models).run()
    before = {p.name: p.read_bytes() for p in models.iterdir()}
    with monkeypatch.context() as m:
        full_disk_for(m, models, names=["m.json"])
        with pytest.raises(TrainError, match="No space left on device"):
            Run(photo_dir, "m", tmp_path, tiny(steps=3), resume=True, emit=quiet,
                install_dir=models).run()
    assert {p.name: p.read_bytes() for p in models.iterdir()} == before  # no temp file either
    weights = models / "m.safetensors"
    assert learned.load_net(weights, load_card(weights.with_suffix(".json"))) is not None
    # the same run resumed later installs its new weights
    Run(photo_dir, "m", tmp_path, tiny(steps=4), resume=True, emit=quiet,
        install_dir=models).run()
    card = load_card(weights.with_suffix(".json"))
    assert card["sha256"] == sha256_of(weights) and card["training"]["steps"] == 4


def test_a_failed_rename_puts_the_old_card_back(photo_dir, tmp_path, monkeypatch):
    import os

    models = tmp_path / "models"
    Run(photo_dir, "m", tmp_path, tiny(steps=2), emit=quiet, install_dir=models).run()
    before = {p.name: p.read_bytes() for p in models.iterdir()}
    real = os.replace

    def replace(src, dst):
        if Path(dst) == models / "m.safetensors":
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(TrainError, match="Input/output error"):
        Run(photo_dir, "m", tmp_path, tiny(steps=3), resume=True, emit=quiet,
            install_dir=models).run()
    assert {p.name: p.read_bytes() for p in models.iterdir()} == before


def test_resume_after_a_first_install_failed_on_a_full_disk(photo_dir, tmp_path, monkeypatch):
    """A failed first install leaves nothing in the model folder that would make the resumed
    run look like another run's model."""
    models = tmp_path / "models"
    with monkeypatch.context() as m:
        full_disk_for(m, models, names=["m.json"])
        with pytest.raises(TrainError):
            Run(photo_dir, "m", tmp_path, tiny(steps=1), emit=quiet, install_dir=models).run()
    assert not models.exists() or not list(models.iterdir())
    summary = Run(photo_dir, "m", tmp_path, tiny(steps=2), resume=True, emit=quiet,
                  install_dir=models).run()
    assert summary["installed"] == str(models / "m.safetensors")


def cli_argv(photo_dir, out, *extra):
    return ["--photos", str(photo_dir), "--name", "c", "--out", str(out), "--steps", "1",
            "--json", "--install-anyway", "--crop", "32", "--batch", "2", "--val-count", "2",
            "--model-config", json.dumps(TINY["model"]), *extra]


def test_cli_installs_into_the_user_folder_unless_told_not_to(photo_dir, tmp_path, capsys,
                                                              user_models_dir):
    assert learned.user_folders() == [user_models_dir]
    assert cli.main(cli_argv(photo_dir, tmp_path / "a")) == 0
    done = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert done["installed"] == str(user_models_dir / "c.safetensors")
    other = tmp_path / "elsewhere"
    assert cli.main(cli_argv(photo_dir, tmp_path / "b", "--models-dir", str(other))) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["installed"] == \
        str(other / "c.safetensors")
    assert cli.main(cli_argv(photo_dir, tmp_path / "c", "--no-install")) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["installed"] is None


def test_a_fine_tune_that_never_beats_its_base_installs_the_base(photo_dir, tmp_path):
    Run(photo_dir, "base", tmp_path, tiny(steps=1), emit=quiet).run()
    base = tmp_path / "base" / "latest.safetensors"
    # lr 0: the weights never move, so no later validation scores above the base's
    Run(photo_dir, "tuned", tmp_path, tiny(steps=2, lr=0.0), emit=quiet, base=base,
        install_dir=tmp_path / "models").run()
    assert (tmp_path / "tuned" / "best.safetensors").is_file()  # the base, scored at step 0
    installed = ckpt_state(tmp_path / "models" / "tuned.safetensors")
    assert all(torch.equal(v, installed[k]) for k, v in ckpt_state(base).items())


def ckpt_state(path):
    from safetensors.torch import load_file

    return load_file(str(path))


def test_a_fine_tune_starts_at_a_low_learning_rate_unless_told(photo_dir, tmp_path):
    from trainer.loop import DEFAULTS, FINE_TUNE_LR

    Run(photo_dir, "base", tmp_path, tiny(steps=1), emit=quiet).run()
    base = tmp_path / "base" / "latest.safetensors"
    assert Run(photo_dir, "a", tmp_path, tiny(steps=1), base=base).cfg["lr"] == FINE_TUNE_LR
    assert FINE_TUNE_LR < DEFAULTS["lr"]
    assert Run(photo_dir, "b", tmp_path, tiny(steps=1, lr=5e-4), base=base).cfg["lr"] == 5e-4
    assert Run(photo_dir, "c", tmp_path, tiny(steps=1)).cfg["lr"] == DEFAULTS["lr"]


def test_a_fine_tune_trains_at_the_scale_the_app_uses_unless_told(photo_dir, tmp_path):
    from trainer.loop import DEFAULTS, FINE_TUNE_SCALE

    Run(photo_dir, "base", tmp_path, tiny(steps=1), emit=quiet).run()
    base = tmp_path / "base" / "latest.safetensors"
    scratch = {k: v for k, v in tiny(steps=1).items() if k not in ("max_side", "crop")}
    tuned = Run(photo_dir, "a", tmp_path, scratch, base=base).cfg
    assert tuned["max_side"] == FINE_TUNE_SCALE["inpaint"]["max_side"] == 1024
    assert tuned["scale_range"] == FINE_TUNE_SCALE["inpaint"]["scale_range"]
    assert tuned["crop"] == FINE_TUNE_SCALE["inpaint"]["crop"] > DEFAULTS["crop"]
    told = Run(photo_dir, "b", tmp_path, {**scratch, "max_side": 500, "crop": 64,
                                          "scale_range": [0.3, 0.9]}, base=base).cfg
    assert told["max_side"] == 500 and told["scale_range"] == [0.3, 0.9]
    assert told["crop"] == 64
    fresh = Run(photo_dir, "c", tmp_path, scratch).cfg
    assert fresh["max_side"] == DEFAULTS["max_side"] and fresh["crop"] == DEFAULTS["crop"]
    assert fresh["scale_range"] == DEFAULTS["scale_range"]


def test_scale_options_reach_the_run_from_the_command_line(photo_dir, tmp_path, monkeypatch):
    seen = {}

    class Spy(_Run):
        def run(self):
            seen.update(self.cfg)
            return {}

    monkeypatch.setattr("trainer.loop.Run", Spy)
    assert cli.main(["--photos", str(photo_dir), "--name", "s", "--out", str(tmp_path),
                     "--no-install", "--steps", "1", "--max-side", "640",
                     "--scale-range", "0.8", "1.0"]) == 0
    assert seen["max_side"] == 640 and seen["scale_range"] == [0.8, 1.0]


def test_a_pair_torn_by_a_kill_is_never_installed(photo_dir, tmp_path):
    """A kill between the weights' and the card's rename leaves a card naming another sha256:
    install passes over that best pair to the latest, and refuses when both are torn."""
    run = Run(photo_dir, "torn", tmp_path / "runs", tiny(steps=2), emit=quiet)
    run.run()
    latest = run.run_dir / "latest.safetensors"
    best = run.run_dir / "best.safetensors"
    best.write_bytes(latest.read_bytes() + b" ")  # new weights, old card
    models = tmp_path / "models"
    weights = install.install(run.run_dir, models, "torn", run.cfg["run_id"])
    card = load_card(weights.with_suffix(".json"))
    assert card["training"]["source"] == "latest.safetensors"
    assert card["sha256"] == sha256_of(weights)
    latest.write_bytes(latest.read_bytes() + b" ")
    with pytest.raises(TrainError) as info:
        install.install(run.run_dir, tmp_path / "models2", "torn", run.cfg["run_id"])
    message = str(info.value)
    assert "\n" not in message and "do not match their cards" in message
    assert not (tmp_path / "models2").exists() or not list((tmp_path / "models2").iterdir())


def test_a_run_below_its_reference_is_not_installed(photo_dir, tmp_path, capsys):
    """Issue 20, item 18: a new network that scores below the classical fill (here: 2 steps
    of a tiny net, far below Telea) stays in its run folder unless --install-anyway."""
    models = tmp_path / "models"
    summary = _Run(photo_dir, "poor", tmp_path, tiny(steps=2), emit=quiet,
                   install_dir=models).run()
    assert summary["installed"] is None
    assert "below the classical Telea fill" in summary["not_installed"]
    assert "--install-anyway" in summary["not_installed"]
    assert not models.exists() or not list(models.iterdir())
    assert (tmp_path / "poor" / "latest.safetensors").is_file()  # nothing lost
    argv = [*cli_argv(photo_dir, tmp_path / "cli"), "--models-dir", str(models)]
    argv.remove("--install-anyway")
    assert cli.main(argv) == 0
    done = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert done["installed"] is None and done["not_installed"]
    assert cli.main([*argv, "--resume", "--steps", "2", "--install-anyway"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["installed"] == \
        str(models / "c.safetensors")


def test_a_result_kept_back_is_installed_later_by_install_only(photo_dir, tmp_path, capsys):
    """Issue 20, item 18 (the dialog's "Install anyway?"): the run's end records the install
    it did not do, with both scores; `--install-only --install-anyway` does it later from the
    run folder, without training or the photos, with the card the run's end would have
    written; without --install-anyway it is refused."""
    models, runs = tmp_path / "models", tmp_path / "runs"
    run = _Run(photo_dir, "poor", runs, tiny(steps=2), emit=quiet, install_dir=models)
    summary = run.run()
    scores = summary["scores"]
    assert summary["installed"] is None and summary["best_step"] is not None
    assert scores["reference_name"] == "the classical Telea fill"
    assert scores["score"] < scores["reference"] and scores["unit"] == " dB"
    assert scores["reference"] == run.history["val_baselines"]["telea"]["val_psnr"]
    pending = json.loads((runs / "poor" / install.PENDING_NAME).read_text())
    assert pending["scores"] == scores and pending["run_id"] == run.cfg["run_id"]

    base = ["--name", "poor", "--out", str(runs), "--models-dir", str(models), "--json",
            "--install-only"]
    assert cli.main(base) == 2  # no photos needed, but the consent is
    assert "below the classical Telea fill" in capsys.readouterr().err
    assert not models.exists() or not list(models.iterdir())
    assert cli.main([*base, "--install-anyway"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert line == {"event": "install", "name": "poor", "scores": scores,
                    "installed": str(models / "poor.safetensors")}
    card = load_card(models / "poor.json")
    assert card["training"]["run_id"] == run.cfg["run_id"]
    assert card["training"]["photos"] == str(photo_dir) and card["training"]["steps"] == 2
    assert card["metrics"]["before"] == summary["val_before"]
    assert not (runs / "poor" / install.PENDING_NAME).exists()  # done once
    assert cli.main([*base, "--install-anyway"]) == 2
    assert "no finished result waiting" in capsys.readouterr().err
    assert cli.main([*base, "--name", "nothing-here"]) == 2
    assert "there is no run" in capsys.readouterr().err


def test_a_resumed_run_decides_its_install_anew(photo_dir, tmp_path):
    models, runs = tmp_path / "models", tmp_path / "runs"
    _Run(photo_dir, "r", runs, tiny(steps=1), emit=quiet, install_dir=models).run()
    assert (runs / "r" / install.PENDING_NAME).exists()
    Run(photo_dir, "r", runs, tiny(steps=2), resume=True, emit=quiet,
        install_dir=models).run()  # installs anyway: nothing is left pending
    assert not (runs / "r" / install.PENDING_NAME).exists()
    assert (models / "r.safetensors").is_file()


def test_only_install_only_trains_without_photos(capsys, tmp_path):
    assert cli.main(["--name", "x", "--out", str(tmp_path), "--steps", "1"]) == 2
    assert "--photos is required" in capsys.readouterr().err


def test_the_card_names_the_steps_run_and_the_best_step(photo_dir, tmp_path):
    base = tmp_path / "base"
    _Run(photo_dir, "base", tmp_path, tiny(steps=1), emit=quiet).run()
    # lr 0: no step beats the base, so the best weights are those of step 0
    Run(photo_dir, "tuned", tmp_path, tiny(steps=3, lr=0.0), emit=quiet,
        base=base / "latest.safetensors", install_dir=tmp_path / "models").run()
    training = load_card(tmp_path / "models" / "tuned.json")["training"]
    assert training["steps"] == 3 and training["best_step"] == 0
