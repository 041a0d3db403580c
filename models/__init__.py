"""Networks and inference engines (numpy, OpenCV, torch). Never imports Qt or the app.

Importing the package registers the classical engines, so `get_inpainter()` and
`get_colorizer()` always have something to return, with no weights at all. The interface is
in `models/engine.py`.
"""

from . import classical_colorize, classical_inpaint  # noqa: F401  (register the engines)
from .engine import (
    Cancelled,
    CancelToken,
    ColorizeOptions,
    Colorizer,
    ColorizeResult,
    EngineInfo,
    Hint,
    Inpainter,
    InpaintOptions,
    NothingToDo,
    UnknownModel,
    colorizers,
    default_colorizer,
    default_inpainter,
    get_colorizer,
    get_inpainter,
    inpainters,
    register,
    select_device,
)

__all__ = [
    "CancelToken", "Cancelled", "ColorizeOptions", "ColorizeResult", "Colorizer", "EngineInfo",
    "Hint", "InpaintOptions", "Inpainter", "NothingToDo", "UnknownModel", "colorizers",
    "default_colorizer", "default_inpainter", "get_colorizer", "get_inpainter", "inpainters",
    "register", "select_device",
]
