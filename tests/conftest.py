"""Shared test set-up: headless Qt, and no test may leave a thread running."""

import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Settings of the tests never touch the user's own (QSettings, model folders).
os.environ.setdefault("INPAINT_DESKTOP_TEST", "1")

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


@pytest.fixture
def isolated_settings(tmp_path, monkeypatch):
    """QSettings and app data under tmp_path, so tests never see the user's files."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path
