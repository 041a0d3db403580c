"""Putting a finished run's weights into the user's model folder, where the app finds them.

At the end of a run (done, stopped or out of budget) the best weights of the run
(``best.safetensors``, else ``latest.safetensors``) and their card are copied atomically to
``<models dir>/<name>.safetensors`` and ``<name>.json``. The card gets what a user asks of a
fine-tuned model: the base model, the photo folder and count, and the held-out metric before
and after (``metrics.before`` / ``metrics.after``).

Guards, all checked when the run starts (so no one waits an hour to learn of them) and again
when installing:

- the name is a plain file name (:func:`check_name`);
- nothing is ever written into the bundled folder ``resources/weights``;
- a name already taken in the folder by another run (or by a file the user put there) is
  refused; the same run, resumed, replaces its own earlier result. The card's
  ``training.run_id`` tells them apart.

A run that ends without installing (its held-out score is below its reference, or
``--no-install``) leaves ``<run dir>/not-installed.json`` (:func:`write_pending`): the
install it did not do, with its card additions and the two scores. ``python -m trainer
--install-only --name NAME`` does that install later (:func:`install_pending`; a result below
its reference also needs ``--install-anyway``) without training or reading the photos again:
the Train dialog's "Install anyway?" runs it. A new invocation of the run removes the file
until its own end.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from trainer.errors import TrainError

NAME_MAX = 64
WEIGHTS_SUFFIX = ".safetensors"
PENDING_NAME = "not-installed.json"


def check_name(name: str) -> str:
    """``name`` if it is a usable model / run name, else a one-line :class:`TrainError`."""
    why = None
    if not name or not name.strip():
        why = "it is empty"
    elif any(sep in name for sep in ("/", "\\", os.sep, os.altsep or "/")):
        why = "it must not contain / or \\"
    elif name.startswith("."):
        why = "it must not start with a dot"
    elif len(name) > NAME_MAX:
        why = f"it is {len(name)} characters long; at most {NAME_MAX}"
    elif any(ord(c) < 32 for c in name):
        why = "it must not contain control characters"
    if why:
        raise TrainError(f"invalid name {name!r}: {why}")
    return name


def _bundled_folder() -> Path:
    from models.learned import bundled_folder  # numpy only: no torch

    return bundled_folder()


def default_models_dir() -> Path:
    """The user's model folder: ``$INPAINT_DESKTOP_MODELS`` (first) or the platform's."""
    from models.learned import user_folders

    return user_folders()[0]


def check_models_dir(models_dir: str | os.PathLike) -> Path:
    """``models_dir`` resolved; refuses the bundled folder and anything inside it."""
    target = Path(models_dir).expanduser().resolve()
    bundled = _bundled_folder().resolve()
    if target == bundled or bundled in target.parents:
        raise TrainError(f"model folder {models_dir} is inside the bundled folder {bundled}: "
                         "choose your own model folder (--models-dir)")
    if target.exists() and not target.is_dir():
        raise TrainError(f"model folder {models_dir} is a file, not a folder")
    return target


def paths(models_dir: Path, name: str) -> tuple[Path, Path]:
    """(weights, card) of ``name`` in ``models_dir``."""
    return models_dir / f"{name}{WEIGHTS_SUFFIX}", models_dir / f"{name}.json"


def check_target(models_dir: str | os.PathLike, name: str, run_id: str) -> Path:
    """The checked model folder for a run; refuses a name that another run's model holds."""
    folder = check_models_dir(models_dir)
    check_name(name)
    weights, card_path = paths(folder, name)
    if not weights.exists() and not card_path.exists():
        return folder
    owner = None
    try:
        card = json.loads(card_path.read_text())
        owner = (card.get("training") or {}).get("run_id")
    except (OSError, ValueError, AttributeError):
        pass
    if owner != run_id:
        raise TrainError(f"a model named {name!r} already exists in {folder} (not from this "
                         "run): choose another --name, or delete that model first")
    return folder


def _consistent_source(run_dir: Path) -> tuple[Path, dict, bytes]:
    """(weights path, card, weights bytes) of the run's best weights, else its latest.

    The trainer writes a weights file and its card as two atomic renames; a kill between
    them leaves a pair whose card names another file's sha256, which the app would refuse.
    Such a pair is passed over (the best falls back to the latest), never installed.
    """
    stale = []
    for stem in ("best", "latest"):
        source = run_dir / f"{stem}{WEIGHTS_SUFFIX}"
        if not source.is_file():
            continue
        data = source.read_bytes()
        try:
            card = json.loads(source.with_suffix(".json").read_text())
        except (OSError, ValueError):
            card = {}
        if isinstance(card, dict) and card.get("sha256") == hashlib.sha256(data).hexdigest():
            return source, card, data
        stale.append(source.name)
    if stale:
        raise TrainError(f"the run's weights ({', '.join(stale)}) do not match their cards "
                         f"(an interrupted write): resume the run to rewrite them ({run_dir})")
    raise TrainError(f"the run {run_dir} has no weights to install")


