"""A quick look at a photo folder before training: how many photos a run could use.

``python -m trainer --task T --photos DIR --scan`` decodes each photo small (JPEG draft mode,
so a 24 MP file costs a few milliseconds), with the same decoder and rules as the training
set (:func:`trainer.data.load_photo`, the too-small rule of :class:`~trainer.data.PhotoSet`,
and for colorize the near-monochrome rule of :func:`trainer.chroma.drop_monochrome`), so the
count it reports is the count a run will find. No torch is imported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from trainer.chroma import MONO_CHROMA_STD, chroma_std
from trainer.data import find_photos, load_photo, open_photo, skip_reason
from trainer.errors import TrainError

MIN_TRAIN_PHOTOS = 2  # a run needs at least this many photos to train on ...
DEFAULT_VAL_COUNT = 8  # ... plus this many held out to measure it (the run's default)
TRAIN_MAX_SIDE = 768  # a new run's default `max_side` and `min_side`: the too-small rule
TRAIN_MIN_SIDE = 32
# A fine-tune's default `max_side` (trainer.loop.FINE_TUNE_SCALE): the colorizer's is smaller,
# so a thin panorama kept by a new run can be too small for a fine-tune.
FINE_TUNE_MAX_SIDE = {"inpaint": 1024, "colorize": 320}
SCAN_SIDE = 128  # decode size of a scan; chroma_std looks at 128 px anyway


def photos_needed(val_count: int = DEFAULT_VAL_COUNT) -> int:
    return MIN_TRAIN_PHOTOS + val_count


def shortage_message(folder: str | os.PathLike, usable: int, unreadable: int,
                     monochrome: int | None, needed: int) -> str:
    """The one-line error for a folder with too few usable photos."""
    skipped = f"{unreadable} unreadable"
    if monochrome is not None:
        skipped += f", {monochrome} near-monochrome"
    more = f": add {needed - usable} more" if usable else ""
    return (f"found {usable} usable photos in {folder} ({skipped}); "
            f"need at least {needed}{more}")


def scan_max_side(task: str) -> int:
    """The `max_side` a scan assumes when none is given: the smaller of a new run's and a
    fine-tune's, so that the count is one that either kind of run finds (at worst a very thin
    panorama is counted out that a new run would keep)."""
    return min(TRAIN_MAX_SIDE, FINE_TUNE_MAX_SIDE.get(task, TRAIN_MAX_SIDE))


def _check(path: Path, task: str, max_side: int) -> tuple[str, str | None]:
    """("ok" | "unreadable" | "monochrome", reason)."""
    try:
        with open_photo(path) as im:  # header only: the size the run would keep
            w, h = im.size
        img = load_photo(path, SCAN_SIDE)
    except Exception as exc:  # noqa: BLE001 - any decoder failure means "unreadable"
        return "unreadable", skip_reason(exc)
    scale = min(1.0, max_side / max(w, h, 1))
    if round(min(w, h) * scale) < TRAIN_MIN_SIDE:
        return "unreadable", f"too small ({w}x{h})"
    if task == "colorize":
        std = chroma_std(img)
        if std < MONO_CHROMA_STD:
            return "monochrome", f"near-monochrome (chroma std {std:.1f} < {MONO_CHROMA_STD:g})"
    return "ok", None


def scan_folder(photos: str | os.PathLike, task: str, val_count: int | None = None,
                max_side: int | None = None) -> dict[str, Any]:
    """The ``{"event": "scan", ...}`` line of a folder (see the module docstring); `max_side`
    is the run's --max-side (default: :func:`scan_max_side`)."""
    max_side = max_side or scan_max_side(task)
    if not Path(photos).exists():
        raise TrainError(f"photo folder {photos} does not exist")
    usable, unreadable, monochrome = 0, [], []
    for path in find_photos(photos):
        verdict, reason = _check(path, task, max_side)
        if verdict == "ok":
            usable += 1
        else:
            (unreadable if verdict == "unreadable" else monochrome).append([str(path), reason])
    needed = photos_needed(DEFAULT_VAL_COUNT if val_count is None else val_count)
    return {"event": "scan", "task": task, "photos": usable, "unreadable": unreadable,
            "monochrome": monochrome, "needed": needed, "ok": usable >= needed}


def problem(result: dict[str, Any], folder: str | os.PathLike) -> str | None:
    """The one-line error of a scan that is not ok, else None."""
    if result["ok"]:
        return None
    mono = len(result["monochrome"]) if result["task"] == "colorize" else None
    return shortage_message(folder, result["photos"], len(result["unreadable"]), mono,
                            result["needed"])


def summary(result: dict[str, Any], folder: str | os.PathLike, limit: int = 10) -> str:
    """A few lines for a terminal: the count, the verdict, the first skipped files."""
    lines = [f"{folder}: {result['photos']} usable photos for {result['task']} "
             f"({len(result['unreadable'])} unreadable"
             + (f", {len(result['monochrome'])} near-monochrome" if result["task"] == "colorize"
                else "") + f"); a run needs at least {result['needed']}: "
             + ("ok" if result["ok"] else "not enough")]
    skipped = result["unreadable"] + result["monochrome"]
    for path, reason in skipped[:limit]:
        lines.append(f"  skipped {path}: {reason}")
    if len(skipped) > limit:
        lines.append(f"  ... and {len(skipped) - limit} more")
    return "\n".join(lines)
