"""Shared test set-up: headless Qt, and no test may leave a thread running."""

import os
import tempfile
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The engine registry discovers the user's trained models on import: tests see none of them.
os.environ["INPAINT_DESKTOP_MODELS"] = tempfile.mkdtemp(prefix="inpaint-test-models-")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def no_thread_left_running():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()
                 and not t.daemon]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not extra, f"test left threads running: {[t.name for t in extra]}"
    from inpaint_desktop.workers.inference import running_qthreads

    qthreads = running_qthreads()
    assert not qthreads, f"test left QThreads running: {[t.objectName() for t in qthreads]}"


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """A modal dialog would wait forever for a click in a headless test: fail instead."""
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtWidgets import QColorDialog, QFileDialog, QInputDialog, QMessageBox

    def refuse(*args, **kwargs):
        raise AssertionError("a modal dialog was opened in a test; monkeypatch it")

    for cls, names in ((QMessageBox, ("question", "warning", "critical", "information")),
                       (QFileDialog, ("getOpenFileName", "getSaveFileName",
                                      "getExistingDirectory")),
                       (QInputDialog, ("getInt", "getText", "getDouble", "getItem")),
                       (QColorDialog, ("getColor",))):
        for name in names:
            monkeypatch.setattr(cls, name, refuse)


@pytest.fixture
def isolated_settings(tmp_path, monkeypatch):
    """Settings and app data under tmp_path, so tests never see the user's files."""
    monkeypatch.setenv("INPAINT_DESKTOP_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path
