"""Where a run computes: the device, bfloat16 support and the CPU thread count."""

from __future__ import annotations

import cv2
import torch

from models.nets.blocks import cpu_supports_bf16  # noqa: F401  (the trainer's too)


def pick_device(name: str = "auto") -> str:
    """``auto``: CUDA, then Apple MPS, then CPU; anything else is passed to torch as is."""
    if name != "auto":
        return name
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def configure_threads(threads: int | None) -> None:
    """Use ``threads`` CPU threads for torch and OpenCV (None: library defaults)."""
    if threads:
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:
            pass  # already set (e.g. in a test process)
    cv2.setNumThreads(1)
