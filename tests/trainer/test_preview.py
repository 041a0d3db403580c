"""preview.png: written at each validation, a valid PNG of (input, result, truth) rows."""

import io

import numpy as np
import pytest
from PIL import Image

from trainer import preview
from trainer.loop import Run

TINY = {
    "crop": 32, "batch": 2, "val_count": 2, "val_crop": 32, "val_per_photo": 1,
    "max_side": 96, "warmup_steps": 2, "log_seconds": 0.0,
    "model": {"widths": [8, 12, 16], "blocks": 1, "dilations": [1]},
}
COLORIZE = {**TINY, "task": "colorize", "model": {"widths": [8, 12, 16], "dilations": [1, 2]}}


def run_collecting(photo_dir, out, config):
    lines = []
    run = Run(photo_dir, "p", out, config, emit=lines.append)
    run.run()
    return run, lines


def cells(image, size, rows, cols):
    g = preview.GAP
    return [[image[r * (size + g) : r * (size + g) + size, c * (size + g) : c * (size + g) + size]
             for c in range(cols)] for r in range(rows)]


def check_events_and_file(run, lines, steps):
    path = run.run_dir / preview.PREVIEW_NAME
    events = [x for x in lines if x.get("event") == "preview"]
    assert [x["step"] for x in events] == steps  # the validation before training and the last
    assert all(x["path"] == str(path) for x in events)
    for i, x in enumerate(lines):  # each right after its validation line
        if x.get("event") == "preview":
            assert lines[i - 1]["event"] == "val" and lines[i - 1]["step"] == x["step"]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(run.run_dir.glob(".*.tmp"))
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.mode == "RGB"
        return np.asarray(im)


def test_inpaint_preview(photo_dir, tmp_path):
    run, lines = run_collecting(photo_dir, tmp_path, {**TINY, "steps": 1})
    image = check_events_and_file(run, lines, [0, 1])
    n, s, g = 2, 32, preview.GAP  # 2 held-out photos x 1 crop, 32 px
    assert image.shape == (3 * s + 2 * g, n * s + (n - 1) * g, 3)
    grid = cells(image, s, 3, n)
    truth = (run.val_images.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    holes = run.val_masks[:, 0].numpy() > 0.5
    for c in range(n):
        masked, result, true = grid[0][c], grid[1][c], grid[2][c]
        assert np.array_equal(true, truth[c])
        assert (masked[holes[c]] == preview.HOLE_COLOUR).all()
        assert np.array_equal(masked[~holes[c]], truth[c][~holes[c]])
        assert np.array_equal(result[~holes[c]], truth[c][~holes[c]])  # composited


def test_colorize_preview(make_folder, tmp_path):
    folder = make_folder("colour", colour=6)
    run, lines = run_collecting(folder, tmp_path, {**COLORIZE, "steps": 1})
    image = check_events_and_file(run, lines, [0, 1])
    n, s = 2, 32
    grid = cells(image, s, 3, n)
    for c in range(n):
        assert np.array_equal(grid[2][c], run.val_rgb[c])  # the truth row
    spread = [np.ptp(grid[0][c].astype(int), axis=2) for c in range(n)]
    assert spread[0].max() <= 2  # automatic column: a plain gray input
    assert spread[1].max() > 20  # guided column: coloured hint dots on the gray


def test_pick_spreads_over_photos_and_mask_kinds():
    assert preview.pick(24, 3) == [0, 4, 8, 9]  # photos 0-3, mask kinds 0, 1, 2, 0
    assert preview.pick(6, 3) == [0, 1, 2, 3]  # two photos only: take the first crops
    assert preview.pick(2, 1) == [0, 1]
    assert preview.pick(0, 3) == []


def test_a_failed_preview_does_not_stop_the_run(photo_dir, tmp_path, monkeypatch):
    def full_disk(_run, _path=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(preview, "write", full_disk)
    run, lines = run_collecting(photo_dir, tmp_path, {**TINY, "steps": 1})
    assert lines[-1]["event"] == "done" and lines[-1]["step"] == 1
    assert not [x for x in lines if x.get("event") == "preview"]


@pytest.mark.parametrize("count", [1, 4])
def test_grid_layout(count):
    cell = np.zeros((8, 10, 3), np.uint8)
    image = preview.grid([[cell] * count] * 3)
    assert image.shape == (3 * 8 + 2 * preview.GAP, count * 10 + (count - 1) * preview.GAP, 3)
    with Image.open(io.BytesIO(preview.png_bytes(image))) as im:
        assert im.size == (image.shape[1], image.shape[0])
