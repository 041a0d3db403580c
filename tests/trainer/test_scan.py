"""`python -m trainer --scan`: the usable photo count, without training and without torch."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from trainer import __main__ as cli
from trainer import chroma, loop
from trainer.data import PhotoSet
from trainer.scan import photos_needed, scan_folder, summary

REPO = Path(__file__).resolve().parents[2]


def test_counts_usable_and_unreadable_photos(photo_dir):
    result = scan_folder(photo_dir, "inpaint", val_count=2)
    assert result["event"] == "scan" and result["task"] == "inpaint"
    assert result["photos"] == 6 and result["monochrome"] == []
    assert [Path(p).name for p, _ in result["unreadable"]] == ["broken.jpg"]
    assert result["needed"] == 4 and result["ok"] is True
    assert scan_folder(photo_dir, "inpaint")["needed"] == photos_needed() == 10  # default


def test_colorize_flags_near_monochrome_photos(make_folder):
    folder = make_folder("mixed", colour=3, gray=2, broken=1)
    result = scan_folder(folder, "colorize", val_count=2)
    assert result["photos"] == 3
    assert sorted(Path(p).name for p, _ in result["monochrome"]) == ["g00.png", "g01.png"]
    assert all("near-monochrome" in why for _, why in result["monochrome"])
    assert len(result["unreadable"]) == 1 and result["ok"] is False
    assert scan_folder(folder, "inpaint", val_count=2)["photos"] == 5  # gray is fine there


def test_agrees_with_what_a_run_loads(make_folder):
    folder = make_folder("agree", colour=4, gray=2, broken=2)
    Image.fromarray(np.full((20, 2000, 3), 90, np.uint8)).save(folder / "strip.png")  # too thin
    photos = PhotoSet.load(folder, max_side=loop.DEFAULTS["max_side"])
    assert scan_folder(folder, "inpaint")["photos"] == len(photos) == 6
    result = scan_folder(folder, "colorize")
    assert result["photos"] == len(chroma.drop_monochrome(photos)) == 4
    assert len(result["unreadable"]) == 3  # two broken files and the strip
    assert photos_needed(loop.DEFAULTS["val_count"]) == result["needed"]


def test_a_colorize_scan_counts_what_a_fine_tune_keeps(make_folder):
    """A panorama thin enough to be too small at a colorize fine-tune's 320 px but not at a new
    run's 768 px is counted out by default (the scan never promises more than a run finds)."""
    folder = make_folder("thin", colour=4, gray=0, broken=0)
    strip = np.random.default_rng(0).integers(0, 255, (60, 1000, 3), dtype=np.uint8)
    Image.fromarray(strip).save(folder / "strip.png")
    fine_tune = loop.FINE_TUNE_SCALE["colorize"]["max_side"]
    kept = chroma.drop_monochrome(PhotoSet.load(folder, max_side=fine_tune))
    assert scan_folder(folder, "colorize")["photos"] == len(kept) == 4
    assert scan_folder(folder, "colorize", max_side=768)["photos"] == 5  # the run's --max-side
    assert scan_folder(folder, "inpaint")["photos"] == 5
    assert cli.main(["--task", "colorize", "--photos", str(folder), "--scan", "--json",
                     "--val-count", "2", "--max-side", "768"]) == 0


def test_cli_prints_one_json_line_and_exit_status(photo_dir, capsys):
    assert cli.main(["--task", "inpaint", "--photos", str(photo_dir), "--scan", "--json"]) == 2
    out, err = capsys.readouterr()
    (line,) = out.splitlines()
    assert json.loads(line)["photos"] == 6 and json.loads(line)["ok"] is False
    assert err.strip() == (f"error: found 6 usable photos in {photo_dir} (1 unreadable); "
                           "need at least 10: add 4 more")
    argv = ["--task", "inpaint", "--photos", str(photo_dir), "--scan", "--val-count", "2"]
    assert cli.main([*argv, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["ok"] is True and err == ""


def test_empty_and_missing_folders(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert cli.main(["--task", "colorize", "--photos", str(tmp_path / "empty"), "--scan",
                     "--json"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out)["photos"] == 0
    assert err.strip() == (f"error: found 0 usable photos in {tmp_path / 'empty'} "
                           "(0 unreadable, 0 near-monochrome); need at least 10")
    assert cli.main(["--photos", str(tmp_path / "missing"), "--scan", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == f"error: photo folder {tmp_path / 'missing'} does not exist"


def test_terminal_summary(photo_dir):
    text = summary(scan_folder(photo_dir, "inpaint"), photo_dir)
    assert text.splitlines()[0].endswith("a run needs at least 10: not enough")
    assert "skipped" in text and "broken.jpg" in text


def test_an_inpaint_scan_does_not_import_torch(photo_dir):
    code = ("import sys; from trainer.__main__ import main; "
            f"code = main(['--photos', {str(photo_dir)!r}, '--scan', '--json']); "
            "sys.exit(10 if 'torch' in sys.modules else code)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr  # not enough photos, and torch never imported
