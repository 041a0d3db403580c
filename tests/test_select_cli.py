"""`inpaint-desktop select`: box, clicks, negatives, the mask it writes, and each bad input as
one line with exit status 2 and nothing written."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests import test_cli
from tests.models.test_select import box_of, iou, scene
from tests.test_cli import one_line


def run(capsys, *argv):
    return test_cli.run(capsys, *map(str, argv))


@pytest.fixture
def photo(tmp_path):
    image, truth = scene()
    path = tmp_path / "ball.png"
    Image.fromarray(image).save(path)
    return path, image, truth


def read_mask(path):
    with Image.open(path) as im:
        assert im.mode == "L"
        return np.asarray(im)


def test_box_writes_the_object_mask(capsys, tmp_path, photo):
    path, image, truth = photo
    out = tmp_path / "mask.png"
    status, stdout, err = run(capsys, "select", "--image", path, "--output", out, "--box",
                              *box_of(truth))
    assert status == 0 and err == ""
    mask = read_mask(out)
    assert mask.shape == truth.shape and set(np.unique(mask)) <= {0, 255}
    assert iou(mask, truth) > 0.9
    assert "ball.png ->" in stdout and "selected" in stdout


def test_one_click_and_a_folder_as_output(capsys, tmp_path, photo):
    path, _, truth = photo
    folder = tmp_path / "masks"
    folder.mkdir()
    status, _, err = run(capsys, "select", "--image", path, "--output", folder, "--click", 80, 60)
    assert status == 0, err
    assert iou(read_mask(folder / "ball.png"), truth) > 0.85


def test_repeated_click_flags_add_up(capsys, tmp_path, photo, monkeypatch):
    from models.select import GrabCutSelector

    seen = {}

    def spy(self, image, box=None, positive=(), negative=(), **kw):
        seen.update(box=box, positive=list(positive), negative=list(negative))
        return np.zeros(image.shape[:2], np.uint8)

    monkeypatch.setattr(GrabCutSelector, "select", spy)
    path, _, _ = photo
    status, _, err = run(capsys, "select", "--image", path, "--output", tmp_path / "m.png",
                         "--click", 80, 60, 90, 50, "--click", 70, 65, "--negative", 5, 5,
                         "--negative", 6, 6)
    assert status == 0, err
    assert seen == {"box": None, "positive": [(80, 60), (90, 50), (70, 65)],
                    "negative": [(5, 5), (6, 6)]}


def test_negative_click_takes_a_part_away(capsys, tmp_path):
    image, truth = scene(seed=4)
    image[55:67, 30:53] = (200, 200, 200)  # a gray handle sticking out of the object
    image[truth > 0] = scene(seed=4)[0][truth > 0]
    path, out = tmp_path / "in.png", tmp_path / "m.png"
    Image.fromarray(image).save(path)
    handle = np.zeros_like(truth)
    handle[55:67, 30:53] = 255
    handle[truth > 0] = 0
    box = box_of(np.maximum(truth, handle))
    assert run(capsys, "select", "--image", path, "--output", out, "--box", *box)[0] == 0
    assert (read_mask(out)[handle > 0] > 0).mean() > 0.8
    status, _, err = run(capsys, "select", "--image", path, "--output", out, "--box", *box,
                         "--negative", 38, 60, "--click", 80, 60)
    assert status == 0, err
    assert (read_mask(out)[handle > 0] > 0).mean() < 0.2


@pytest.mark.parametrize("extra, message", [
    ([], "give --box X0 Y0 X1 Y1 or --click X Y"),
    (["--box", 1, 2, 3], "--box takes 4 numbers"),
    (["--box", 1, 2, 3, 4, 5], "--box takes 4 numbers"),
    (["--click", 10], "--click takes pairs of numbers X Y, got 1 number"),
    (["--click", 10, 20, 30], "got 3 numbers"),
    (["--box", 10, 10, 50, 50, "--negative", 5], "--negative takes pairs"),
    (["--box", 500, 500, 600, 600], "is outside the 160x120 image"),
    (["--box", 10, 10, 10, 50], "is empty"),
    (["--click", 500, 10], "outside the 160x120 image"),
    (["--box", 10, 10, 50, 50, "--model", "nope"], "unknown select model 'nope'"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, photo, extra, message):
    path, _, _ = photo
    out = tmp_path / "m.png"
    status, _, err = run(capsys, "select", "--image", path, "--output", out, *extra)
    assert status == 2 and message in one_line(err) and one_line(err).startswith("select: ")
    assert not out.exists()


def test_unreadable_image_missing_image_and_missing_output_folder(capsys, tmp_path, photo):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    out = tmp_path / "m.png"
    status, _, err = run(capsys, "select", "--image", broken, "--output", out, "--click", 1, 1)
    assert status == 2 and "broken.jpg" in one_line(err) and not out.exists()
    status, _, err = run(capsys, "select", "--image", tmp_path / "nope.png", "--output", out,
                         "--click", 1, 1)
    assert status == 2 and "no such file" in one_line(err)
    path, _, _ = photo
    status, _, err = run(capsys, "select", "--image", path, "--output",
                         tmp_path / "no" / "where" / "m.png", "--click", 1, 1)
    assert status == 2 and "does not exist" in one_line(err)
    status, _, err = run(capsys, "select", "--image", tmp_path, "--output", out, "--click", 1, 1)
    assert status == 2 and "not a folder" in one_line(err)


def test_never_writes_over_the_image(capsys, photo):
    path, _, _ = photo
    before = path.read_bytes()
    status, _, err = run(capsys, "select", "--image", path, "--output", path, "--click", 80, 60)
    assert status == 2 and "overwrite" in one_line(err) and path.read_bytes() == before


def test_models_lists_the_selector(capsys):
    status, out, _ = run(capsys, "models")
    assert status == 0
    line = next(row for row in out.splitlines() if " grabcut " in row)
    assert line.startswith("*") and "select" in line
