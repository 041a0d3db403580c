"""run.sh and scripts/venv.sh, run in a copy of the project whose .venv/bin/python is a stand-in
(no install, no window): the X-library check before the editor starts, and the quiet install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="bash scripts, Linux's X check")

# Stands in for .venv/bin/python: `-m inpaint_desktop` says what it would start, `-m pip`
# emits what pip and setuptools print during `pip install -e` (warnings through the real
# warnings module, so that the filter is put to the test), anything else is the real Python.
FAKE_PYTHON = """#!/usr/bin/env bash
if [ "$1" = -m ] && [ "$2" = inpaint_desktop ]; then shift 2; echo "started: $*"; exit 0; fi
if [ "$1" = -m ] && [ "$2" = pip ]; then
  exec {python} -c '
import sys, warnings
class BuildBackendWarning(UserWarning): pass
print("WARNING: Location file:///x is ignored: it is neither a file nor a directory.",
      file=sys.stderr)
warnings.warn("Editable installation.\\n!!\\n\\n  ****\\n  Please be careful with folders in "
              "your working directory\\n  ****\\n\\n!!", BuildBackendWarning)
warnings.warn("a warning that matters", DeprecationWarning)
print("ERROR: a real problem", file=sys.stderr)
'
fi
exec {python} "$@"
"""

FAKE_LDD = """#!/usr/bin/env bash
echo "	linux-vdso.so.1 (0x00007ffd)"
echo "	libxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f01)"
for lib in $FAKE_MISSING; do echo "	$lib => not found"; done
"""


@pytest.fixture
def project(tmp_path):
    """A copy of run.sh and scripts/ with a stand-in .venv and ldd."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    for name in ("run.sh", "pyproject.toml", "scripts/venv.sh", "scripts/check_x_libs.sh"):
        shutil.copy(ROOT / name, root / name)
    python = root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON.replace("{python}", sys.executable))
    python.chmod(0o755)
    plugins = root / ".venv/lib/python3.11/site-packages/PySide6/Qt/plugins/platforms"
    plugins.mkdir(parents=True)
    (plugins / "libqxcb.so").write_bytes(b"")
    ldd = tmp_path / "ldd"
    ldd.write_text(FAKE_LDD)
    ldd.chmod(0o755)
    return root


def run_sh(project, *args, missing="", **env):
    full = {k: v for k, v in os.environ.items()
            if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "PYTHONWARNINGS")}
    full.update(INPAINT_DESKTOP_LDD=str(project.parent / "ldd"), FAKE_MISSING=missing,
                PYTHONPATH=str(ROOT), **env)
    return subprocess.run(["bash", str(project / "run.sh"), *args], capture_output=True,
                          text=True, timeout=60, env=full)


# --- item 19: the X libraries ------------------------------------------------------------------


def test_missing_x_libraries_print_the_install_line_instead_of_starting(project):
    done = run_sh(project, missing="libxcb-cursor.so.0 libxcb-icccm.so.4 libxcb-xkb.so.1")
    assert done.returncode == 1
    assert "started" not in done.stdout
    err = done.stderr
    assert "libxcb-cursor.so.0 libxcb-icccm.so.4 libxcb-xkb.so.1" in err
    assert "Debian/Ubuntu: sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-xkb1\n" in err
    assert "Fedora:        sudo dnf install xcb-util-cursor xcb-util-wm libxcb\n" in err
    assert "Traceback" not in err


def test_an_unknown_missing_library_is_named(project):
    done = run_sh(project, "photo.jpg", missing="libweird.so.3")
    assert done.returncode == 1 and "started" not in done.stdout
    assert "Also install the packages that provide: libweird.so.3" in done.stderr
    assert "apt install" not in done.stderr


def test_the_editor_starts_when_nothing_is_missing(project):
    done = run_sh(project, "photo.jpg")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "started: photo.jpg\n"
    assert "X libraries" not in done.stderr


@pytest.mark.parametrize("args", [["erase", "--image", "a.png"], ["models"], ["--help"],
                                  ["erse"]])
def test_command_line_tools_do_not_need_x(project, args):
    done = run_sh(project, *args, missing="libxcb-cursor.so.0")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"started: {' '.join(args)}\n"
    assert "X libraries" not in done.stderr


def test_no_check_off_x11_and_only_a_warning_on_wayland(project):
    done = run_sh(project, missing="libxcb-cursor.so.0", QT_QPA_PLATFORM="offscreen")
    assert done.returncode == 0 and "X libraries" not in done.stderr
    done = run_sh(project, missing="libxcb-cursor.so.0", WAYLAND_DISPLAY="wayland-0")
    assert done.returncode == 0 and done.stdout == "started: \n"
    assert "sudo apt install libxcb-cursor0" in done.stderr and "Wayland" in done.stderr


# --- item 20: the install is quiet ----------------------------------------------------------


def test_install_drops_setuptools_editable_block_but_not_real_problems(project):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    done = subprocess.run(["bash", str(project / "scripts" / "venv.sh")], capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "Editable installation" not in done.stderr and "!!" not in done.stderr
    assert "is ignored: it is neither a file" not in done.stderr
    assert "a warning that matters" in done.stderr
    assert "ERROR: a real problem" in done.stderr
