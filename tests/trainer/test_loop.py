"""The training loop on tiny configurations: learning, resume, stop, bad input, CLI."""

import json

import pytest
import torch

from trainer import __main__ as cli
from trainer.loop import Run, TrainError

TINY = {
    "crop": 32, "batch": 2, "val_count": 2, "val_crop": 32, "val_per_photo": 1,
    "max_side": 96, "warmup_steps": 2, "lr": 3e-3, "log_seconds": 0.0,
    "model": {"widths": [8, 12, 16], "blocks": 1, "dilations": [1]},
}


def tiny(**kw):
    return {**TINY, **kw}


def collect():
    lines = []
    return lines, lines.append


def test_a_few_steps_lower_the_loss(photo_dir, tmp_path):
    run = Run(photo_dir, "learn", tmp_path / "runs", tiny(lr=5e-3))
    run._load_data()
    run._build()
    images, holes = run.sampler.batch(4)
    from trainer.loop import to_tensor_images, to_tensor_masks
    from trainer.losses import inpaint_loss

    x, m = to_tensor_images(images), to_tensor_masks(holes)
    run.cfg["batch"] = 4
    run.sampler.batch = lambda n: (images, holes)  # a tiny image set: these four crops

    def loss_now():
        with torch.no_grad():
            return float(inpaint_loss(run.model(x, m), x, m)[0])

    before = loss_now()
    for _ in range(20):
        run.train_step()
    assert loss_now() < before * 0.7


def test_run_emits_progress_and_writes_weights(photo_dir, tmp_path):
    lines, emit = collect()
    summary = Run(photo_dir, "r", tmp_path, tiny(steps=3), emit=emit).run()
    assert lines[0]["event"] == "start" and lines[0]["train_photos"] == 4
    assert set(lines[0]["val_baselines"]) == {"pyramid", "telea"}
    assert [p.endswith("broken.jpg") for p, _ in lines[0]["skipped"]] == [True]
    progress = [x for x in lines if "loss" in x]
    assert progress and {"step", "loss", "eta_s", "img_per_s"} <= set(progress[-1])
    assert summary["reason"] == "steps" and summary["step"] == 3
    assert "val_psnr" in summary["val_before"] and "val_psnr" in summary["val_after"]
    card = json.loads((tmp_path / "r" / "latest.json").read_text())
    assert card["training"]["steps"] == 3 and card["dtype"] == "float16"
    json.dumps(lines)  # every line is JSON-serializable