def install(run_dir: str | os.PathLike, models_dir: str | os.PathLike, name: str,
            run_id: str, extra: dict[str, Any] | None = None) -> Path:
    """Copy the run's best weights + card into ``models_dir``; returns the weights' path.

    ``extra``: card additions: ``base``, ``photos``, ``photo_count``, ``metrics_before`` and
    ``steps_run`` (the run's step count; ``training.best_step`` is that of the best weights).
    """
    run_dir = Path(run_dir)
    folder = check_target(models_dir, name, run_id)
    extra = extra or {}
    weights, card_path = paths(folder, name)
    try:
        source, card, data = _consistent_source(run_dir)
        metrics = dict(card.get("metrics") or {})
        # "after" is the score of the weights installed here: the best ones may be an earlier
        # step than the run's last validation.
        after = dict(metrics.get("val_last") or {})
        after.pop("step", None)
        metrics.update(before=extra.get("metrics_before"), after=after or None)
        training = dict(card.get("training") or {})
        # The card of the best weights counts the steps up to them; say both numbers.
        training["best_step"] = training.get("steps")
        training["steps"] = extra.get("steps_run", training.get("steps"))
        training.update(photos=extra.get("photos", training.get("photos")),
                        photo_count=extra.get("photo_count"), run_id=run_id,
                        run_dir=str(run_dir.resolve()), source=source.name)
        card.update(name=name, weights=weights.name, base=extra.get("base"), training=training,
                    metrics=metrics)
        _replace_pair(weights, data, card_path, (json.dumps(card, indent=2) + "\n").encode())
    except OSError as exc:
        raise TrainError(f"cannot install the model into {folder} ({exc.strerror or exc}); "
                         f"the model there is unchanged; the trained weights are in {run_dir}"
                         ) from exc
    return weights


def _replace_pair(weights: Path, data: bytes, card_path: Path, card: bytes) -> None:
    """Put new weights and card in place together, or leave the old pair as it was.

    Both are written in full under temporary names first (where a full disk shows), then
    renamed: the card first, so that even a kill between the two renames leaves a card that
    names this run (``--resume`` may replace it; a leftover weights file without a card would
    look like someone else's). If the second rename fails, the old card is put back.
    """
    from trainer.checkpoint import atomic_write_bytes, fsync_dir, write_temp

    old_card = card_path.read_bytes() if card_path.is_file() else None
    temps: list[Path] = []
    try:
        temps.append(write_temp(weights, data))
        temps.append(write_temp(card_path, card))
        os.replace(temps[1], card_path)
        try:
            os.replace(temps[0], weights)
        except OSError:
            with contextlib.suppress(OSError):  # the old card back beside the old weights
                if old_card is None:
                    card_path.unlink()
                else:
                    atomic_write_bytes(card_path, old_card)
            raise
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    fsync_dir(weights.parent)


# --------------------------------------------------------------------------------------------
# An install left for later


def write_pending(run_dir: str | os.PathLike, name: str, run_id: str, extra: dict[str, Any],
                  reason: str | None, scores: dict[str, Any] | None = None) -> Path:
    """Record the install that the run's end did not do (see the module docstring).

    ``reason``: why not (the one line of ``worse_than_reference``), None for ``--no-install``;
    ``scores``: the best held-out score and the reference's, when worse."""
    from trainer.checkpoint import atomic_write_bytes

    path = Path(run_dir) / PENDING_NAME
    record = {"name": name, "run_id": run_id, "extra": extra, "reason": reason,
              "scores": scores}
    atomic_write_bytes(path, (json.dumps(record, indent=1) + "\n").encode())
    return path


def clear_pending(run_dir: str | os.PathLike) -> None:
    with contextlib.suppress(OSError):
        (Path(run_dir) / PENDING_NAME).unlink(missing_ok=True)


def read_pending(run_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The run's pending install, or None if it has none (installed, or still running)."""
    try:
        record = json.loads((Path(run_dir) / PENDING_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TrainError(f"cannot read {Path(run_dir) / PENDING_NAME}: {exc}") from exc
    if not isinstance(record, dict) or not isinstance(record.get("run_id"), str):
        raise TrainError(f"{Path(run_dir) / PENDING_NAME} is not a record this trainer wrote")
    return record


def install_pending(run_dir: str | os.PathLike, models_dir: str | os.PathLike, name: str,
                    anyway: bool = False) -> tuple[Path, dict[str, Any]]:
    """Do the install that the run's end left for later: (installed weights, the record).

    The same :func:`install` as at the end of a run, with the card additions the run
    recorded; a result below its reference is refused unless ``anyway``."""
    run_dir = Path(run_dir)
    record = read_pending(run_dir)
    if record is None:
        if (run_dir / "checkpoint.pt").is_file():
            raise TrainError(f"the run {run_dir} has no finished result waiting to be "
                             "installed (it was installed at its end, or it has not ended "
                             "yet: resume it)")
        raise TrainError(f"there is no run {run_dir} (check --name and --out)")
    if record.get("reason") and not anyway:
        raise TrainError(f"{record['reason']}")
    weights = install(run_dir, models_dir, name, record["run_id"], record.get("extra") or {})
    clear_pending(run_dir)
    return weights, record
