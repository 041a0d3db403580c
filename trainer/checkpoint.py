"""Atomic training checkpoints and small exported weights.

A checkpoint holds everything a run needs to continue exactly where it stopped: model and
optimizer state, step, elapsed time, the RNG states (torch, the data sampler's numpy generator,
Python's ``random``) and the configuration. It is written to a temporary file in the same
folder, flushed and fsync'ed, then renamed over the old one with :func:`os.replace`, so the file
on disk is always either the previous complete checkpoint or the new complete one, whatever
happens in between (a crash, ``kill -9``, a full disk).

Checkpoints are read with ``torch.load(weights_only=True)``: a file on disk is untrusted input.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save as safetensors_save

from models.weights import sha256_of  # noqa: F401  (the cards' checksum, one definition)


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows: directories cannot be opened; rename is still atomic there
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_temp(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` in full (fsync'ed) to a new temporary file beside ``path``, ready to be
    renamed over it; returns its path. Nothing is left behind if writing fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):  # mkstemp makes 0600; give the usual file mode
                os.fchmod(f.fileno(), 0o666 & ~_UMASK)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return Path(tmp)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is never seen half-written."""
    tmp = write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(Path(path).parent)


def remove_stale_temps(folder: str | os.PathLike) -> list[Path]:
    """Delete temp files that a killed writer left behind in ``folder``; returns them."""
    removed = []
    folder = Path(folder)
    if folder.is_dir():
        for p in folder.glob(".*.tmp"):
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Serialize ``state`` with ``torch.save`` and write it atomically."""
    import io

    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (no pickled code is executed)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def export_weights(
    model: torch.nn.Module,
    weights_path: str | os.PathLike,
    card: dict[str, Any],
    half: bool = True,
) -> dict[str, Any]:
    """Write the model's weights as safetensors (fp16 by default) and a JSON model card beside.

    The card (``<weights stem>.json``) gets the weights' sha256, size and dtype added; both files
    are written atomically. Returns the card.
    """
    weights_path = Path(weights_path)
    tensors = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu()
        if half and v.is_floating_point():
            v = v.half()
        tensors[k] = v.contiguous()
    data = safetensors_save(tensors, metadata={"architecture": str(card.get("architecture", ""))})
    atomic_write_bytes(weights_path, data)
    card = {
        **card,
        "weights": weights_path.name,
        "dtype": "float16" if half else "float32",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    text = json.dumps(card, indent=2, sort_keys=False) + "\n"
    atomic_write_bytes(weights_path.with_suffix(".json"), text.encode())
    return card
