"""The user's model files (a ``.safetensors`` weights file + its ``.json`` card): rename,
delete, export. Pure Python; the Models dialog calls these. Bundled models are never touched
here: the dialog only offers these for files in the user's model folder.

Every function raises :class:`ModelFileError` (one line, for the user) on a problem, and
never leaves a model half-changed: a card is rewritten atomically, and a rename whose card
cannot be written puts the weights back.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from inpaint_desktop.workers.training_runs import name_problem


class ModelFileError(RuntimeError):
    pass


def card_of(weights: Path) -> Path:
    return Path(weights).with_suffix(".json")


def _read_card(weights: Path) -> dict:
    try:
        card = json.loads(card_of(weights).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"cannot read the model card of {Path(weights).name} ({exc})") \
            from None
    if not isinstance(card, dict):
        raise ModelFileError(f"the model card of {Path(weights).name} is not a JSON object")
    return card


def _write_card(path: Path, card: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelFileError(f"cannot write {path.name} ({exc.strerror or exc})") from None


def rename_model(weights: Path, new_name: str) -> Path:
    """Rename weights + card to `new_name` (the card's "name" too); returns the new weights."""
    weights = Path(weights)
    why = name_problem(new_name)
    if why:
        raise ModelFileError(why)
    target = weights.with_name(f"{new_name}{weights.suffix}")
    if target == weights:
        return weights
    if target.exists() or card_of(target).exists():
        raise ModelFileError(f"a model named “{new_name}” exists already")
    card = _read_card(weights)
    old_name = str(card.get("name") or weights.stem)
    card["name"] = new_name
    if "weights" in card:
        card["weights"] = target.name
    if isinstance(card.get("label"), str) and old_name in card["label"]:
        card["label"] = card["label"].replace(old_name, new_name)
    try:
        os.rename(weights, target)
    except OSError as exc:
        raise ModelFileError(f"cannot rename {weights.name} ({exc.strerror or exc})") from None
    try:
        _write_card(card_of(target), card)
    except ModelFileError:
        os.rename(target, weights)
        raise
    card_of(weights).unlink(missing_ok=True)
    return target


def delete_model(weights: Path) -> None:
    weights = Path(weights)
    try:
        weights.unlink(missing_ok=True)
        card_of(weights).unlink(missing_ok=True)
    except OSError as exc:
        raise ModelFileError(f"cannot delete {weights.name} ({exc.strerror or exc})") from None


def export_model(weights: Path, folder: Path) -> list[Path]:
    """Copy weights + card into `folder` (never over an existing file); returns the copies."""
    weights, folder = Path(weights), Path(folder)
    sources = [weights, card_of(weights)]
    targets = [folder / p.name for p in sources]
    existing = [t.name for t in targets if t.exists()]
    if existing:
        raise ModelFileError(f"{folder} already has {' and '.join(existing)}")
    done = []
    try:
        for src, dst in zip(sources, targets):
            shutil.copy2(src, dst)
            done.append(dst)
    except OSError as exc:
        for path in done:
            path.unlink(missing_ok=True)
        raise ModelFileError(f"cannot copy {weights.name} to {folder} "
                             f"({exc.strerror or exc})") from None
    return targets