def test_resume_continues_exactly(photo_dir, tmp_path):
    Run(photo_dir, "a", tmp_path, tiny(steps=3), emit=lambda _: None).run()
    Run(photo_dir, "a", tmp_path, tiny(steps=5), resume=True, emit=lambda _: None).run()
    Run(photo_dir, "b", tmp_path, tiny(steps=5), emit=lambda _: None).run()
    from trainer.checkpoint import load_checkpoint

    a = load_checkpoint(tmp_path / "a" / "checkpoint.pt")
    b = load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert a["step"] == b["step"] == 5
    for k in b["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert a["rng"]["sampler"] == b["rng"]["sampler"]


def test_existing_checkpoint_needs_resume(photo_dir, tmp_path):
    Run(photo_dir, "a", tmp_path, tiny(steps=1), emit=lambda _: None).run()
    with pytest.raises(TrainError, match="--resume"):
        Run(photo_dir, "a", tmp_path, tiny(steps=2))


def test_stop_file_ends_with_a_checkpoint(photo_dir, tmp_path):
    lines = []

    def emit(obj):
        lines.append(obj)
        if obj.get("step") == 2 and "loss" in obj:
            (tmp_path / "stop-now").touch()

    summary = Run(photo_dir, "s", tmp_path, tiny(steps=50), emit=emit,
                  stop_file=tmp_path / "stop-now").run()
    assert summary["reason"] == "stop" and summary["step"] == 2
    assert (tmp_path / "s" / "checkpoint.pt").exists()


def test_too_few_photos_says_how_many_are_needed(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrainError, match="need at least 4"):
        Run(tmp_path / "empty", "x", tmp_path / "runs", tiny()).run()


def test_cli_exit_status_and_json(photo_dir, tmp_path, capsys):
    def argv(steps, *extra):
        return ["--photos", str(photo_dir), "--name", "c", "--out", str(tmp_path),
                "--steps", str(steps), "--json", "--crop", "32", "--batch", "2",
                "--val-count", "2", "--model-config", json.dumps(TINY["model"]), *extra]

    assert cli.main(argv(2)) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[-1]["event"] == "done" and out[-1]["step"] == 2
    assert cli.main(argv(3)) == 2  # a checkpoint exists and --resume was not given
    assert "--resume" in capsys.readouterr().err
    assert cli.main(argv(3, "--resume")) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["step"] == 2 and out[-1]["step"] == 3


def test_cli_bad_folder_exits_2(tmp_path, capsys):
    code = cli.main(["--photos", str(tmp_path / "missing"), "--name", "x",
                     "--out", str(tmp_path), "--steps", "1", "--json"])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_fine_tune_from_exported_weights(photo_dir, tmp_path):
    Run(photo_dir, "base", tmp_path, tiny(steps=2), emit=lambda _: None).run()
    weights = tmp_path / "base" / "latest.safetensors"
    run = Run(photo_dir, "tuned", tmp_path, tiny(steps=3, model={"blocks": 3}), base=weights,
              emit=lambda _: None)
    assert run.cfg["model"]["blocks"] == 1  # the base model's own config wins
    summary = run.run()
    assert summary["step"] == 3
    card = json.loads((tmp_path / "tuned" / "latest.json").read_text())
    assert card["config"]["blocks"] == 1


def test_base_model_checks(photo_dir, tmp_path):
    Run(photo_dir, "base", tmp_path, tiny(steps=1), emit=lambda _: None).run()
    weights = tmp_path / "base" / "latest.safetensors"
    card_path = weights.with_suffix(".json")
    card = json.loads(card_path.read_text())
    card_path.write_text(json.dumps({**card, "architecture": "colorizer"}))
    with pytest.raises(TrainError, match="not one for 'inpaint'"):
        Run(photo_dir, "x", tmp_path, tiny(), base=weights)
    card_path.write_text(json.dumps({**card, "sha256": "0" * 64}))
    with pytest.raises(TrainError, match="checksum"):
        Run(photo_dir, "x", tmp_path, tiny(), base=weights)
    with pytest.raises(TrainError, match="safetensors"):
        Run(photo_dir, "x", tmp_path, tiny(), base=tmp_path / "missing.pt")


def test_terminal_progress_is_readable(photo_dir, tmp_path, capsys):
    run = Run(photo_dir, "t", tmp_path, tiny(steps=2), emit=cli._terminal_emit)
    run.run()
    out = capsys.readouterr().out
    assert out.startswith("training t: 4 photos, 2 held out, 1 unreadable")
    assert "step 2" in out and "hole PSNR on held-out photos" in out


def test_full_disk_during_a_checkpoint_is_a_clear_error(photo_dir, tmp_path, monkeypatch):
    from trainer import checkpoint as ckpt
    from trainer import loop

    Run(photo_dir, "d", tmp_path, tiny(steps=2), emit=lambda _: None).run()
    before = (tmp_path / "d" / "checkpoint.pt").read_bytes()
    real_write = ckpt.atomic_write_bytes

    def full_disk(path, data):
        if str(path).endswith("checkpoint.pt"):
            real_write(path.parent / "partial.bin", data[: len(data) // 2])
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(loop.ckpt, "atomic_write_bytes", full_disk)
    monkeypatch.setattr(ckpt, "atomic_write_bytes", full_disk)
    with pytest.raises(TrainError, match="No space left on device.*checkpoint of step 2 is intact"):
        Run(photo_dir, "d", tmp_path, tiny(steps=4), resume=True, emit=lambda _: None).run()
    assert (tmp_path / "d" / "checkpoint.pt").read_bytes() == before


def test_checkpoints_come_every_minute_and_every_n_steps(photo_dir, tmp_path, monkeypatch):
    """Issue 20, item 4: a kill loses at most the steps since the last checkpoint."""
    from trainer import loop

    assert loop.DEFAULTS["checkpoint_seconds"] <= 60 and loop.DEFAULTS["checkpoint_steps"]
    events = []
    run = Run(photo_dir, "k", tmp_path, tiny(steps=9, checkpoint_seconds=1e9,
                                             checkpoint_steps=3), emit=events.append)
    real_step = run.train_step

    def killed_after_7(*args):
        if run.step == 7:
            raise KeyboardInterrupt  # as good as a kill -9: no checkpoint of its own
        return real_step(*args)

    monkeypatch.setattr(run, "train_step", killed_after_7)
    with pytest.raises(KeyboardInterrupt):
        run.run()
    assert [e["step"] for e in events if e.get("event") == "checkpoint"] == [3, 6]
    from trainer.checkpoint import load_checkpoint

    assert load_checkpoint(tmp_path / "k" / "checkpoint.pt")["step"] == 6
    resumed = Run(photo_dir, "k", tmp_path, tiny(steps=9), resume=True, emit=lambda _: None)
    assert resumed.run()["step"] == 9


def test_resume_without_a_checkpoint_says_so(photo_dir, tmp_path, capsys):
    with pytest.raises(TrainError, match="nothing to resume: there is no checkpoint"):
        Run(photo_dir, "none", tmp_path, tiny(steps=1), resume=True)
    argv = ["--photos", str(photo_dir), "--name", "none", "--out", str(tmp_path), "--steps",
            "1", "--json", "--crop", "32", "--batch", "2", "--val-count", "2", "--no-install",
            "--model-config", json.dumps(TINY["model"]), "--resume"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--new-if-missing" in err
    assert not (tmp_path / "none").exists()
    assert cli.main([*argv, "--new-if-missing"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["step"] == 1


def test_full_disk_before_the_first_checkpoint_says_there_is_none(photo_dir, tmp_path,
                                                                  monkeypatch):
    from trainer import loop

    def full_disk(path, state):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(loop.ckpt, "save_checkpoint", full_disk)
    with pytest.raises(TrainError) as info:
        Run(photo_dir, "e", tmp_path, tiny(steps=2), emit=lambda _: None).run()
    message = str(info.value)
    assert "intact" not in message and "no checkpoint was written yet" in message
