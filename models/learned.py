"""Learned engines: weights files + model cards found on disk, registered as engines.

:func:`discover` looks for ``*.safetensors`` files with a ``.json`` model card beside them in

- the bundled folder ``resources/weights/`` of the repository (priority 10: a bundled model
  becomes the default engine of its kind), and
- the user's model folder (priority 5): ``$INPAINT_DESKTOP_MODELS`` (one or more folders,
  separated by ``os.pathsep``) or else the platform's data folder
  (``$XDG_DATA_HOME/inpaint-desktop/models``, ``~/.local/share/inpaint-desktop/models`` on
  Linux; ``~/Library/Application Support/inpaint-desktop/models`` on macOS;
  ``%LOCALAPPDATA%\\inpaint-desktop\\models`` on Windows).

Discovery reads the cards and checks each weights file's header and size, and registers an
:class:`~models.engine.EngineInfo` per file. It imports neither torch nor the weights: that
happens when the engine is built (``get_inpainter(name)``), which also verifies the sha256.
A broken file is skipped with a logged warning and listed by :func:`discovery_problems`.

:data:`ARCHITECTURES` maps a card's ``architecture`` name to the network that reads it.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from . import hd
from .engine import (
    COLORIZE,
    DETECT,
    INPAINT,
    CancelToken,
    ChromaHint,
    Colorizer,
    DamageDetector,
    EngineInfo,
    Inpainter,
    InpaintOptions,
    ProgressFn,
    lab_to_rgb,
    lightness,
    register_info,
    unregister,
)
from .weights import (
    WeightsError,
    card_path_for,
    check_safetensors_header,
    load_card,
    load_weights,
)

log = logging.getLogger(__name__)

BUNDLED_PRIORITY = 10
USER_PRIORITY = 5
# Long side of the crop an inpainting net fills without resizing. The nets are fully
# convolutional; at 512 a 640-1024 px crop of thin scratches was shrunk and lost 1.4 dB.
DEFAULT_WORKING_SIZE = 1024
# Long side up to which a crop with thin holes is enlarged (LearnedInpainter.thin_scale)
MAX_ENLARGED_SIDE = 2048
MODELS_ENV = "INPAINT_DESKTOP_MODELS"
APP_DIR = "inpaint-desktop"


# --------------------------------------------------------------------------------------------
# Architectures


@dataclass(frozen=True)
class Architecture:
    """A network that model cards can name. `build` is a callable(config) -> nn.Module, or
    "module:function" (imported only when a model is built, so torch stays unloaded)."""

    name: str
    kind: str  # INPAINT or COLORIZE
    label: str
    build: Callable[[dict], Any] | str
    # engine options that a card of this architecture gets unless it says otherwise (so a
    # user's fine-tune of the default net fills as well as the bundled one)
    card_defaults: dict = field(default_factory=dict)

    def build_net(self, config: dict):
        build = self.build
        if isinstance(build, str):
            module, _, function = build.partition(":")
            build = getattr(importlib.import_module(module), function)
        return build(config)


ARCHITECTURES: dict[str, Architecture] = {}


def register_architecture(arch: Architecture) -> None:
    if arch.kind not in (INPAINT, COLORIZE, DETECT):
        raise ValueError(f"unknown engine kind {arch.kind!r}")
    ARCHITECTURES[arch.name] = arch


register_architecture(Architecture("ffc_unet", INPAINT, "FFC U-Net",
                                   "models.nets.inpaint_net:build",
                                   {"texture": True, "thin_scale": 1.75, "fsr_blend": 0.5}))
register_architecture(Architecture("hint_colorizer", COLORIZE, "Hint colorizer",
                                   "models.nets.colorize_net:build"))
# The seed designs (design.md, "Models"), as the trainer exports them (`--arch NAME`)
register_architecture(Architecture("partial_conv", INPAINT, "Partial-conv U-Net",
                                   "models.nets.partial_conv:build"))
register_architecture(Architecture("context_encoder", INPAINT, "Context Encoder",
                                   "models.nets.context_encoder:build_inpainter"))
register_architecture(Architecture("pix2pix", COLORIZE, "Pix2Pix U-Net",
                                   "models.nets.pix2pix:build_colorizer"))
register_architecture(Architecture("mat", INPAINT, "MAT (mask-aware transformer)",
                                   "models.nets.mat:build"))
register_architecture(Architecture("unet_mask_detector", DETECT, "U-Net damage detector",
                                   "models.nets.mask_detector:build"))


def _architecture(card: dict, source: Path) -> Architecture:
    arch = ARCHITECTURES.get(card["architecture"])
    if arch is None:
        known = ", ".join(sorted(ARCHITECTURES)) or "none"
        raise WeightsError(f"model card {source.name}: unknown architecture "
                           f"{card['architecture']!r} (known: {known})")
    task = card.get("task")
    if task is not None and task != arch.kind:
        raise WeightsError(f"model card {source.name}: task {task!r} does not match "
                           f"architecture {arch.name!r} ({arch.kind})")
    return arch


# --------------------------------------------------------------------------------------------
# The engine


def load_net(weights_path: str | os.PathLike, card: dict | None = None, device: str = "cpu"):
    """Build the card's network, load and verify the weights; eval mode, fp32, on `device`.

    Returns (net, card). A bad card, a checksum mismatch, a damaged file or weights that do
    not fit the architecture raise WeightsError.
    """
    weights_path = Path(weights_path)
    if card is None:
        card = load_card(card_path_for(weights_path))
    arch = _architecture(card, weights_path)
    state = load_weights(weights_path, expected_sha256=card["sha256"])
    try:
        net = arch.build_net(dict(card["config"]))
    except Exception as exc:  # noqa: BLE001 - a config the network rejects
        raise WeightsError(f"model card {weights_path.with_suffix('.json').name}: "
                           f"cannot build {arch.name} from its config ({exc})") from None
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        detail = first[1].strip() if len(first) > 1 else (first[0] if first else "")
        raise WeightsError(f"weights file {weights_path.name} does not fit {arch.name} with "
                           f"its card's config ({detail})") from None
    return net.float().eval().to(device), card


def _load_into(engine, weights_path, card, device, name, label, description,
               default_size: int) -> None:
    """What every learned engine does on creation: load the verified net and its card."""
    engine.weights_path = Path(weights_path)
    engine.net, engine.card = load_net(engine.weights_path, card, device)
    engine.name = name or str(engine.card.get("name") or engine.weights_path.stem)
    engine.label = label or engine.name
    engine.description = description or describe(engine.card)
    # a fixed-size net (Context Encoder) says its size; the engine shrinks crops to it
    engine.working_size = int(engine.card.get("working_size")
                              or getattr(engine.net, "input_size", None) or default_size)


class LearnedInpainter(Inpainter):
    """An inpainting network read from a weights file and its card.

    The network takes an RGB image in [0, 1] and a hole mask (1 = fill), as the trainer fed
    it (``trainer.loop.to_tensor_images`` / ``to_tensor_masks``), and returns RGB in about
    [0, 1], which is clamped and rounded to uint8.
    """

    uses_device = True

    def __init__(self, weights_path: str | os.PathLike, card: dict | None = None,
                 device: str = "cpu", name: str | None = None, label: str | None = None,
                 description: str | None = None) -> None:
        super().__init__(device)
        _load_into(self, weights_path, card, device, name, label, description,
                   DEFAULT_WORKING_SIZE)
        self.pad_multiple = int(getattr(self.net, "stride", 1))
        # Card option: average the fill with that of the mirrored picture (two passes). The
        # two guesses err differently; their mean scored 0.3 dB more hole PSNR on val photos.
        self.flip_average = bool(self.card.get("flip_average", False))
        # Card option: put texture copied from the photo's known pixels onto the net's fill of
        # large holes (models/texture.py); the attribute can be switched per engine.
        defaults = _architecture(self.card, self.weights_path).card_defaults
        self.card_texture = bool(self.card.get("texture", defaults.get("texture", False)))
        self.texture = self.card_texture
        # Card option: thin parts of a hole (scratches, lines; hd.thin_parts) are filled from
        # the crop enlarged by this factor. The net fills a 1-3 px line better when it is
        # 2-5 px wide: on the val photos' scratches 1.75x scored 1.4 dB more than native
        # (1.25x +1.2, 2x +1.0, 3x +0.9), while object holes lost 0.2 dB when enlarged.
        self.thin_scale = float(self.card.get("thin_scale", defaults.get("thin_scale", 1.0)))
        # Card option: the share of the classical FSR fill (models.classical_inpaint) mixed
        # into the parts of a hole that get no texture (strokes, scratches, specks). The two
        # err differently: on the val photos (bench/inpaint_quality.py) the half-and-half mean
        # scored +0.21 dB hole PSNR over the net on brush strokes and +0.17 on scratches (FSR
        # alone: -0.09, -0.38), with a higher hole SSIM, for 2-3x the time on those holes.
        # Object-sized parts keep the net's fill and its texture (FSR there costs seconds and
        # flattens the texture).
        self.card_fsr_blend = float(self.card.get("fsr_blend", defaults.get("fsr_blend", 0.0)))
        self.fsr_blend = self.card_fsr_blend
        self._cancel: CancelToken | None = None

    def _run_model(self, image, hole, fit_working_size, cancel=None, progress=None):
        # the FSR part of _predict runs in small cancellable calls: it needs the job's token
        self._cancel = cancel
        try:
            return super()._run_model(image, hole, fit_working_size, cancel, progress)
        finally:
            self._cancel = None

    def _predict(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        parts = hd.part_radius(hole)  # what each step below sorts the hole's parts by
        fill = self._textured_fill(image, hole, parts)
        if self.fsr_blend <= 0:
            return fill
        from . import texture  # numba compiles (or loads its cache) on first use only

        widest = parts[1]
        narrow = (widest > 0) & (widest < texture.MIN_PART_RADIUS)
        if not narrow.any():
            return fill
        from .classical_inpaint import FSRInpainter

        fsr = FSRInpainter()
        fsr.tile_size = NARROW_FSR_TILE
        classical = fsr.inpaint(fill, narrow.astype(np.uint8) * 255,
                                InpaintOptions(hd_strategy=hd.ORIGINAL), cancel=self._cancel)
        mixed = np.round((1.0 - self.fsr_blend) * fill.astype(np.float32)
                         + self.fsr_blend * classical.astype(np.float32)).astype(np.uint8)
        fill[narrow] = mixed[narrow]
        return fill

    def _textured_fill(self, image: np.ndarray, hole: np.ndarray, parts) -> np.ndarray:
        """The net's fill, thin parts from the enlarged pass, texture in large parts;
        ``parts``: :func:`hd.part_radius` of ``hole``."""
        widest = parts[1]
        thin = (widest > 0) & (widest <= hd.THIN_RADIUS) if self.thin_scale > 1 else None
        if thin is not None and thin.any():
            fine = self._enlarged_fill(image, hole, self.thin_scale)
            if thin.sum() == np.count_nonzero(hole):
                return fine  # only thin parts: one (enlarged) pass
            fill = self._net_fill(image, hole)
            fill[thin] = fine[thin]
        else:
            fill = self._net_fill(image, hole)
        if not self.texture:
            return fill
        from . import texture  # numba compiles (or loads its cache) on first use only

        return texture.synthesize(image, hole, fill, parts=parts)

    def _enlarged_fill(self, image: np.ndarray, hole: np.ndarray, scale: float) -> np.ndarray:
        """The net's fill of the picture enlarged by `scale` (long side at most
        MAX_ENLARGED_SIDE), brought back to its size."""
        h, w = hole.shape
        scale = min(scale, max(1.0, MAX_ENLARGED_SIDE / max(h, w)))
        if scale <= 1.0:
            return self._net_fill(image, hole)
        sw, sh = round(w * scale), round(h * scale)
        big = self._net_fill(hd.resize_image(image, sw, sh),
                             cv2.resize(hole, (sw, sh), interpolation=cv2.INTER_NEAREST))
        return hd.resize_image(big, w, h)

    def _net_fill(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(image).to(self.device).permute(2, 0, 1)[None].float() / 255.0
            m = torch.from_numpy(hole > 127).to(self.device)[None, None].float()
            y = self.net(x, m)
            if self.flip_average:
                y = 0.5 * (y + self.net(x.flip(-1), m.flip(-1)).flip(-1))
            y = (y[0].clamp(0, 1) * 255.0).round().to(torch.uint8).permute(1, 2, 0)
            return np.ascontiguousarray(y.cpu().numpy())


# FSR's calls for the narrow parts: FSR's own 96 px tiles are sized for object holes (its cost
# grows with the hole pixels in a call); a window of narrow parts holds few of them, and 96 px
# calls made scratches on a 640 px photo take 3.2 s instead of 1.0 s.
NARROW_FSR_TILE = 256


DEFAULT_COLORIZE_SIZE = 256
HINT_RADIUS = 1  # a hint covers (2 r + 1)^2 working-size pixels, as the trainer's small patches


class LearnedColorizer(Colorizer):
    """A colorization network read from a weights file and its card.

    The network takes L (B x 1 x H x W, [0, 100]) and hint channels (a, b, mask; B x 3 x H x W)
    at the working size and returns ab; without hints it colours the photo on its own.
    """

    uses_device = True
    needs_hints = False

    def __init__(self, weights_path: str | os.PathLike, card: dict | None = None,
                 device: str = "cpu", name: str | None = None, label: str | None = None,
                 description: str | None = None) -> None:
        super().__init__(device)
        _load_into(self, weights_path, card, device, name, label, description,
                   DEFAULT_COLORIZE_SIZE)
        # False for automatic-only nets (Pix2Pix): they get the hints and ignore them
        self.uses_hints = bool(self.card.get("uses_hints", True))

    def _predict(self, lightness: np.ndarray, hints: list[ChromaHint], cancel: CancelToken,
                 progress: ProgressFn) -> np.ndarray:
        import torch

        inputs = self._net_inputs(lightness, hints)
        cancel.check()
        progress(0.2, f"{self.label}: network")
        with torch.inference_mode():
            ab = self.net(*inputs)[0].float().permute(1, 2, 0)
            return np.ascontiguousarray(ab.cpu().numpy(), dtype=np.float32)

    def _net_inputs(self, lightness: np.ndarray, hints: list[ChromaHint]) -> tuple:
        """The network's input tensors for L and hints at the working size: L, the hint
        channels and, for nets that take them, the hints propagated edge-aware."""
        import torch

        h, w = lightness.shape
        channels = hint_channels(hints, h, w)
        lum = torch.from_numpy(np.ascontiguousarray(lightness, np.float32))
        inputs = [lum.to(self.device)[None, None],
                  torch.from_numpy(channels).to(self.device).permute(2, 0, 1)[None]]
        if getattr(self.net, "uses_propagation", False):
            from .classical_colorize import propagate_hints

            prop = propagate_hints(np.ascontiguousarray(lightness, np.float32), channels,
                                   self.net.propagation_factor)
            inputs.append(torch.from_numpy(prop).to(self.device).permute(2, 0, 1)[None])
        return tuple(inputs)

    def suggest_colours(self, image: np.ndarray, hints, x: float, y: float,
                        count: int = 6) -> list[tuple[int, int, int]]:
        """The classes' most likely colours at (x, y), averaged over the 3 x 3 cells around
        it; a colour within SUGGEST_SPACING ab units of a likelier one is skipped, so the
        swatches differ. [] for nets without classes."""
        import torch

        if getattr(self.net, "classes", None) is None:
            return []
        image, checked = self._checked(image, hints)
        h, w = image.shape[:2]
        if not (0 <= x < w and 0 <= y < h):
            raise ValueError(f"({x:g}, {y:g}) is outside the {w}x{h} image")
        luma = lightness(image)
        small_l, chroma = self._working_inputs(luma, checked, self.working_size)
        with torch.inference_mode():
            probs = self.net.distribution(*self._net_inputs(small_l, chroma))[0]
        gh, gw = probs.shape[-2:]
        cx = min(gw - 1, int((x + 0.5) * gw / w))
        cy = min(gh - 1, int((y + 0.5) * gh / h))
        p = probs[:, max(0, cy - 1) : cy + 2, max(0, cx - 1) : cx + 2].mean((1, 2))
        bins = self.net.bins.float().cpu().numpy()
        chosen: list[np.ndarray] = []
        for q in torch.argsort(p, descending=True).cpu().numpy():
            if len(chosen) == count:
                break
            if all(np.hypot(*(bins[q] - c)) >= SUGGEST_SPACING for c in chosen):
                chosen.append(bins[q])
        ab = np.array(chosen, np.float32)[None]
        luma_at = np.full((1, len(chosen)), luma[int(y), int(x)], np.float32)
        return [tuple(int(c) for c in rgb) for rgb in lab_to_rgb(luma_at, ab)[0]]


SUGGEST_SPACING = 15.0  # ab units between two suggested colours (1.5 bins)


def hint_channels(hints: list[ChromaHint], h: int, w: int,
                  radius: int = HINT_RADIUS) -> np.ndarray:
    """float32 h x w x 3 (a, b, mask): each hint's chroma on a square around it.

    The square's side is the hint's `size` (working pixels, rounded, at least 1: its patch
    size, as ideepcolor's), or 2 `radius` + 1 for a hint without one."""
    out = np.zeros((h, w, 3), np.float32)
    for hint in hints:
        size = getattr(hint, "size", None)
        side = 2 * radius + 1 if size is None else max(1, int(round(size)))
        # centred on the hint's pixel; an even side reaches one pixel further right/down
        x0 = int(round(hint.x)) - (side - 1) // 2
        y0 = int(round(hint.y)) - (side - 1) // 2
        x1, y1 = min(x0 + side, w), min(y0 + side, h)
        x0, y0 = max(x0, 0), max(y0, 0)
        out[y0:y1, x0:x1] = (hint.a, hint.b, 1.0)
    return out


# Long side at which a detector looks at a photo: near the scale of the prints it was trained
# on (photos of ~1024 px, crops of half to full scale). A 24 MP scan is shrunk to it, which
# keeps detection to a few seconds on a CPU; the mask is grown before the fill anyway.
DEFAULT_DETECT_SIZE = 1536
DETECT_TILE = 768  # pixels per side of one network call (bounded memory, cancel between)
DETECT_OVERLAP = 32  # context on each side of a tile; only its core is kept
# A second look at half size. A hole, tear or stain much wider than the net's field of view
# is found at full size only along its border (its inside is plain gray or paper); at half
# size the net sees twice as far. The two looks are averaged, which also halves the thin false
# alarms of either, and wide areas (what survives a gray-level opening of COARSE_OPEN px) come
# from the half-size look alone. An opening commutes with a threshold, so the sensitivity
# slider still works on one confidence map. Chosen on held-out training photos; on the val
# bench the mixed F1 rose from 0.46 to 0.74 (bench/restore_quality.py).
COARSE_SCALE = 0.5
COARSE_OPEN = 16  # px at the working size
COARSE_MIN_SIDE = 128  # smaller pictures get the full-size look only


class LearnedDetector(DamageDetector):
    """A damage-detection network (image -> logit of "damaged" per pixel) and its card.

    The photo is shrunk so its long side is at most the working size, the net runs in
    overlapping tiles (bfloat16 on CPUs that have it), and the confidence is upsampled
    bilinearly to the photo's size.
    """

    uses_device = True

    def __init__(self, weights_path: str | os.PathLike, card: dict | None = None,
                 device: str = "cpu", name: str | None = None, label: str | None = None,
                 description: str | None = None) -> None:
        super().__init__(device)
        _load_into(self, weights_path, card, device, name, label, description,
                   DEFAULT_DETECT_SIZE)

    def _predict(self, image: np.ndarray, cancel: CancelToken,
                 progress: ProgressFn) -> np.ndarray:
        h, w = image.shape[:2]
        sw, sh = hd.fit_size(w, h, self.working_size)
        conf = np.round(self._two_looks(hd.resize_image(image, sw, sh), cancel, progress) * 255)
        conf = conf.astype(np.uint8)
        if (sw, sh) == (w, h):
            return conf
        cancel.check()
        return cv2.resize(conf, (w, h), interpolation=cv2.INTER_LINEAR)

    def _two_looks(self, image: np.ndarray, cancel: CancelToken,
                   progress: ProgressFn) -> np.ndarray:
        """float32 confidence of the full-size and half-size looks together (COARSE_SCALE)."""
        h, w = image.shape[:2]
        if min(h, w) * COARSE_SCALE < COARSE_MIN_SIDE:
            return self._tiled(image, cancel, progress)
        fine = self._tiled(image, cancel, lambda f, m: progress(0.8 * f, m))
        cancel.check()
        small = cv2.resize(image, (round(w * COARSE_SCALE), round(h * COARSE_SCALE)),
                           interpolation=cv2.INTER_AREA)
        coarse = self._tiled(small, cancel, lambda f, m: progress(0.76 + 0.2 * f, m))
        coarse = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * COARSE_OPEN + 1,) * 2)
        wide = cv2.morphologyEx(coarse, cv2.MORPH_OPEN, disc)
        return np.maximum((fine + coarse) * 0.5, wide)

    def _tiled(self, image: np.ndarray, cancel: CancelToken, progress: ProgressFn) -> np.ndarray:
        """float32 probability of the net over ``image``, tile by tile."""
        import torch

        from .nets.blocks import cpu_autocast_dtype

        h, w = image.shape[:2]
        core, pad = DETECT_TILE - 2 * DETECT_OVERLAP, DETECT_OVERLAP
        out = np.zeros((h, w), np.float32)
        boxes = [(y, x) for y in range(0, h, core) for x in range(0, w, core)]
        dtype = cpu_autocast_dtype() if str(self.device) == "cpu" else None
        for i, (y, x) in enumerate(boxes):
            cancel.check()
            y0, x0 = max(0, y - pad), max(0, x - pad)
            y1, x1 = min(h, y + core + pad), min(w, x + core + pad)
            with torch.inference_mode(), torch.autocast("cpu", dtype=dtype,
                                                        enabled=dtype is not None):
                t = torch.from_numpy(np.ascontiguousarray(image[y0:y1, x0:x1]))
                t = t.to(self.device).permute(2, 0, 1)[None].float() / 255.0
                p = torch.sigmoid(self.net(t)[0, 0].float()).cpu().numpy()
            cy1, cx1 = min(h, y + core), min(w, x + core)
            out[y:cy1, x:cx1] = p[y - y0 : cy1 - y0, x - x0 : cx1 - x0]
            progress(0.95 * (i + 1) / len(boxes), f"{self.label}: looking for damage")
        return out


