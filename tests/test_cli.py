"""The command line: erase / colorize / models / train, file and folder modes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from inpaint_desktop.cli import main

H, W = 48, 64


def photo(seed=0, colour=True):
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    image = cv2.resize(small, (W, H), interpolation=cv2.INTER_CUBIC)
    if not colour:
        image = np.repeat(image[:, :, :1], 3, axis=2)
    return image


def blob(h=H, w=W):
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (w // 2, h // 2), 7, 255, -1)
    return mask


def write(path, array):
    Image.fromarray(array).save(path)
    return path


def read(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- erase -----------------------------------------------------------------------------------


def test_erase_file(tmp_path, capsys):
    image = photo()
    write(tmp_path / "in.png", image)
    write(tmp_path / "mask.png", blob())
    status, out, err = run(capsys, "erase", "--image", str(tmp_path / "in.png"), "--mask",
                           str(tmp_path / "mask.png"), "--output", str(tmp_path / "out.png"))
    assert status == 0 and err == ""
    assert "in.png ->" in out
    result = read(tmp_path / "out.png")
    keep = blob() == 0
    np.testing.assert_array_equal(result[keep], image[keep])
    assert np.any(result[~keep] != image[~keep])


def test_white_strokes_on_a_transparent_mask_erase_only_the_strokes(tmp_path, capsys):
    image = photo()
    write(tmp_path / "in.png", image)
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[..., :3] = 255  # white everywhere, but only the blob is opaque
    rgba[..., 3] = blob()
    write(tmp_path / "mask.png", rgba)
    status, _, err = run(capsys, "erase", "--image", str(tmp_path / "in.png"), "--mask",
                         str(tmp_path / "mask.png"), "--output", str(tmp_path / "out.png"))
    assert status == 0 and err == ""
    result = read(tmp_path / "out.png")
    keep = blob() == 0
    np.testing.assert_array_equal(result[keep], image[keep])
    assert np.any(result[~keep] != image[~keep])


@pytest.mark.parametrize("strategy", ["crop", "resize", "original"])
def test_erase_options(tmp_path, capsys, strategy):
    write(tmp_path / "in.png", photo())
    write(tmp_path / "mask.png", blob())
    status, _, err = run(capsys, "erase", "--image", str(tmp_path / "in.png"), "--mask",
                         str(tmp_path / "mask.png"), "--output", str(tmp_path / "o.png"),
                         "--model", "telea", "--device", "cpu", "--hd-strategy", strategy,
                         "--margin", "16")
    assert status == 0, err


def test_mask_of_another_size(tmp_path, capsys):
    write(tmp_path / "in.png", photo())
    write(tmp_path / "mask.png", blob(24, 32))
    status, _, err = run(capsys, "erase", "--image", str(tmp_path / "in.png"), "--mask",
                         str(tmp_path / "mask.png"), "--output", str(tmp_path / "out.png"))
    assert status == 2
    assert one_line(err) == "erase: mask.png: mask is 32x24 but the image is 64x48"
    assert not (tmp_path / "out.png").exists()


def test_empty_mask_is_nothing_to_erase(tmp_path, capsys):
    write(tmp_path / "in.png", photo())
    write(tmp_path / "mask.png", np.zeros((H, W), np.uint8))
    status, _, err = run(capsys, "erase", "--image", str(tmp_path / "in.png"), "--mask",
                         str(tmp_path / "mask.png"), "--output", str(tmp_path / "out.png"))
    assert status == 2
    assert "mask.png" in one_line(err) and "nothing to erase" in err
    assert not (tmp_path / "out.png").exists()


def test_mask_over_everything_is_refused_and_the_batch_goes_on(tmp_path, capsys):
    images, masks, out = tmp_path / "photos", tmp_path / "masks", tmp_path / "out"
    images.mkdir()
    masks.mkdir()
    for i, name in enumerate(["a", "b", "c"]):
        write(images / f"{name}.png", photo(i))
    write(masks / "a.png", blob())
    write(masks / "b.png", np.full((H, W), 255, np.uint8))  # Mask > mask everything
    write(masks / "c.png", blob())
    for model in ("telea", None):  # a classical engine and the default (learned) one
        status, stdout, err = run(capsys, "erase", "--image", str(images), "--mask",
                                  str(masks), "--output", str(out),
                                  *(["--model", model] if model else []))
        assert status == 2
        line = one_line(err)
        assert line.startswith("erase: b.png: the mask covers all of the image")
        assert "1% must stay unmasked" in line
        assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]
        assert "2 of 3 written, 1 failed" in stdout


def test_mask_that_is_not_an_image(tmp_path, capsys):
    write(tmp_path / "in.png", photo())
    (tmp_path / "mask.png").write_text("not a picture")
    status, _, err = run(capsys, "erase", "--image", str(tmp_path / "in.png"), "--mask",
                         str(tmp_path / "mask.png"), "--output", str(tmp_path / "out.png"))
    assert status == 2
    line = one_line(err)
    assert line.startswith("erase: ") and "mask.png" in line and "not an image" in line


def test_unknown_model(tmp_path, capsys):
    write(tmp_path / "in.png", photo())
    write(tmp_path / "mask.png", blob())
    status, _, err = run(capsys, "erase", "--image", str(tmp_path / "in.png"), "--mask",
                         str(tmp_path / "mask.png"), "--output", str(tmp_path / "out.png"),
                         "--model", "magic")
    assert status == 2
    line = one_line(err)
    assert "'magic'" in line and "telea" in line and "navier-stokes" in line
    status, _, err = run(capsys, "colorize", "--image", str(tmp_path / "in.png"), "--output",
                         str(tmp_path / "out.png"), "--model", "telea")
    assert status == 2 and "levin" in one_line(err)


def test_missing_input(tmp_path, capsys):
    status, _, err = run(capsys, "erase", "--image", str(tmp_path / "nope.jpg"), "--mask",
                         str(tmp_path / "m.png"), "--output", str(tmp_path / "out.png"))
    assert status == 2 and "nope.jpg: no such file or folder" in one_line(err)
    write(tmp_path / "in.png", photo())
    status, _, err = run(capsys, "colorize", "--image", str(tmp_path / "in.png"), "--hints",
                         str(tmp_path / "h.json"), "--output", str(tmp_path / "out.png"))
    assert status == 2 and "h.json: no such file or folder" in one_line(err)


def test_output_is_never_an_input(tmp_path, capsys):
    image = photo()
    write(tmp_path / "in.png", image)
    write(tmp_path / "mask.png", blob())
    for target in ("in.png", "mask.png"):
        status, _, err = run(capsys, "erase", "--image", str(tmp_path / "in.png"), "--mask",
                             str(tmp_path / "mask.png"), "--output", str(tmp_path / target))
        assert status == 2 and "overwrite an input" in one_line(err)
    np.testing.assert_array_equal(read(tmp_path / "in.png"), image)
    np.testing.assert_array_equal(read(tmp_path / "mask.png")[:, :, 0], blob())


def test_folder_batch_goes_on_after_a_bad_item(tmp_path, capsys):
    images, masks, out = tmp_path / "photos", tmp_path / "masks", tmp_path / "out" / "erased"
    images.mkdir()
    masks.mkdir()
    for i, name in enumerate(["a", "b", "c", "d"]):
        write(images / f"{name}.{'jpg' if i % 2 else 'png'}", photo(i))
    (images / "notes.txt").write_text("not an image, ignored")
    write(masks / "a.png", blob())
    write(masks / "b.png", blob(24, 32))  # wrong size
    write(masks / "c.bmp", blob())  # any image extension
    # d has no mask
    status, stdout, err = run(capsys, "erase", "--image", str(images), "--mask", str(masks),
                              "--output", str(out))
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0] == "erase: b.png: mask is 32x24 but the image is 64x48"
    assert lines[1].startswith("erase: d.jpg: no mask named d.*")
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]
    assert "2 of 4 written, 2 failed" in stdout


def test_same_stem_twice_in_a_folder(tmp_path, capsys):
    images, masks = tmp_path / "photos", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    write(images / "x.png", photo())
    write(images / "x.jpg", photo(1))
    write(masks / "x.png", blob())
    status, _, err = run(capsys, "erase", "--image", str(images), "--mask", str(masks),
                         "--output", str(tmp_path / "out"))
    assert status == 2 and "two images with the same name" in one_line(err)
    assert (tmp_path / "out" / "x.png").exists()


def test_output_folder_for_a_single_file(tmp_path, capsys):
    write(tmp_path / "in.jpg", photo())
    write(tmp_path / "mask.png", blob())
    (tmp_path / "results").mkdir()
    status, _, err = run(capsys, "erase", "--image", str(tmp_path / "in.jpg"), "--mask",
                         str(tmp_path / "mask.png"), "--output", str(tmp_path / "results"))
    assert status == 0, err
    assert (tmp_path / "results" / "in.png").exists()


# --- colorize --------------------------------------------------------------------------------


def hints_file(path, points):
    path.write_text(json.dumps({"points": points}))
    return path


def test_colorize_with_hints(tmp_path, capsys):
    gray = photo(colour=False)
    write(tmp_path / "scan.png", gray[:, :, 0])
    hints_file(tmp_path / "h.json", [[10, 10, "#c04020"], [50, 40, "#2040c0"]])
    status, out, err = run(capsys, "colorize", "--image", str(tmp_path / "scan.png"),
                           "--hints", str(tmp_path / "h.json"), "--output",
                           str(tmp_path / "out.png"))
    assert status == 0 and err == ""
    result = read(tmp_path / "out.png")
    assert result.shape == (H, W, 3)
    spread = result.astype(int).max(axis=2) - result.astype(int).min(axis=2)
    assert spread.mean() > 10  # it is in colour now


def test_hint_patch_sizes_of_a_hints_file_reach_the_engine(tmp_path, capsys, monkeypatch):
    from models import classical_colorize

    seen = []
    paint = classical_colorize.paint_hints

    def spy(luma, hints, sx, sy):
        seen.append([h.size for h in hints])
        return paint(luma, hints, sx, sy)

    monkeypatch.setattr(classical_colorize, "paint_hints", spy)
    write(tmp_path / "scan.png", photo(colour=False)[:, :, 0])
    hints_file(tmp_path / "h.json", [[10, 10, "#c04020", 12], [50, 40, "#2040c0"]])
    status, out, err = run(capsys, "colorize", "--image", str(tmp_path / "scan.png"),
                           "--hints", str(tmp_path / "h.json"), "--output",
                           str(tmp_path / "out.png"), "--model", "levin")
    assert status == 0 and err == ""
    # the photo is below levin's working size: image pixels are working pixels
    assert seen and all(sizes == [12.0, None] for sizes in seen)
    hints_file(tmp_path / "bad.json", [[10, 10, "#c04020", 0]])
    status, _, err = run(capsys, "colorize", "--image", str(tmp_path / "scan.png"),
                         "--hints", str(tmp_path / "bad.json"), "--output",
                         str(tmp_path / "out2.png"), "--model", "levin")
    assert status == 2
    assert one_line(err) == "colorize: bad.json: point 1: patch size 0 is not 1..2048 pixels"


def test_levin_without_hints_is_an_error(tmp_path, capsys):
    # levin only spreads hints: without any it would write the gray image (the bundled
    # learned colorizer needs none)
    write(tmp_path / "scan.png", photo(colour=False)[:, :, 0])
    status, out, err = run(capsys, "colorize", "--image", str(tmp_path / "scan.png"),
                           "--output", str(tmp_path / "out.png"), "--model", "levin")
    assert status == 2
    assert one_line(err) == "colorize: --hints is required: levin colorizes from colour hints only"
    hints_file(tmp_path / "h.json", [])
    status, out, err = run(capsys, "colorize", "--image", str(tmp_path / "scan.png"),
                           "--hints", str(tmp_path / "h.json"), "--output",
                           str(tmp_path / "out.png"), "--model", "levin")
    assert status == 2
    assert one_line(err).startswith("colorize: h.json: no colour hints")
    assert not (tmp_path / "out.png").exists()


def test_colorize_without_hints_uses_the_automatic_default(tmp_path, capsys):
    write(tmp_path / "scan.png", photo(colour=False)[:, :, 0])
    status, out, err = run(capsys, "colorize", "--image", str(tmp_path / "scan.png"),
                           "--output", str(tmp_path / "out.png"))
    assert status == 0 and err == ""
    assert (tmp_path / "out.png").exists()


def test_colorize_a_colour_photo_works_with_a_note(tmp_path, capsys):
    write(tmp_path / "colour.png", photo())
    hints_file(tmp_path / "h.json", [[10, 10, "#c04020"]])
    status, out, err = run(capsys, "colorize", "--image", str(tmp_path / "colour.png"),
                           "--hints", str(tmp_path / "h.json"), "--output",
                           str(tmp_path / "out.png"))
    assert status == 0 and err == ""
    assert "colour.png: already in colour: colorized from its luminance" in out
    assert (tmp_path / "out.png").exists()


def test_hints_outside_the_image(tmp_path, capsys):
    write(tmp_path / "scan.png", photo(colour=False)[:, :, 0])
    hints_file(tmp_path / "h.json", [[10, 10, "#c04020"], [100, 5, "#000000"]])
    status, _, err = run(capsys, "colorize", "--image", str(tmp_path / "scan.png"),
                         "--hints", str(tmp_path / "h.json"), "--output",
                         str(tmp_path / "out.png"))
    assert status == 2
    assert one_line(err) == "colorize: h.json: point 2 at (100, 5) is outside the 64x48 image"
    assert not (tmp_path / "out.png").exists()


def test_malformed_hints(tmp_path, capsys):
    write(tmp_path / "scan.png", photo(colour=False)[:, :, 0])
    (tmp_path / "h.json").write_text('{"points": [[1, 2, "#12345"]')
    status, _, err = run(capsys, "colorize", "--image", str(tmp_path / "scan.png"),
                         "--hints", str(tmp_path / "h.json"), "--output",
                         str(tmp_path / "out.png"))
    assert status == 2
    assert one_line(err).startswith("colorize: h.json: not valid JSON")


def test_colorize_folder(tmp_path, capsys):
    scans, hints, out = tmp_path / "scans", tmp_path / "hints", tmp_path / "out"
    scans.mkdir()
    hints.mkdir()
    write(scans / "one.png", photo(1, colour=False)[:, :, 0])
    write(scans / "two.jpg", photo(2, colour=False)[:, :, 0])
    write(scans / "three.png", photo(3, colour=False)[:, :, 0])
    hints_file(hints / "one.json", [[3, 3, "#ff0000"]])
    hints_file(hints / "three.json", [[3, 3, "#ff0000"], [640, 3, "#ff0000"]])  # outside
    status, stdout, err = run(capsys, "colorize", "--image", str(scans), "--hints",
                              str(hints), "--output", str(out))
    assert status == 2
    assert "three.json: point 2" in one_line(err)
    # two.jpg has no hints file: the default colorizer needs none
    assert sorted(p.name for p in out.iterdir()) == ["one.png", "two.png"]
    # levin needs hints: an image without a hints file is a failed item
    out2 = tmp_path / "out2"
    status, stdout, err = run(capsys, "colorize", "--image", str(scans), "--hints",
                              str(hints), "--output", str(out2), "--model", "levin")
    assert status == 2
    lines = sorted(err.strip().splitlines())
    assert len(lines) == 2 and "three.json: point 2" in lines[0]
    assert lines[1].startswith("colorize: two.jpg: no hints named two.*")
    assert sorted(p.name for p in out2.iterdir()) == ["one.png"]


# --- models, train, imports ------------------------------------------------------------------


def test_models_lists_engines(capsys):
    status, out, err = run(capsys, "models")
    assert status == 0
    assert "navier-stokes" in out and "levin" in out and "colorize" in out
    assert "median" in out and "detect" in out
    default_lines = [line for line in out.splitlines() if line.startswith("*")]
    assert len(default_lines) == 4  # one default per kind: inpaint, colorize, detect, select


def test_train_needs_a_task_and_photos(capsys):
    status, _, err = run(capsys, "train", "--task", "inpaint")  # tests/test_cli_train.py: more
    assert status == 2 and "--photos" in err


def test_usage_errors_exit_2(capsys):
    assert main(["erase", "--image", "x"]) == 2
    assert main(["colorize", "--image", "x", "--output", "y", "--device", "tpu"]) == 2
    assert main(["erase", "--help"]) == 0
    capsys.readouterr()


def test_cli_imports_neither_qt_nor_torch():
    code = ("import sys, inpaint_desktop.cli as c; c.main(['models']); "
            "bad = [m for m in ('torch', 'PySide6') if m in sys.modules]; "
            "sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def erase_with_and_without(tmp_path, capsys, image, mask, flag: str, attribute: str, off):
    """Erase with ffc-inpaint from the command line with and without ``flag``: the flagged
    output must be the engine's with ``attribute`` set to ``off``, and differ from the
    default's."""
    import models

    write(tmp_path / "in.png", image)
    write(tmp_path / "mask.png", mask)
    outputs = {}
    for flags in ([], [flag]):
        out = tmp_path / f"out{len(flags)}.png"
        status, _, _ = run(capsys, "erase", "--image", str(tmp_path / "in.png"), "--mask",
                           str(tmp_path / "mask.png"), "--output", str(out),
                           "--model", "ffc-inpaint", *flags)
        assert status == 0
        outputs[bool(flags)] = read(out)
    engine = models.get_inpainter("ffc-inpaint", device="cpu")
    setattr(engine, attribute, off)
    np.testing.assert_array_equal(outputs[True], engine.inpaint(image, mask))
    assert not np.array_equal(outputs[True], outputs[False])


def test_erase_no_fsr_mix_fills_narrow_holes_with_the_network_alone(tmp_path, capsys):
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
    mask = np.zeros((96, 128), np.uint8)
    mask[30:33, 8:120] = 255  # a scratch
    erase_with_and_without(tmp_path, capsys, image, mask, "--no-fsr-mix", "fsr_blend", 0.0)


def test_erase_no_texture_keeps_the_networks_fill(tmp_path, capsys):
    rng = np.random.default_rng(3)
    image = np.clip(128 + 60 * np.sin(np.arange(128) / 0.8)[None, :, None]
                    + rng.normal(0, 12, (128, 128, 3)), 0, 255).astype(np.uint8)
    mask = np.zeros((128, 128), np.uint8)
    mask[40:88, 40:88] = 255
    erase_with_and_without(tmp_path, capsys, image, mask, "--no-texture", "texture", False)
