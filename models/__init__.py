"""Networks and inference engines (numpy, OpenCV, torch). Never imports Qt or the app.

Importing the package registers the classical engines, so `get_inpainter()`,
`get_colorizer()`, `get_detector()` and `get_selector()` always have something to
return, with no weights at
all, and the learned models found on disk (`models/learned.py`; a bundled model becomes the
default). The interface is in `models/engine.py`.
"""

from . import classical_colorize, classical_inpaint, damage, select  # noqa: F401  (register the engines)
from .engine import (
    Cancelled,
    CancelToken,
    ColorizeOptions,
    Colorizer,
    ColorizeResult,
    DamageDetector,
    EngineInfo,
    Hint,
    Inpainter,
    InpaintOptions,
    NothingToDo,
    Selector,
    UnknownModel,
    colorizers,
    default_colorizer,
    default_inpainter,
    detectors,
    get_colorizer,
    get_detector,
    get_inpainter,
    get_selector,
    inpainters,
    register,
    select_device,
    selectors,
)
from .learned import discover, discovery_problems, palette_colorizers
from .weights import WeightsError

# Learned models (weights + model card) in resources/weights and the user's model folder.
# Reads the cards only: torch and the weights load when an engine is built.
discover()

__all__ = [
    "CancelToken", "Cancelled", "ColorizeOptions", "ColorizeResult", "Colorizer",
    "DamageDetector", "EngineInfo",
    "Hint", "InpaintOptions", "Inpainter", "NothingToDo", "Selector", "UnknownModel",
    "WeightsError", "colorizers", "default_colorizer", "default_inpainter", "discover",
    "detectors", "discovery_problems", "get_colorizer", "get_detector", "get_inpainter",
    "get_selector", "inpainters", "palette_colorizers", "register", "select_device",
    "selectors",
]