ENGINE_CLASSES: dict[str, type] = {INPAINT: LearnedInpainter, COLORIZE: LearnedColorizer,
                                   DETECT: LearnedDetector}


# --------------------------------------------------------------------------------------------
# Discovery


@dataclass(frozen=True)
class DiscoveredModel:
    name: str
    kind: str
    weights: Path
    card: dict
    priority: int


_DISCOVERED: dict[str, DiscoveredModel] = {}
_PROBLEMS: list[str] = []


def bundled_folder() -> Path:
    """``resources/weights`` of the repository (shipped models)."""
    return Path(__file__).resolve().parent.parent / "resources" / "weights"


def user_folders() -> list[Path]:
    """The user's model folders: ``$INPAINT_DESKTOP_MODELS`` or the platform's data folder."""
    env = os.environ.get(MODELS_ENV)
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return [base / APP_DIR / "models"]


def default_folders() -> list[tuple[Path, int]]:
    return [(bundled_folder(), BUNDLED_PRIORITY)] + [(p, USER_PRIORITY) for p in user_folders()]


def describe(card: dict) -> str:
    """One line for the model picker: architecture, size, training and validation figures."""
    arch = ARCHITECTURES.get(card.get("architecture", ""))
    parts = [arch.label if arch else str(card.get("architecture"))]
    params = card.get("parameters")
    if isinstance(params, (int, float)):
        parts[0] += f", {params / 1e6:.1f} M parameters"
    training = card.get("training") if isinstance(card.get("training"), dict) else {}
    steps, wall = training.get("steps"), training.get("wall_seconds")
    if isinstance(steps, int):
        text = f"trained {steps} steps"
        if isinstance(wall, (int, float)):
            text += f" ({wall / 3600:.1f} h)"
        if isinstance(training.get("train_photos"), int):
            text += f" on {training['train_photos']} photos"
        parts.append(text)
    if card.get("uses_hints") is False:
        parts.append("automatic only (ignores colour hints)")
    metrics = card.get("metrics") if isinstance(card.get("metrics"), dict) else {}
    last = metrics.get("val_last") if isinstance(metrics.get("val_last"), dict) else {}
    if card.get("task") == COLORIZE and isinstance(last.get("val_psnr"), (int, float)):
        text = f"val PSNR {last['val_psnr']:.2f} dB without hints"
        if isinstance(last.get("val_psnr_hints"), (int, float)):
            text += f", {last['val_psnr_hints']:.2f} dB with 10 hints"
        if isinstance(last.get("val_colourfulness"), (int, float)):
            text += f", colourfulness {last['val_colourfulness']:.1f}"
        parts.append(text)
    elif card.get("task") == DETECT and isinstance(last.get("val_f1"), (int, float)):
        text = f"val damage F1 {last['val_f1']:.3f}"
        median = (metrics.get("val_baselines") or {}).get("median")
        if isinstance(median, dict) and isinstance(median.get("val_f1"), (int, float)):
            text += f" (classical median detector {median['val_f1']:.3f})"
        parts.append(text)
    elif isinstance(last.get("val_psnr"), (int, float)):
        text = f"val hole PSNR {last['val_psnr']:.2f} dB"
        if isinstance(last.get("val_ssim"), (int, float)):
            text += f", SSIM {last['val_ssim']:.3f}"
        baselines = metrics.get("val_baselines")
        if isinstance(baselines, dict):
            best = [(v["val_psnr"], k) for k, v in baselines.items()
                    if isinstance(v, dict) and isinstance(v.get("val_psnr"), (int, float))]
            if best:
                psnr, engine = max(best)
                text += f" (best baseline: {engine} {psnr:.2f} dB)"
        parts.append(text)
    return "; ".join(parts)


