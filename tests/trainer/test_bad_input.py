"""Bad input gets one line that says what to do: folders, photos, disk, base model, names."""

import errno
import json
import os
import types

import pytest

from models.learned import bundled_folder
from trainer import __main__ as cli
from trainer import checkpoint as ckpt
from trainer.install import NAME_MAX, check_models_dir, check_name
from trainer.loop import Run, TrainError

MODEL = {"widths": [8, 12, 16], "blocks": 1, "dilations": [1]}
TINY = {
    "crop": 32, "batch": 2, "val_count": 2, "val_crop": 32, "val_per_photo": 1,
    "max_side": 96, "warmup_steps": 2, "log_seconds": 0.0, "model": MODEL,
}
COLORIZE = {**TINY, "task": "colorize", "model": {"widths": [8, 12, 16], "dilations": [1, 2]}}


def tiny(**kw):
    return {**TINY, **kw}


def quiet(_obj):
    pass


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    return err[len("error: "):]


def train_argv(photo_dir, out, *extra):
    return ["--photos", str(photo_dir), "--name", "x", "--out", str(out), "--steps", "1",
            "--json", "--crop", "32", "--batch", "2", "--val-count", "2",
            "--model-config", json.dumps(MODEL), "--no-install", *extra]


# --- photo folders ---------------------------------------------------------------------------


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrainError) as info:
        Run(tmp_path / "empty", "x", tmp_path / "runs", tiny()).run()
    assert str(info.value) == (f"found 0 usable photos in {tmp_path / 'empty'} (0 unreadable); "
                               "need at least 4")


def test_nonexistent_folder(tmp_path, capsys):
    assert cli.main(train_argv(tmp_path / "missing", tmp_path)) == 2
    assert one_line_error(capsys) == f"photo folder {tmp_path / 'missing'} does not exist"


def test_no_readable_photos(make_folder, tmp_path, capsys):
    folder = make_folder("junk", colour=0, broken=3)
    assert cli.main(train_argv(folder, tmp_path)) == 2
    assert one_line_error(capsys) == (f"found 0 usable photos in {folder} (3 unreadable); "
                                      "need at least 4")
    assert not (tmp_path / "x").exists()  # nothing written for a run that cannot start


def test_fewer_photos_than_needed_says_how_many(make_folder, tmp_path, capsys):
    folder = make_folder("few", colour=3, broken=1)
    assert cli.main(train_argv(folder, tmp_path)) == 2
    assert one_line_error(capsys) == (f"found 3 usable photos in {folder} (1 unreadable); "
                                      "need at least 4: add 1 more")
    assert cli.main(train_argv(folder, tmp_path)[:-1] + ["--val-count", "8"]) == 2
    assert one_line_error(capsys).endswith("need at least 10: add 7 more")


def test_gray_photos_do_not_count_for_colorize(make_folder, tmp_path):
    folder = make_folder("grays", colour=3, gray=3)
    with pytest.raises(TrainError, match=r"found 3 usable photos in .* \(0 unreadable, "
                                         r"3 near-monochrome\); need at least 4: add 1 more"):
        Run(folder, "x", tmp_path / "runs", {**COLORIZE}).run()


# --- a full disk during a checkpoint ---------------------------------------------------------


def os_with_full_disk():
    """``os`` for trainer.checkpoint, whose files take half the data and then fail ENOSPC."""
    real_fdopen = os.fdopen

    class HalfWritten:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def fileno(self):
            return self.f.fileno()

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    fake = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith("__")})
    fake.fdopen = lambda fd, mode: HalfWritten(real_fdopen(fd, mode))
    return fake


