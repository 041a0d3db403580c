"""Colour hints: parse, validate and save the hints JSON `{"points": [[x, y, "#rrggbb"], ...]}`.

x and y are image pixel coordinates (x to the right, y down, the top-left pixel's centre at
(0, 0); fractions allowed). A point may have a fourth number, its patch size: the side of the
square (image pixels, centred on the point) that the hint colours, as in ideepcolor;
`[x, y, "#rrggbb"]` without it has the default patch (the engine's own, `Hint.size` None).
Pure Python: no Qt, no numpy. Every problem is a `HintsError` (a ValueError) whose text is
one line that names what is wrong, for the CLI and dialogs.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Iterable, Sequence
from typing import NamedTuple

PathLike = str | os.PathLike

_HEX = re.compile(r"#[0-9a-fA-F]{6}")

# A hints file is a few points; 1 MB is tens of thousands of them. The limit keeps /dev/zero
# or a huge file from filling memory.
MAX_HINTS_BYTES = 1_000_000
_TOO_LARGE = "too large for a hints file (the limit is 1 MB)"


class HintsError(ValueError):
    """Malformed hints JSON, a bad point, or a point outside the image (one-line message)."""


# Patch sizes in image pixels. The default patch (size None) is what the engines did before
# sizes existed: the bundled colorizer paints a 3 x 3 square at its 256 px working size
# (models.learned.HINT_RADIUS, DEFAULT_COLORIZE_SIZE; a test checks that these agree), so
# on a photo it covers 3 / 256 of the long side; the editor draws it that large.
MIN_HINT_SIZE = 1
MAX_HINT_SIZE = 2048
DEFAULT_PATCH_WORKING_PIXELS = 3
DEFAULT_WORKING_SIZE = 256


def default_hint_size(width: int, height: int) -> int:
    """The side (image pixels) of the default patch on a width x height image."""
    long_side = max(int(width), int(height), 1)
    scale = max(1.0, long_side / DEFAULT_WORKING_SIZE)  # the engines never upsample
    return max(MIN_HINT_SIZE, min(MAX_HINT_SIZE, round(DEFAULT_PATCH_WORKING_PIXELS * scale)))


class Hint(NamedTuple):
    """One colour hint: the pixel (x, y) should be the colour rgb (0..255 each).

    `size`: the side of its square patch in image pixels; None = the default patch."""

    x: float
    y: float
    rgb: tuple[int, int, int]
    size: float | None = None

    def patch(self, width: int, height: int) -> float:
        """The patch side in image pixels, the default one resolved for that image."""
        return default_hint_size(width, height) if self.size is None else self.size

    @property
    def hex(self) -> str:
        return rgb_to_hex(self.rgb)


def hex_to_rgb(text: str) -> tuple[int, int, int]:
    """'#rrggbb' (any case) -> (r, g, b); anything else raises HintsError."""
    if not isinstance(text, str) or not _HEX.fullmatch(text):
        raise HintsError(f"colour {text!r} is not of the form \"#rrggbb\"")
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def rgb_to_hex(rgb: Sequence[int]) -> str:
    r, g, b = (int(c) for c in rgb)
    if not all(0 <= c <= 255 for c in (r, g, b)):
        raise HintsError(f"colour {tuple(rgb)!r} is not 0..255 RGB")
    return f"#{r:02x}{g:02x}{b:02x}"


def _number(value, what: str) -> float:
    # bool is an int in Python, but `true` is no coordinate.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HintsError(f"{what} {value!r} is not a number")
    if not math.isfinite(value):
        raise HintsError(f"{what} {value!r} is not a finite number")
    return float(value)


def parse_hints(text: str) -> list[Hint]:
    """Hints from the JSON text; raises HintsError (one line) when it is malformed."""
    try:
        data = json.loads(text)
    except RecursionError:  # e.g. 100,000 nested "[": the parser's own stack limit
        raise HintsError("not valid JSON (nested too deeply)") from None
    except json.JSONDecodeError as e:
        raise HintsError(f"not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") \
            from None
    except (TypeError, ValueError) as e:  # bytes that are not UTF-8, ...
        raise HintsError(f"not valid JSON ({e})") from None
    if not isinstance(data, dict) or "points" not in data:
        raise HintsError('expected an object {"points": [[x, y, "#rrggbb"], ...]}')
    points = data["points"]
    if not isinstance(points, list):
        raise HintsError('"points" must be a list of [x, y, "#rrggbb"]')
    hints = []
    for i, point in enumerate(points, 1):
        if not isinstance(point, list) or len(point) not in (3, 4):
            raise HintsError(f'point {i}: expected [x, y, "#rrggbb"] or [x, y, "#rrggbb", '
                             f'size], got {_short_json(point)}')
        try:
            x = _number(point[0], "x")
            y = _number(point[1], "y")
            rgb = hex_to_rgb(point[2])
            size = check_size(point[3]) if len(point) == 4 else None
        except HintsError as e:
            raise HintsError(f"point {i}: {e}") from None
        hints.append(Hint(x, y, rgb, size))
    return hints


def check_size(value) -> float:
    """A patch size from a file: a number of image pixels in MIN..MAX_HINT_SIZE."""
    size = _number(value, "patch size")
    if not MIN_HINT_SIZE <= size <= MAX_HINT_SIZE:
        raise HintsError(f"patch size {size:g} is not {MIN_HINT_SIZE}..{MAX_HINT_SIZE} pixels")
    return int(size) if size.is_integer() else size


def _short_json(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def validate_hints(hints: Iterable[Hint], width: int, height: int) -> list[Hint]:
    """The hints, unchanged, if all lie inside a width x height image; else HintsError."""
    hints = list(hints)
    for i, hint in enumerate(hints, 1):
        if not (0 <= hint.x < width and 0 <= hint.y < height):
            raise HintsError(f"point {i} at ({hint.x:g}, {hint.y:g}) is outside the "
                             f"{width}x{height} image")
    return hints


def load_hints(path: PathLike, width: int | None = None, height: int | None = None
               ) -> list[Hint]:
    """Read a hints file; with width and height, also check every point lies in the image.

    Raises HintsError for a malformed file (also one that is not a regular file, or is over
    MAX_HINTS_BYTES) and OSError when it cannot be read.
    """
    # Refused before opening: opening a FIFO blocks until a writer comes, maybe forever, and
    # /dev/zero never ends.
    _check_regular(os.stat(path))
    # Non-blocking, in case a FIFO took the file's place since the stat.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as f:
        _check_regular(os.fstat(f.fileno()))
        data = f.read(MAX_HINTS_BYTES + 1)
    if len(data) > MAX_HINTS_BYTES:
        raise HintsError(_TOO_LARGE)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise HintsError("not a text file (not UTF-8)") from None
    hints = parse_hints(text)
    if width is not None and height is not None:
        validate_hints(hints, width, height)
    return hints


def _check_regular(st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a pipe or device"
        raise HintsError(f"not a regular file ({kind})")
    if st.st_size > MAX_HINTS_BYTES:
        raise HintsError(_TOO_LARGE)


def hints_to_json(hints: Iterable[Hint]) -> str:
    """The JSON text of the hints (whole-number coordinates written as integers)."""
    points = []
    for hint in hints:
        x, y = (int(v) if float(v).is_integer() else float(v) for v in (hint.x, hint.y))
        point = [x, y, rgb_to_hex(hint.rgb)]
        size = getattr(hint, "size", None)
        if size is not None:  # the default patch is written as before: three fields
            point.append(int(size) if float(size).is_integer() else float(size))
        points.append(point)
    return json.dumps({"points": points}) + "\n"


def save_hints(path: PathLike, hints: Iterable[Hint]) -> None:
    """Write the hints file atomically (a temporary file renamed over `path`)."""
    path = os.fspath(path)
    text = hints_to_json(hints)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