def _factory(cls: type, weights: Path, card: dict, name: str, label: str, description: str):
    def build(device: str):
        return cls(weights, card, device, name=name, label=label, description=description)

    return build


def _inspect(weights: Path) -> tuple[dict, Architecture]:
    card_file = card_path_for(weights)
    if not card_file.is_file():
        raise WeightsError(f"weights file {weights.name} has no model card {card_file.name}")
    card = load_card(card_file)
    arch = _architecture(card, card_file)
    expected = card.get("bytes")
    check_safetensors_header(weights, expected if isinstance(expected, int) else None)
    return card, arch


def discover(folders: Iterable[tuple[str | os.PathLike, int]] | None = None) -> list[EngineInfo]:
    """Find and register the learned models in `folders` ((folder, priority) pairs).

    None = :func:`default_folders`. Models registered by an earlier call are unregistered
    first, so calling it again after a training run picks up new files. Returns the
    registered entries; problems are logged and kept for :func:`discovery_problems`.
    """
    for name in list(_DISCOVERED):
        unregister(name)
    _DISCOVERED.clear()
    _PROBLEMS.clear()
    from .engine import _REGISTRY  # the names taken by built-in engines

    found = []
    for folder, priority in (default_folders() if folders is None else folders):
        folder = Path(folder)
        try:
            files = sorted(folder.glob("*.safetensors")) if folder.is_dir() else []
        except OSError as exc:
            _problem(f"model folder {folder}: {exc}")
            continue
        for weights in files:
            try:
                card, arch = _inspect(weights)
            except WeightsError as exc:
                _problem(f"{weights}: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - discovery must never stop the app
                _problem(f"{weights}: {type(exc).__name__}: {exc}")
                continue
            cls = ENGINE_CLASSES.get(arch.kind)
            if cls is None:
                _problem(f"{weights}: no engine runs {arch.kind} models yet")
                continue
            base = str(card.get("name") or weights.stem).strip() or weights.stem
            name, n = base, 1
            while any(name in engines for engines in _REGISTRY.values()):
                n += 1
                name = f"{base}-{n}"
            label = str(card.get("label") or f"{arch.label} ({name})")
            description = str(card.get("description") or describe(card))
            info = EngineInfo(name, arch.kind, label, description,
                              _factory(cls, weights, card, name, label, description),
                              priority, True)
            register_info(info)
            _DISCOVERED[name] = DiscoveredModel(name, arch.kind, weights, card, priority)
            found.append(info)
    return found


def _problem(message: str) -> None:
    log.warning("skipped a model: %s", message)
    _PROBLEMS.append(message)


def discovery_problems() -> list[str]:
    """One line per file that the last :func:`discover` skipped, saying why."""
    return list(_PROBLEMS)


def palette_colorizers() -> list[str]:
    """The found colorizers whose networks have colour classes (the ones that can suggest
    colours at a pixel), best first."""
    return [m.name for m in discovered() if m.kind == COLORIZE
            and isinstance(m.card.get("config"), dict) and m.card["config"].get("classes")]


def discovered() -> list[DiscoveredModel]:
    """The models that the last :func:`discover` registered (for `inpaint-desktop models`)."""
    return sorted(_DISCOVERED.values(), key=lambda m: (-m.priority, m.name))