def test_full_disk_during_a_checkpoint(photo_dir, tmp_path, capsys, monkeypatch):
    argv = train_argv(photo_dir, tmp_path)
    argv[argv.index("--steps") + 1] = "2"
    assert cli.main(argv) == 0
    capsys.readouterr()
    path = tmp_path / "x" / "checkpoint.pt"
    before = path.read_bytes()

    argv[argv.index("--steps") + 1] = "4"
    with monkeypatch.context() as m:  # the first write of the resumed run is the checkpoint
        m.setattr(ckpt, "os", os_with_full_disk())
        assert cli.main([*argv, "--resume", "--checkpoint-seconds", "0"]) == 2
    message = one_line_error(capsys)
    assert message == (f"cannot write the checkpoint in {tmp_path / 'x'} "
                       f"({os.strerror(errno.ENOSPC)}) at step 2; the checkpoint of step 2 is "
                       "intact: free some space and run again with --resume")
    assert path.read_bytes() == before  # the old checkpoint, whole
    assert not list((tmp_path / "x").glob(".*.tmp"))  # the half-written temp file is gone
    assert ckpt.load_checkpoint(path)["step"] == 2

    assert cli.main([*argv, "--resume"]) == 0  # space again: it resumes where it was
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["event"] == "start" and lines[0]["step"] == 2
    assert lines[-1]["event"] == "done" and lines[-1]["step"] == 4


# --- base model, name, model folder ----------------------------------------------------------


def test_base_model_of_the_other_task(make_folder, photo_dir, tmp_path, capsys):
    colour = make_folder("colour", colour=6)
    Run(colour, "colours", tmp_path, {**COLORIZE, "steps": 1}, emit=quiet).run()
    base = tmp_path / "colours" / "latest.safetensors"
    assert cli.main(train_argv(photo_dir, tmp_path, "--base", str(base))) == 2
    message = one_line_error(capsys)
    assert message.startswith("base model latest.safetensors is a ")
    assert "not one for 'inpaint'" in message


@pytest.mark.parametrize("name, why", [
    ("", "it is empty"),
    ("  ", "it is empty"),
    ("a/b", "must not contain"),
    ("..\\b", "must not contain"),
    (".hidden", "must not start with a dot"),
    ("x" * (NAME_MAX + 1), f"at most {NAME_MAX}"),
    ("two\nlines", "control characters"),
])
def test_bad_names(name, why):
    with pytest.raises(TrainError, match=why) as info:
        check_name(name)
    assert "\n" not in str(info.value)


def test_good_names():
    for name in ("my album", "x" * NAME_MAX, "Grand-mère 1952", "a.b"):
        assert check_name(name) == name


def test_bad_name_on_the_command_line(photo_dir, tmp_path, capsys):
    argv = train_argv(photo_dir, tmp_path)
    argv[argv.index("--name") + 1] = "../escape"
    assert cli.main(argv) == 2
    assert one_line_error(capsys).startswith("invalid name '../escape'")
    assert not (tmp_path.parent / "escape").exists()


def test_models_dir_in_the_bundled_folder_is_refused(photo_dir, tmp_path, capsys):
    bundled = bundled_folder()
    listing = sorted(bundled.rglob("*")) if bundled.exists() else []
    for target in (bundled, bundled / "mine", bundled / "a" / ".." / "b"):
        with pytest.raises(TrainError, match="inside the bundled folder"):
            check_models_dir(target)
    argv = train_argv(photo_dir, tmp_path)[:-1]  # without --no-install
    assert cli.main([*argv, "--models-dir", str(bundled / "sub")]) == 2
    assert "inside the bundled folder" in one_line_error(capsys)
    assert not (tmp_path / "x").exists()  # refused before training
    assert (sorted(bundled.rglob("*")) if bundled.exists() else []) == listing
    assert check_models_dir(tmp_path / "mine") == (tmp_path / "mine").resolve()


@pytest.mark.parametrize("text, why", [
    ('{"strokes": 1', "is not valid JSON"),
    ('{"ovals": 1}', "unknown hole kind 'ovals'"),
    ('{"strokes": 0, "blobs": 0}', "at least one above 0"),
    ('{"strokes": -1, "blobs": 2}', "numbers >= 0"),
    ("[1, 2]", "expected a JSON object"),
])
def test_a_bad_mask_mix_is_one_line(photo_dir, tmp_path, capsys, text, why):
    assert cli.main(train_argv(photo_dir, tmp_path, "--mask-mix", text)) == 2
    assert why in one_line_error(capsys)
    assert not (tmp_path / "x").exists()  # refused before anything was written


