"""The CLI against hostile and mistaken input (issue 20): hints files that are pipes, devices,
huge or deeply nested; card names with terminal escapes; a closed stdout; mistyped commands;
a default model whose weights do not load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import models
from inpaint_desktop import __main__ as entry
from inpaint_desktop import cli
from models import engine as registry
from models.engine import COLORIZE, INPAINT, EngineInfo, register_info, unregister
from models.weights import WeightsError

ROOT = Path(__file__).resolve().parent.parent
HINTS_LIMIT = 1_000_000  # bytes, said in the error as "1 MB"


def gray_scan(path):
    Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))).save(path)
    return path


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def colorize(capsys, scan, hints, out):
    return run(capsys, "colorize", "--image", str(scan), "--hints", str(hints), "--output",
               str(out), "--model", "levin")


# --- item 6: hints files ---------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_as_hints_is_refused_without_opening_it(tmp_path, capsys):
    scan = gray_scan(tmp_path / "scan.png")
    fifo = tmp_path / "h.json"
    os.mkfifo(fifo)

    def unblock():  # should a reader have opened it, give it an end (never blocks itself)
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # no reader: nothing to unblock
            return
        os.write(fd, b'{"points": []}')
        os.close(fd)

    watchdog = threading.Timer(3.0, unblock)
    watchdog.start()
    try:
        status, _, err = colorize(capsys, scan, fifo, tmp_path / "out.png")
    finally:
        watchdog.cancel()
    assert status == 2
    assert err == "colorize: h.json: not a regular file (a pipe or device)\n"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_as_hints_is_refused(tmp_path, capsys):
    status, _, err = colorize(capsys, gray_scan(tmp_path / "scan.png"), "/dev/zero",
                              tmp_path / "out.png")
    assert status == 2
    assert err == "colorize: zero: not a regular file (a pipe or device)\n"


def test_a_huge_hints_file_is_refused_with_the_limit(tmp_path, capsys):
    big = tmp_path / "h.json"
    big.write_text('{"points": []}' + " " * HINTS_LIMIT)
    status, _, err = colorize(capsys, gray_scan(tmp_path / "scan.png"), big,
                              tmp_path / "out.png")
    assert status == 2
    assert err == "colorize: h.json: too large for a hints file (the limit is 1 MB)\n"


def test_deeply_nested_hints_fail_one_item_and_the_batch_goes_on(tmp_path, capsys):
    scans, hints, out = tmp_path / "scans", tmp_path / "hints", tmp_path / "out"
    scans.mkdir()
    hints.mkdir()
    for name in ("a", "b", "c"):
        gray_scan(scans / f"{name}.png")
        (hints / f"{name}.json").write_text(json.dumps({"points": [[3, 3, "#ff0000"]]}))
    (hints / "b.json").write_text("[" * 100_000)  # under the size limit, deeper than Python
    status, stdout, err = run(capsys, "colorize", "--image", str(scans), "--hints",
                              str(hints), "--output", str(out), "--model", "levin")
    assert status == 2
    assert err == "colorize: b.json: not valid JSON (nested too deeply)\n"
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]
    assert "2 of 3 written, 1 failed" in stdout


# --- item 8: names are printed sanitised --------------------------------------------------------

EVIL = "evil\n\x1b[2J\x1b]0;pwned\x07name"


@pytest.fixture
def evil_engine():
    def factory(device):
        raise WeightsError("cannot build")

    info = EngineInfo(EVIL, COLORIZE, f"label {EVIL}", f"about {EVIL}", factory, -100)
    register_info(info)
    yield info
    unregister(EVIL)


def test_models_prints_card_names_without_control_characters(evil_engine, capsys):
    status, out, err = run(capsys, "models")
    assert status == 0
    assert "\x1b" not in out and "\x07" not in out
    evil_lines = [line for line in out.splitlines() if "evil" in line]
    assert len(evil_lines) == 1  # the newline in the name did not start a new row
    assert r"evil\n\x1b[2J\x1b]0;pwned\x07name" in evil_lines[0]
    assert r"label evil\n" in evil_lines[0] and r"about evil\n" in evil_lines[0]


def test_error_lines_print_names_without_control_characters(evil_engine, tmp_path, capsys):
    scan = gray_scan(tmp_path / "scan.png")
    status, _, err = run(capsys, "colorize", "--image", str(scan), "--output",
                         str(tmp_path / "out.png"), "--model", "nope")  # lists the names
    assert status == 2
    assert "\x1b" not in err and "\x07" not in err and err.count("\n") == 1
    assert r"\x1b[2J" in err


def test_a_skipped_model_file_is_named_without_control_characters(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "evil\x1b]0;pwned\x07.safetensors").write_bytes(b"")  # no card: skipped
    done = subprocess.run([sys.executable, "-m", "inpaint_desktop", "models"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(_env(), INPAINT_DESKTOP_MODELS=str(folder)))
    assert done.returncode == 0
    assert "skipped a model" in done.stderr and r"evil\x1b]0;pwned\x07" in done.stderr
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr


# --- item 9: a closed stdout ------------------------------------------------------------------


@pytest.mark.parametrize("args", [["models"], ["--help"]])
def test_output_into_a_closed_pipe_has_no_traceback(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` that has already quit: every write gets EPIPE
    try:
        done = subprocess.run([sys.executable, "-m", "inpaint_desktop", *args],
                              stdout=write_end, stderr=subprocess.PIPE, text=True,
                              timeout=120, cwd=ROOT, env=_env())
    finally:
        os.close(write_end)
    assert done.stderr == ""
    # as if killed by SIGPIPE, the shell's convention (argparse itself ignores write errors)
    assert done.returncode == (0 if args == ["--help"] else 141)


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


# --- item 10: help, mistyped commands, the editor's file argument -------------------------------


@pytest.fixture
def editor(monkeypatch):
    """Records what would have started the GUI."""
    import inpaint_desktop.app

    started = []
    monkeypatch.setattr(inpaint_desktop.app, "run", lambda argv: started.append(argv) or 0)
    return started


def test_help_lists_the_commands(editor, capsys):
    assert entry.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("erase", "colorize", "restore", "models", "train"):
        assert f"    {command} " in out
    assert "IMAGE-OR-PROJECT" in out
    assert editor == []


def test_a_mistyped_command_is_an_error_with_a_suggestion(editor, capsys):
    assert entry.main(["erse", "--image", "x.png"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("inpaint-desktop: unknown command 'erse' (did you mean 'erase'?)")
    assert entry.main(["zzzz"]) == 2
    assert "did you mean" not in capsys.readouterr().err
    assert editor == []


def test_commands_still_run_through_the_entry_point(editor, capsys):
    assert entry.main(["models"]) == 0
    assert "levin" in capsys.readouterr().out
    assert editor == []


def test_a_file_argument_still_opens_the_editor(editor, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scan").write_bytes(b"")  # an existing file without an extension
    cases = [["photo.jpg"], ["missing/photo.jpg"], ["scan"], [str(tmp_path / "x.png")],
             ["project.inpaint"], []]  # a missing file is the editor's to report
    for argv in cases:
        assert entry.main(argv) == 0
    assert editor == cases
    assert capsys.readouterr().err == ""


# --- item 11: the default engine falls back -----------------------------------------------------


@pytest.fixture
def damaged_default():
    def factory(device):
        raise WeightsError("weights file damaged.safetensors: sha256 does not match its card")

    info = EngineInfo("test-damaged", INPAINT, "Damaged net", "", factory, 10**6)
    register_info(info)
    yield info
    unregister("test-damaged")


def test_a_default_that_fails_to_load_says_which_engine_ran(damaged_default, tmp_path,
                                                             capsys):
    image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    mask = np.zeros((48, 64), np.uint8)
    mask[20:30, 20:30] = 255
    Image.fromarray(image).save(tmp_path / "in.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    fallback = models.inpainters()[1]  # the next in line
    before = len(registry.fallback_problems)
    status, out, err = run(capsys, "erase", "--image", str(tmp_path / "in.png"), "--mask",
                           str(tmp_path / "mask.png"), "--output", str(tmp_path / "out.png"))
    assert status == 0 and "in.png ->" in out
    assert len(registry.fallback_problems) == before + 1
    line = err.strip()
    assert err.count("\n") == 1
    assert line.startswith("erase: the default model did not load (test-damaged: weights file "
                           "damaged.safetensors: sha256 does not match its card)")
    assert line.endswith(f"using {fallback.name} ({fallback.label}) instead")
