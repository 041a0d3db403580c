"""`inpaint-desktop restore`: file and folder modes, --save-mask, bad input."""

import json

import numpy as np
import pytest
from PIL import Image

from tests import test_cli
from tests.models.test_detector import scratched
from tests.test_cli import one_line

FAST = ["--detector", "median", "--model", "telea"]


def run(capsys, *argv):
    return test_cli.run(capsys, *map(str, argv))


@pytest.fixture
def old_photo(tmp_path):
    rgb, truth = scratched(96, 128)
    path = tmp_path / "grandma.png"
    Image.fromarray(rgb).save(path)
    return path, rgb, truth


def test_file_mode_gray_restore_and_mask(capsys, tmp_path, old_photo):
    path, rgb, truth = old_photo
    out, masks = tmp_path / "out.png", tmp_path / "masks"
    status, stdout, err = run(capsys, "restore", "--image", path, "--output", out,
                              "--save-mask", masks, "--no-colorize", *FAST)
    assert status == 0, err
    result = np.asarray(Image.open(out))
    assert result.shape == rgb.shape and (result[..., 0] == result[..., 2]).all()
    mask = np.asarray(Image.open(masks / "grandma.png"))
    assert mask.shape == truth.shape and set(np.unique(mask)) <= {0, 255}
    assert (mask[truth > 0] == 255).mean() > 0.6  # the scratches were found
    assert (result[mask == 0] == rgb[mask == 0]).all()  # (the photo was gray already)
    assert np.abs(result[truth > 0].astype(int) - 245).mean() > 60  # and filled
    assert "detector median" in stdout and "grandma.png ->" in stdout


def test_sensitivity_zero_finds_nothing_and_says_so(capsys, tmp_path, old_photo):
    path, rgb, _ = old_photo
    out = tmp_path / "out.png"
    status, stdout, _ = run(capsys, "restore", "--image", path, "--output", out,
                            "--no-colorize", "--sensitivity", "0", *FAST)
    assert status == 0 and "no damage found" in stdout
    assert (np.asarray(Image.open(out)) == rgb).all()


def test_colorized_with_hints(capsys, tmp_path, old_photo):
    path, rgb, _ = old_photo
    hints = tmp_path / "grandma.json"
    hints.write_text(json.dumps({"points": [[20, 20, "#c03020"], [100, 70, "#2040c0"]]}))
    out = tmp_path / "out.png"
    status, _, err = run(capsys, "restore", "--image", path, "--output", out,
                         "--hints", hints, *FAST)
    assert status == 0, err
    result = np.asarray(Image.open(out)).astype(int)
    assert result.shape == rgb.shape and np.abs(result[..., 0] - result[..., 2]).max() > 10


def test_folder_mode_writes_each_stem_and_survives_a_bad_file(capsys, tmp_path):
    photos = tmp_path / "album"
    photos.mkdir()
    for i in range(2):
        Image.fromarray(scratched(64, 80, seed=i)[0]).save(photos / f"p{i}.png")
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    out, masks = tmp_path / "out", tmp_path / "masks"
    status, stdout, err = run(capsys, "restore", "--image", photos, "--output", out,
                              "--save-mask", masks, "--no-colorize", *FAST)
    assert status == 2 and "broken.jpg" in one_line(err)
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png"]
    assert sorted(p.name for p in masks.iterdir()) == ["p0.png", "p1.png"]
    assert "2 of 3 written, 1 failed" in stdout


@pytest.mark.parametrize("extra, message", [
    (["--sensitivity", "1.5"], "--sensitivity must be between 0 and 1"),
    (["--sensitivity", "nan"], "--sensitivity must be between 0 and 1"),
    (["--detector", "nope"], "nope"),
    (["--hints", "HINTS", "--no-colorize"], "--hints needs the colorizing step"),
    (["--save-mask", "FILE"], "--save-mask must be a folder"),
])
def test_bad_options_are_one_line_errors(capsys, tmp_path, old_photo, extra, message):
    path, _, _ = old_photo
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "h.json").write_text('{"points": []}')
    extra = [str(tmp_path / "file.txt") if a == "FILE" else
             str(tmp_path / "h.json") if a == "HINTS" else a for a in extra]
    argv = ["restore", "--image", path, "--output", tmp_path / "o.png", "--model", "telea"]
    if "--detector" not in extra:
        argv += ["--detector", "median"]
    status, _, err = run(capsys, *argv, *extra)
    assert status == 2 and message in one_line(err)
    assert not (tmp_path / "o.png").exists()


def test_missing_image_and_no_overwrite(capsys, tmp_path, old_photo):
    path, _, _ = old_photo
    status, _, err = run(capsys, "restore", "--image", tmp_path / "nope.png", "--output",
                         tmp_path / "o.png", *FAST)
    assert status == 2 and "no such file" in one_line(err)
    before = path.read_bytes()
    status, _, err = run(capsys, "restore", "--image", path, "--output", path, *FAST)
    assert status == 2 and "overwrite" in one_line(err) and path.read_bytes() == before