def test_a_mask_mix_shapes_the_training_holes(photo_dir, tmp_path):
    run = Run(photo_dir, "m", tmp_path, tiny(steps=0, mask_mix={"scratches": 1.0}), emit=quiet)
    run._load_data()
    _, holes = run.sampler.batch(16)
    cover = (holes > 127).mean((1, 2))
    assert cover.max() <= 0.08  # scratches only: thin lines, never a blob or a stroke


# --- options, base cards and checkpoints (issue 20, item 7) ---------------------------------


@pytest.mark.parametrize("extra, why", [
    (["--model-config", "[1,2]"], "--model-config must be a JSON object"),
    (["--loss-config", '{"hole":"x"}'], "the weight of 'hole' must be a number"),
    (["--loss-config", '{"hole": -1}'], "the weight of 'hole' must be a number"),
    (["--crop", "0"], "--crop 0 is out of range: it must be at least 32 and at most 1024"),
    (["--crop", "100000"], "--crop 100000 is out of range"),
    (["--lr", "nan"], "--lr nan is out of range: it must be above 0"),
    (["--lr", "inf"], "--lr inf is out of range"),
    (["--batch", "0"], "--batch 0 is out of range: it must be at least 1"),
    (["--minutes", "0"], "--minutes 0 is out of range: it must be above 0"),
    (["--threads", "0"], "--threads 0 is out of range"),
    (["--scale-range", "0", "1"], "--scale-range 0 is out of range"),
    (["--scale-range", "0.9", "0.5"], "--scale-range 0.5 is out of range"),
])
def test_bad_options_are_one_line(photo_dir, tmp_path, capsys, extra, why):
    argv = train_argv(photo_dir, tmp_path, *extra)
    if "--crop" in extra:  # the given --crop replaces the usual one
        i = argv.index("--crop")
        del argv[i:i + 2]
    if "--minutes" in extra:
        i = argv.index("--steps")
        del argv[i:i + 2]
    assert cli.main(argv) == 2
    assert why in one_line_error(capsys)
    assert not (tmp_path / "x").exists()


def base_pair(tmp_path, photo_dir):
    Run(photo_dir, "base", tmp_path, tiny(steps=1), emit=quiet).run()
    return tmp_path / "base" / "latest.safetensors"


@pytest.mark.parametrize("edit, why", [
    (lambda card: [card], "not a model card"),
    (lambda card: {**card, "config": [1, 2]}, "its config is not a JSON object"),
    (lambda card: {k: v for k, v in card.items() if k != "sha256"},
     "its card has no sha256, so the weights cannot be verified"),
])
def test_a_bad_base_card_is_refused(photo_dir, tmp_path, capsys, edit, why):
    base = base_pair(tmp_path, photo_dir)
    card_path = base.with_suffix(".json")
    card_path.write_text(json.dumps(edit(json.loads(card_path.read_text()))))
    assert cli.main(train_argv(photo_dir, tmp_path / "runs", "--base", str(base))) == 2
    assert why in one_line_error(capsys)


def test_tampered_base_weights_without_a_checksum_are_refused(photo_dir, tmp_path, capsys):
    base = base_pair(tmp_path, photo_dir)
    card_path = base.with_suffix(".json")
    card = json.loads(card_path.read_text())
    del card["sha256"]
    card_path.write_text(json.dumps(card))
    data = bytearray(base.read_bytes())
    data[-4:] = b"\x7f\x7f\x7f\x7f"  # a weight changed; the file still parses
    base.write_bytes(bytes(data))
    assert cli.main(train_argv(photo_dir, tmp_path / "runs", "--base", str(base))) == 2
    assert "cannot be verified" in one_line_error(capsys)


@pytest.mark.parametrize("drop", ["config", "model", "step"])
def test_a_checkpoint_missing_its_parts_is_one_line(photo_dir, tmp_path, capsys, drop):
    assert cli.main(train_argv(photo_dir, tmp_path)) == 0
    capsys.readouterr()
    path = tmp_path / "x" / "checkpoint.pt"
    state = ckpt.load_checkpoint(path)
    del state[drop]
    ckpt.save_checkpoint(path, state)
    assert cli.main([*train_argv(photo_dir, tmp_path), "--resume"]) == 2
    message = one_line_error(capsys)
    assert "is not one this trainer wrote" in message and repr(drop) in message
