"""Where the app keeps the user's trained models and training runs.

The models folder is the one `models.learned.discover` searches (the platform's data folder,
asked of Qt here), so a model that the Train dialog installs shows up in the engine pickers:
``<data>/inpaint-desktop/models`` and the runs beside it in ``<data>/inpaint-desktop/runs``.
``$INPAINT_DESKTOP_MODELS`` (tests set it) overrides: its first folder holds the models and
``runs`` sits next to that folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from models.learned import APP_DIR, MODELS_ENV


def models_dir() -> Path:
    env = os.environ.get(MODELS_ENV)
    if env:
        first = next((p for p in env.split(os.pathsep) if p), None)
        if first:
            return Path(first).expanduser()
    base = QStandardPaths.writableLocation(QStandardPaths.GenericDataLocation)
    return Path(base) / APP_DIR / "models"


def runs_dir() -> Path:
    return models_dir().parent / "runs"
