"""The weights that a fine-tune (``--base``) starts from: read, checked, converted to fp32."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from trainer import architectures as archs
from trainer import checkpoint as ckpt
from trainer.errors import TrainError

TASK_ARCHITECTURES = archs.TASK_ARCHITECTURES  # what --base may fine-tune, per task


def load_base(path: str | os.PathLike, task: str) -> tuple[dict, dict[str, torch.Tensor]]:
    """(card, fp32 state dict) of a weights file to fine-tune; checks checksum and task.

    ``path`` is a ``.safetensors`` file with its JSON card beside it (``<stem>.json``).
    """
    from safetensors.torch import load_file

    path = Path(path)
    card_path = path.with_suffix(".json")
    if path.suffix != ".safetensors" or not path.is_file():
        raise TrainError(f"base model {path}: expected an existing .safetensors file")
    if not card_path.is_file():
        raise TrainError(f"base model {path}: its model card {card_path.name} is missing")
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError) as exc:
        raise TrainError(f"base model card {card_path}: {exc}") from exc
    if not isinstance(card, dict):
        raise TrainError(f"base model card {card_path}: not a model card (a JSON object)")
    if not isinstance(card.get("config", {}), dict):
        raise TrainError(f"base model card {card_path}: its config is not a JSON object")
    arch = card.get("architecture")
    if not isinstance(arch, str) or arch not in TASK_ARCHITECTURES.get(task, set()):
        raise TrainError(f"base model {path.name} is a {arch!r} model, not one for {task!r}")
    # The result's card is checksummed anew: without the base's own sha256, tampered weights
    # would come out of a fine-tune looking verified.
    if not isinstance(card.get("sha256"), str) or not card["sha256"]:
        raise TrainError(f"base model {path.name}: its card has no sha256, so the weights "
                         "cannot be verified")
    if card["sha256"] != ckpt.sha256_of(path):
        raise TrainError(f"base model {path.name}: checksum does not match its card")
    try:
        state = {k: v.float() for k, v in load_file(str(path)).items()}
    except Exception as exc:  # noqa: BLE001 - a damaged file
        raise TrainError(f"base model {path.name}: {exc}") from exc
    return card, state
