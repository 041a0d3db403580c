"""Weights files and their model cards, read as untrusted input.

A learned model ships as a safetensors file (fp16 where quality allows) and a JSON model card
beside it with the same stem (``trainer.checkpoint.export_weights`` writes both):

    latest.safetensors
    latest.json   {"architecture": "ffc_unet", "config": {...}, "sha256": "...", ...}

- :func:`load_card` reads and checks a card (JSON object with an architecture name, a config
  object and a sha256).
- :func:`load_weights` reads a weights file, checks its sha256 against the card's, and returns
  a state dict with floating tensors in float32 (fp16 files load into fp32 models). Pickle
  formats (``.pt``, ``.pth``, ``.ckpt``, ``.bin``) are read only through
  ``torch.load(weights_only=True)``, which refuses any pickled code before running it.
- :func:`check_safetensors_header` checks a safetensors file's layout without torch and
  without reading the tensors (what model discovery does for every file it lists).

Every problem raises :class:`WeightsError` (a ValueError) with a one-line message that names
the file. torch is imported inside the functions that need it, never at module import.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import warnings
from pathlib import Path
from typing import Any

SAFETENSORS_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin")
CARD_FIELDS = ("architecture", "config", "sha256")

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the JSON header
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2,
                "I8": 1, "U8": 1, "BOOL": 1, "U16": 2, "U32": 4, "U64": 8,
                "F8_E4M3": 1, "F8_E5M2": 1}


class WeightsError(ValueError):
    """A weights file or model card that cannot be used; the message is one line."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def card_path_for(weights_path: str | os.PathLike) -> Path:
    """The model card that belongs to a weights file: same folder and stem, ``.json``."""
    return Path(weights_path).with_suffix(".json")


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_card(path: str | os.PathLike) -> dict[str, Any]:
    """Read a model card; a missing file, bad JSON or a missing field raises WeightsError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WeightsError(f"model card {path.name}: cannot read it ({_one_line(exc)})") \
            from None
    try:
        card = json.loads(text)
    except ValueError as exc:
        raise WeightsError(f"model card {path.name} is not valid JSON ({_one_line(exc)})") \
            from None
    if not isinstance(card, dict):
        raise WeightsError(f"model card {path.name} is not a JSON object")
    missing = [key for key in CARD_FIELDS if key not in card]
    if missing:
        raise WeightsError(f"model card {path.name} lacks {', '.join(missing)}")
    if not isinstance(card["architecture"], str) or not card["architecture"]:
        raise WeightsError(f"model card {path.name}: 'architecture' must be a non-empty string")
    if not isinstance(card["config"], dict):
        raise WeightsError(f"model card {path.name}: 'config' must be a JSON object")
    if not isinstance(card["sha256"], str) or not _SHA256.match(card["sha256"].lower()):
        raise WeightsError(f"model card {path.name}: 'sha256' must be 64 hex digits")
    return card


def check_safetensors_header(path: str | os.PathLike,
                             expected_bytes: int | None = None) -> dict[str, Any]:
    """Check a safetensors file's header and size without reading the tensors.

    Returns the header's ``__metadata__`` (a dict, maybe empty). A truncated file, a
    damaged header or a size other than ``expected_bytes`` raises WeightsError.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise WeightsError(f"weights file {path.name} is truncated ({size} bytes)")
            (n,) = struct.unpack("<Q", head)
            if n > _MAX_HEADER or 8 + n > size:
                raise WeightsError(f"weights file {path.name} is truncated or not safetensors")
            raw = f.read(n)
    except OSError as exc:
        raise WeightsError(f"weights file {path.name}: cannot read it ({_one_line(exc)})") \
            from None
    if expected_bytes is not None and size != expected_bytes:
        raise WeightsError(f"weights file {path.name} is {size} bytes, its card says "
                           f"{expected_bytes}")
    try:
        header = json.loads(raw)
        if not isinstance(header, dict):
            raise ValueError("header is not an object")
        end = 0
        for key, entry in header.items():
            if key == "__metadata__":
                continue
            begin, stop = entry["data_offsets"]
            count = 1
            for dim in entry["shape"]:
                count *= int(dim)
            if not 0 <= begin <= stop or stop - begin != count * _DTYPE_BYTES[entry["dtype"]]:
                raise ValueError(f"tensor {key} has inconsistent offsets")
            end = max(end, stop)
    except (ValueError, KeyError, TypeError) as exc:
        raise WeightsError(f"weights file {path.name} has a damaged header "
                           f"({_one_line(exc)})") from None
    if 8 + n + end != size:
        raise WeightsError(f"weights file {path.name} is truncated or damaged "
                           f"({size} bytes, the header needs {8 + n + end})")
    meta = header.get("__metadata__") or {}
    return meta if isinstance(meta, dict) else {}


def load_weights(path: str | os.PathLike,
                 expected_sha256: str | None = None) -> dict[str, Any]:
    """Read a state dict from ``path``; floating tensors come back as float32.

    The file is read once; its sha256 is checked against ``expected_sha256`` (when given)
    before anything is parsed. ``.safetensors`` is parsed by safetensors; a pickle format is
    parsed only by ``torch.load(weights_only=True)``; any other suffix is refused.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SAFETENSORS_SUFFIXES + PICKLE_SUFFIXES:
        raise WeightsError(f"weights file {path.name}: unknown format {suffix or '(none)'!r} "
                           f"(expected .safetensors)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WeightsError(f"weights file {path.name}: cannot read it ({_one_line(exc)})") \
            from None
    if expected_sha256 is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected_sha256.lower():
            raise WeightsError(f"weights file {path.name} does not match the checksum in its "
                               f"model card (sha256 {digest[:12]}..., expected "
                               f"{expected_sha256[:12]}...)")
    import torch

    if suffix in SAFETENSORS_SUFFIXES:
        from safetensors.torch import load as safetensors_load

        try:
            state = safetensors_load(data)
        except Exception as exc:  # noqa: BLE001 - any parse error of untrusted bytes
            raise WeightsError(f"weights file {path.name} is damaged or not safetensors "
                               f"({_one_line(exc)})") from None
    else:
        try:
            with warnings.catch_warnings():  # e.g. "pickle protocol 4": the error says enough
                warnings.simplefilter("ignore")
                state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - refused pickles and damaged files alike
            raise WeightsError(f"weights file {path.name} was refused: only plain tensors can "
                               f"be loaded from a pickle ({_one_line(exc)})") from None
        state = _state_dict_of(state, path)
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def _state_dict_of(obj: Any, path: Path) -> dict[str, Any]:
    """The tensors of a pickled state dict (bare, or under "state_dict"/"model")."""
    import torch

    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()):
        raise WeightsError(f"weights file {path.name} does not hold a state dict of tensors")
    return dict(obj)
