"""Where the app keeps its preferences (QSettings).

INPAINT_DESKTOP_SETTINGS names an INI file to use instead of the platform's place:
tests use it so that they never read or write the user's own settings.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings


def settings() -> QSettings:
    path = os.environ.get("INPAINT_DESKTOP_SETTINGS")
    if path:
        return QSettings(path, QSettings.IniFormat)
    return QSettings("inpaint-desktop", "inpaint-desktop")
