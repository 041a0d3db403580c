"""The training loop: data, steps, validation, progress lines, checkpoints, stop requests.

One :class:`Run` trains one model on one photo folder. The protocol that the app's Train
dialog reads (``python -m trainer --json``): one JSON object per line on stdout,

- ``{"event": "scan", "task", "photos", "unreadable", "monochrome", "needed", "ok"}``: only in
  ``--scan`` mode (:mod:`trainer.scan`), which trains nothing;
- ``{"event": "start", "step", "name", "train_photos", "val_photos", "skipped",
  "parameters", ...}`` once;
- progress lines ``{"step", "loss", "lr", "img_per_s", "eta_s", "elapsed_s", ...}`` (no
  ``"event"`` key; ``"val_psnr"`` ... too when a validation just ran);
- ``{"event": "val", "step", "val_psnr", ...}`` at each validation (before training, every
  ``val_seconds``, at the end), each followed by ``{"event": "preview", "step", "path"}``
  once ``<run dir>/preview.png`` is rewritten (:mod:`trainer.preview`);
- ``{"event": "checkpoint", "step", "path", "seconds"}``;
- ``{"event": "done", "reason", "step", "val_before", "val_after", "best_step", "weights",
  "installed"}`` last; ``installed`` is the weights' path in the user's model folder
  (:mod:`trainer.install`) or null. ``best_step`` is the step of the best weights (the ones
  installed; a fine-tune's base is step 0). A result below its reference is not installed:
  then ``"not_installed"`` says why in one line and ``"scores"`` holds
  ``{"score", "reference", "reference_name", "metric", "unit"}``; the run folder keeps the
  install for ``--install-only --install-anyway``, which prints
  ``{"event": "install", "name", "installed", "scores"}``.

Errors: ``error: <one line>`` on stderr and exit status 2. Stop requests: SIGTERM / SIGINT, or
a stop file appearing (``<run dir>/STOP`` unless ``--stop-file``) end the run after the
current step, with a checkpoint (and the install).
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.nets import colorize_net, inpaint_net, mask_detector
from trainer import architectures as archs
from trainer import checkpoint as ckpt
from trainer import colorize as col
from trainer import damage as dmg
from trainer import install as inst
from trainer import preview, validation
from trainer.base_model import load_base
from trainer.chroma import drop_monochrome
from trainer.data import InpaintSampler, PhotoSet, fixed_val_set
from trainer.device import cpu_supports_bf16, pick_device
from trainer.errors import TrainError
from trainer.losses import InpaintLossWeights
from trainer.masks import mix_problem as mask_mix_problem
from trainer.scan import DEFAULT_VAL_COUNT, FINE_TUNE_MAX_SIDE, photos_needed, shortage_message

CHECKPOINT_NAME = "checkpoint.pt"
# How val_psnr is computed; a checkpoint scored another way starts its "best" afresh.
VAL_METRIC = "hole PSNR of the mean MSE over held-out crops; mean hole SSIM"
# The colorize task's: val_psnr is automatic mode (no hints), val_psnr_hints with 10 point hints
COLORIZE_VAL_METRIC = ("RGB PSNR (true L + predicted ab, of the mean MSE over held-out crops) "
                       "without hints and with 10 point hints; mean Hasler-Suesstrunk "
                       "colourfulness; best = mean of the two PSNRs (-10 dB while the "
                       "colourfulness is below half the true photos')")
COLORIZE_WORKING_SIZE = archs.COLORIZE_WORKING_SIZE  # long side at which the app colorizes
# The detect task's: pixels found at sensitivity 0.5 against the synthetic damage's label
DETECT_VAL_METRIC = ("pixel F1 and IoU of the damage found at sensitivity 0.5 (sigmoid > 0.5) "
                     "against the synthetic damage label, pooled over held-out damaged crops; "
                     "best = F1")
NETS = {"inpaint": inpaint_net, "colorize": colorize_net, "detect": mask_detector}
VAL_METRICS = {"inpaint": VAL_METRIC, "colorize": COLORIZE_VAL_METRIC,
               "detect": DETECT_VAL_METRIC}

FINE_TUNE_LR = 1e-4  # default learning rate of a run that starts from --base weights
# A fine-tune learns the user's photos at the scale the app shows them to the model, where a
# from-scratch run (768 px, crops shrunk by up to 2) favours variety. The learned inpainter
# works on native pixels (crops up to 1024 px around the mask); the colorizer sees the whole
# photo shrunk to its 256 px working size, so its crops cover most of a ~320 px photo.
# Inpainting crops are larger than a new run's: at native scale a 192 px crop holds only
# small holes, and the objects a user erases are a few hundred pixels across (on the
# monuments bench, 15 minutes at 320 px gained 0.69 dB on object holes, at 192 px 0.44).
# An architecture with its own crop (a fixed input size) keeps it.
FINE_TUNE_SCALE: dict[str, dict[str, Any]] = {
    "inpaint": {"max_side": FINE_TUNE_MAX_SIDE["inpaint"], "scale_range": [0.75, 1.0],
                "crop": 320},
    "colorize": {"max_side": FINE_TUNE_MAX_SIDE["colorize"], "scale_range": [0.6, 1.0]},
    "detect": {"max_side": FINE_TUNE_MAX_SIDE["inpaint"], "scale_range": [0.5, 1.0]},
}

DEFAULTS: dict[str, Any] = {
    "task": "inpaint",
    "crop": 192,
    "batch": 8,
    "lr": 1e-3,
    "weight_decay": 1e-4,
    "warmup_steps": 100,
    "schedule": "constant",  # or "cosine" (needs "steps")
    "min_lr_ratio": 0.05,
    "clip_grad": 1.0,
    "ema": 0.999,  # decay of the weights' moving average that is validated and exported
    # The training engine (bench/train_speed.py measures each setting on this machine):
    # mixed precision, bfloat16 on CPUs with AMX / AVX512-BF16 (float16 on CUDA, nothing
    # elsewhere); channels-last tensors, the layout oneDNN's convolutions are fastest in; the
    # fused AdamW kernel (one pass over all parameters instead of one per tensor).
    "amp": True,
    "channels_last": True,
    "fused_optimizer": True,
    "seed": 0,
    "val_count": DEFAULT_VAL_COUNT,  # photos held out of training for validation
    "val_crop": 256,
    "val_per_photo": 3,
    "max_side": 768,  # photos are kept in RAM at most this large
    "scale_range": [0.5, 1.0],
    "model": {},
    "loss": asdict(InpaintLossWeights()),
    # intervals (seconds); the run's own pace, not a property of the model
    "log_seconds": 10.0,
    "val_seconds": 300.0,
    # A checkpoint every minute AND every 500 steps, whichever comes first: a kill loses at
    # most a minute of training (at 300 s one lost 616 steps). Writing one takes well under a
    # second for the bundled nets, so the extra writes cost about 1 % of a run.
    "checkpoint_seconds": 60.0,
    "checkpoint_steps": 500,
}

# Settings that a resumed run may change; everything else comes from the checkpoint.
RESUMABLE_OVERRIDES = (
    "lr", "batch", "crop", "schedule", "steps", "minutes", "log_seconds", "val_seconds",
    "checkpoint_seconds", "checkpoint_steps", "clip_grad", "warmup_steps", "min_lr_ratio",
    "amp", "channels_last", "fused_optimizer",
)


class _StoppedEarly(Exception):
    """A stop request arrived before training started."""


def to_tensor_images(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0)


def to_tensor_masks(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x > 127)[:, None].float()


class Run:
    def __init__(
        self,
        photos: str | os.PathLike,
        name: str,
        out: str | os.PathLike,
        config: dict[str, Any] | None = None,
        resume: bool = False,
        stop_file: str | os.PathLike | None = None,
        emit: Callable[[dict], None] | None = None,
        device: str = "cpu",
        base: str | os.PathLike | None = None,
        install_dir: str | os.PathLike | None = None,
        new_if_missing: bool = False,
        install_anyway: bool = False,
    ):
        """``install_dir``: the model folder that receives the result at the end (None: the
        weights stay in the run folder only). ``resume`` without a checkpoint on disk is an
        error (a mistyped name must not quietly start over) unless ``new_if_missing``."""
        inst.check_name(name)  # also the run folder's name: a plain file name
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.device = torch.device(pick_device(device))
        self.run_dir = Path(out) / name
        self.ckpt_path = self.run_dir / CHECKPOINT_NAME
        self.stop_file = Path(stop_file) if stop_file else self.run_dir / "STOP"
        self.emit = (emit or _print_json) if self.rank == 0 else _quiet
        self.photos_dir = str(photos)
        self.name = name
        overrides = dict(config or {})
        saved = None
        if self.ckpt_path.exists():
            if not resume:
                raise TrainError(
                    f"{self.ckpt_path} exists: pass --resume to continue it or choose another name"
                )
            try:
                saved = ckpt.load_checkpoint(self.ckpt_path)
            except Exception as exc:  # noqa: BLE001
                raise TrainError(f"cannot read checkpoint {self.ckpt_path}: {exc}") from exc
            missing = checkpoint_problem(saved)
            if missing:
                raise TrainError(f"checkpoint {self.ckpt_path} is not one this trainer wrote "
                                 f"({missing}): delete the run folder or choose another name")
            cfg = dict(saved["config"])
            for key in RESUMABLE_OVERRIDES:
                if key in overrides and overrides[key] is not None:
                    cfg[key] = overrides[key]
            for key in ("steps", "minutes"):  # budgets are per invocation
                cfg[key] = overrides.get(key)
            archs.check_resumed(cfg, overrides.get("arch"))
            # runs checkpointed before these settings existed get today's
            cfg.setdefault("checkpoint_steps", DEFAULTS["checkpoint_steps"])
        elif resume and not new_if_missing:
            raise TrainError(f"nothing to resume: there is no checkpoint {self.ckpt_path}; "
                             "leave out --resume to start a new run, or add --new-if-missing")
        else:
            cfg = {**DEFAULTS, **{k: v for k, v in overrides.items() if v is not None}}
            if cfg["task"] not in NETS:
                raise TrainError(f"task {cfg['task']!r} is not supported yet")
            base_card = None
            if base is not None:
                base_card, self.base_state = load_base(base, cfg["task"])
            net = archs.resolve(cfg["task"], overrides.get("arch"),
                                base_card.get("architecture") if base_card else None)
            # the architecture's own trainer settings (crop, lr) where none were given
            cfg = {**DEFAULTS, **net.run_defaults,
                   **{k: v for k, v in overrides.items() if v is not None}, "arch": net.name}
            cfg["loss"] = net.loss_config(overrides.get("loss"))
            cfg["adversarial"] = archs.adversarial_weight(cfg)
            cfg["model"] = {**net.CONFIG, **cfg.get("model", {})}
            if base_card is not None:
                cfg["model"] = {**net.CONFIG, **base_card.get("config", {})}
                cfg["base"] = {"path": str(base), "name": base_card.get("name"),
                               "sha256": base_card.get("sha256")}
                if overrides.get("lr") is None:
                    # A trained model ended its schedule near lr 5e-5; restarting at the
                    # from-scratch 1e-3 first undoes what it learned (the bench lost 0.14 dB).
                    cfg["lr"] = min(cfg["lr"], FINE_TUNE_LR)
                for key, value in FINE_TUNE_SCALE[cfg["task"]].items():
                    if overrides.get(key) is None and key not in net.run_defaults:
                        cfg[key] = value
        if cfg["task"] not in NETS:
            raise TrainError(f"task {cfg['task']!r} is not supported yet")
        problem = mask_mix_problem(cfg.get("mask_mix"))
        if problem:
            raise TrainError(f"mask mix: {problem}")
        # tells this run's installed model from another run's of the same name (older
        # checkpoints have none and get one now)
        cfg.setdefault("run_id", uuid.uuid4().hex)
        self.install_dir = None
        self.install_anyway = install_anyway
        if install_dir is not None:  # checked on every rank, so that all stop alike
            checked = inst.check_target(install_dir, name, cfg["run_id"])
            self.install_dir = checked if self.rank == 0 else None
        self.cfg = cfg
        self.task = cfg["task"]
        self.net = archs.for_config(cfg)  # build, loss, card fields of the run's network
        self.val_metric = VAL_METRICS[self.task]
        self.saved = saved
        # the step of the checkpoint on disk, for the truth of a write error's message
        self.saved_step = int(saved["step"]) if saved is not None else None
        self.stop_requested = False
        self.data_seconds = 0.0  # time spent making batches (since the last progress line)
        if not hasattr(self, "base_state"):
            self.base_state = None

    # ----------------------------------------------------------------- setup
    def _load_data(self) -> None:
        cfg = self.cfg
        if not Path(self.photos_dir).exists():
            raise TrainError(f"photo folder {self.photos_dir} does not exist")
        photos = PhotoSet.load(self.photos_dir, max_side=cfg["max_side"],
                               should_stop=lambda: self.stop_requested)
        if self.stop_requested:
            raise _StoppedEarly
        unreadable = len(photos.skipped)
        if cfg["task"] == "colorize":
            photos = drop_monochrome(photos)
        self.skipped = photos.skipped
        needed = photos_needed(cfg["val_count"])
        if len(photos) < needed:
            mono = len(photos.skipped) - unreadable if cfg["task"] == "colorize" else None
            raise TrainError(shortage_message(self.photos_dir, len(photos), unreadable, mono,
                                              needed))
        self.train_set, self.val_set = photos.split(cfg["val_count"])
        seed = cfg["seed"] if self.rank == 0 else [cfg["seed"], self.rank]
        if cfg["task"] == "colorize":
            model = {**colorize_net.CONFIG, **cfg["model"]}
            factor = int(model["propagation_factor"]) if model.get("propagation") else 0
            self.sampler = col.ColorizeSampler(
                self.train_set, cfg["crop"], seed=seed, scale_range=tuple(cfg["scale_range"]),
                uniform_share=cfg.get("hint_uniform_share", 0.0),
                patch=tuple(cfg.get("hint_patch", (1, 5))),
                propagation=factor)
            self.val_rgb, self.val_lab, self.val_hints = col.fixed_val_set(
                self.val_set, cfg["val_crop"], cfg["val_per_photo"])
            self.val_props = (col.propagations(self.val_lab, self.val_hints, factor)
                              if factor else None)
            self.val_images = self.val_rgb
            return
        if cfg["task"] == "detect":
            self.sampler = dmg.DamageSampler(self.train_set, cfg["crop"], seed=seed,
                                             scale_range=tuple(cfg["scale_range"]))
            self.val_damaged, self.val_labels = dmg.fixed_val_set(
                self.val_set, cfg["val_crop"], cfg["val_per_photo"])
            self.val_images = to_tensor_images(self.val_damaged).to(self.device)
            return
        self.sampler = InpaintSampler(
            self.train_set, cfg["crop"], seed=seed, scale_range=tuple(cfg["scale_range"]),
            mask_mix=cfg.get("mask_mix"))
        vi, vm = fixed_val_set(self.val_set, cfg["val_crop"], cfg["val_per_photo"])
        self.val_images = to_tensor_images(vi).to(self.device)
        self.val_masks = to_tensor_masks(vm).to(self.device)

    def _build(self) -> None:
        cfg = self.cfg
        torch.manual_seed(cfg["seed"])
        # a run without the key (a checkpoint from before the faster engine) keeps its layout
        self.memory_format = (torch.channels_last if cfg.get("channels_last")
                              else torch.contiguous_format)
        self.model = self.net.build(cfg["model"]).to(self.device,
                                                     memory_format=self.memory_format)
        self.ema = copy.deepcopy(self.model).eval() if cfg.get("ema") else None
        if self.ema is not None:
            self.ema.requires_grad_(False)
        if self.base_state is not None:
            try:
                self.model.load_state_dict(self.base_state)
            except RuntimeError as exc:
                raise TrainError(f"base model does not fit its own card's config: {exc}") from exc
            if self.ema is not None:
                self.ema.load_state_dict(self.base_state)
            self.base_state = None
        self.opt = torch.optim.AdamW(
            self.model.parameters(), lr=cfg["lr"], betas=(0.9, 0.99),
            weight_decay=cfg["weight_decay"], **optimizer_kernel(cfg, self.device),
        )
        self.loss_weights = self.net.loss_weights(cfg["loss"])
        # a discriminator trained in the same step, or None (trainer.architectures)
        self.adversary = archs.make_adversary(self.net, cfg, self.device, self.world)
        self.step = 0
        self.elapsed = 0.0  # training seconds over all invocations
        self.history: dict[str, Any] = {
            "val_before": None, "best_val_psnr": None, "val_metric": self.val_metric,
        }
        if self.saved is not None:
            s = self.saved
            self.model.load_state_dict(s["model"])
            if self.ema is not None:
                self.ema.load_state_dict(s.get("ema") or s["model"])
            self.opt.load_state_dict(s["optimizer"])
            if self.adversary is not None and s.get("adversary"):
                self.adversary.load_state_dict(s["adversary"])
            self.step = int(s["step"])
            self.elapsed = float(s["elapsed"])
            self.history = dict(s["history"])
            if self.history.get("val_metric") != self.val_metric:  # scores not comparable
                self.history.update(val_before=None, best_val_psnr=None,
                                    val_metric=self.val_metric)
            states = s["rng"].get("samplers") or [s["rng"]["sampler"]]
            if len(states) == self.world:
                self.sampler.set_state(states[self.rank])
            elif self.rank == 0:
                self.sampler.set_state(states[0])
            torch.set_rng_state(s["rng"]["torch"])
            random.setstate(_tuple_state(s["rng"]["python"]))
            self.saved = None
        if getattr(self.model, "classes", None) is not None:
            # the colorizer's class weights, from this run's photos (also over a base's or a
            # checkpoint's: the same photos give the same weights)
            weights = torch.from_numpy(col.rebalance_weights(
                self.train_set, self.model.bins.cpu().numpy(),
                mix=float(getattr(self.loss_weights, "rebalance", 0.5))))
            for net in (self.model, self.ema):
                if net is not None:
                    net.bin_weights.copy_(weights.to(net.bin_weights.device))
        self.train_model: torch.nn.Module = self.model
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.train_model = DistributedDataParallel(self.model, device_ids=ids)
        self.autocast_dtype = None
        if cfg.get("amp"):
            if self.device.type == "cuda":
                self.autocast_dtype = torch.float16
            elif self.device.type == "cpu" and cpu_supports_bf16():
                self.autocast_dtype = torch.bfloat16
        self.scaler = torch.amp.GradScaler(
            "cuda", enabled=self.autocast_dtype == torch.float16)

    # ----------------------------------------------------------------- pieces
    def lr_at(self, step: int) -> float:
        cfg = self.cfg
        base = cfg["lr"]
        warm = cfg["warmup_steps"]
        if warm and step < warm:
            return base * (step + 1) / warm
        if cfg["schedule"] == "cosine" and cfg.get("steps"):
            total = max(1, cfg["steps"] - warm)
            t = min(1.0, (step - warm) / total)
            lo = cfg["min_lr_ratio"]
            return base * (lo + (1 - lo) * 0.5 * (1 + math.cos(math.pi * t)))
        return base

    def train_step(self) -> tuple[float, dict[str, float]]:
        if self.task == "colorize":
            return self._colorize_step()
        if self.task == "detect":
            return self._detect_step()
        images, holes = self._batch()
        x = to_tensor_images(images).to(self.device, memory_format=self.memory_format)
        m = to_tensor_masks(holes).to(self.device, memory_format=self.memory_format)
        pred = self._forward(x, m)
        loss, terms = self.net.loss(pred.float(), x, m, weights=self.loss_weights)
        if self.adversary is not None:  # the discriminator learns first, then judges pred
            loss, terms = self.adversary.step(loss, terms, self.task, pred.float(), (x, m),
                                              self.lr_at(self.step))
        return self._apply(loss, terms)

    def _colorize_step(self) -> tuple[float, dict[str, float]]:
        labs, hints, props = self._batch()
        lum, ab, h = (t.to(self.device, memory_format=self.memory_format)
                      for t in col.lab_tensors(labs, hints))
        extra = () if props is None else (col.prop_tensor(props).to(self.device),)
        pred = self._forward(lum, h, *extra)
        if isinstance(pred, torch.Tensor):
            pred = pred.float()
        loss, terms = self.net.loss(pred, ab, weights=self.loss_weights)
        if self.adversary is not None:
            loss, terms = self.adversary.step(loss, terms, self.task, pred.float(), (lum, ab),
                                              self.lr_at(self.step))
        return self._apply(loss, terms)

    def _detect_step(self) -> tuple[float, dict[str, float]]:
        images, labels = self._batch()
        x = to_tensor_images(images).to(self.device, memory_format=self.memory_format)
        y = to_tensor_masks(labels).to(self.device, memory_format=self.memory_format)
        loss, terms = self.net.loss(self._forward(x).float(), y, weights=self.loss_weights)
        return self._apply(loss, terms)

    def _batch(self):
        """The sampler's next batch; its time counts as data time."""
        t0 = time.perf_counter()
        batch = self.sampler.batch(self.cfg["batch"])
        self.data_seconds += time.perf_counter() - t0
        return batch

    def _forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        """The training net's output for this step: the step's learning rate set, train mode,
        under the run's autocast."""
        for group in self.opt.param_groups:
            group["lr"] = self.lr_at(self.step)
        self.model.train()
        with torch.autocast(self.device.type, dtype=self.autocast_dtype,
                            enabled=self.autocast_dtype is not None):
            return self.train_model(*inputs)

    def _apply(self, loss: torch.Tensor, terms: dict[str, float]) -> tuple[float, dict]:
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.cfg["clip_grad"]:
            self.scaler.unscale_(self.opt)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg["clip_grad"])
        self.scaler.step(self.opt)
        self.scaler.update()
        self.step += 1
        self._update_ema()
        return float(loss.detach()), terms

    @torch.no_grad()
    def _update_ema(self) -> None:
        if self.ema is None:
            return
        # short memory at the start, so the average is not dominated by the initial weights
        decay = min(self.cfg["ema"], (1 + self.step) / (10 + self.step))
        for pe, p in zip(self.ema.parameters(), self.model.parameters(), strict=True):
            pe.lerp_(p, 1.0 - decay)
        # BatchNorm statistics (the seed nets') follow the live model: averaging them would
        # not match the averaged weights either, and left alone they stay at their init
        for be, b in zip(self.ema.buffers(), self.model.buffers(), strict=True):
            be.copy_(b)

    @property
    def inference_model(self) -> torch.nn.Module:
        """The weights that are validated and exported: the moving average if kept."""
        return self.ema if self.ema is not None else self.model

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Validation metrics of the exported weights (:mod:`trainer.validation`)."""
        if len(self.val_images) == 0:
            return {}
        model = self.inference_model
        model.eval()
        if self.task == "colorize":
            truth = ((self.history.get("val_baselines") or {}).get("truth") or {})
            return validation.colorize_score(model, self.val_rgb, self.val_lab, self.val_hints,
                                             self.device, truth.get("val_colourfulness", 0.0),
                                             self.val_props)
        if self.task == "detect":
            return validation.detect_score(model, self.val_images, self.val_labels)
        return validation.inpaint_score(model, self.val_images, self.val_masks)

    def baselines(self) -> dict[str, dict[str, float]]:
        """The same metrics for the classical methods, for reference."""
        if len(self.val_images) == 0:
            return {}
        if self.task == "colorize":
            return validation.colorize_baselines(self.val_rgb, self.val_lab, self.val_hints)
        if self.task == "detect":
            return validation.detect_baselines(self.val_damaged, self.val_labels)
        return validation.inpaint_baselines(self.val_images, self.val_masks)

    def state(self, samplers: list[dict] | None = None) -> dict[str, Any]:
        return {
            "format": 1,
            "config": self.cfg,
            "model": self.model.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "optimizer": self.opt.state_dict(),
            # the discriminator and its optimizer, when the run trains one
            **({"adversary": self.adversary.state_dict()} if self.adversary else {}),
            "step": self.step,
            "elapsed": self.elapsed,
            "history": self.history,
            "rng": {
                "sampler": self.sampler.state(),
                "samplers": samplers,
                "torch": torch.get_rng_state(),
                "python": list(_list_state(random.getstate())),
            },
        }

    def card(self) -> dict[str, Any]:
        extra = self.net.card_extra(self.cfg)  # working_size of colorizers, GAN settings...
        return {
            **extra,
            "architecture": self.net.ARCHITECTURE,
            "task": self.task,
            "name": self.name,
            "config": self.cfg["model"],
            "parameters": self.net.parameter_count(self.model),
            "training": {
                "photos": self.photos_dir,
                "train_photos": len(self.train_set),
                "val_photos": [p.name for p in self.val_set.paths],
                "steps": self.step,
                "batch": self.cfg["batch"],
                "crop": self.cfg["crop"],
                "wall_seconds": round(self.elapsed, 1),
                "loss": self.cfg["loss"],
                "perceptual_loss": "none (no pretrained feature network offline)",
            },
            "metrics": {
                "definition": self.val_metric,
                "val_baselines": self.history.get("val_baselines"),
                "val_before": self.history.get("val_before"),
                "val_last": self.history.get("val_last"),
                "best_val_psnr": self.history.get("best_val_psnr"),
            },
        }

    def save(self) -> None:
        """Checkpoint (all ranks call this; rank 0 writes)."""
        samplers = None
        if self.world > 1:
            import torch.distributed as dist

            samplers = [None] * self.world
            dist.all_gather_object(samplers, self.sampler.state())
        if self.rank != 0:
            return
        t0 = time.perf_counter()
        try:
            ckpt.save_checkpoint(self.ckpt_path, self.state(samplers))
            self.saved_step = self.step
            ckpt.export_weights(self.inference_model, self.run_dir / "latest.safetensors",
                                self.card())
        except OSError as exc:
            raise self._write_error("the checkpoint", exc) from exc
        self.emit({"event": "checkpoint", "step": self.step, "path": str(self.ckpt_path),
                   "seconds": round(time.perf_counter() - t0, 2)})

    def _write_error(self, what: str, exc: OSError) -> TrainError:
        reason = exc.strerror or str(exc)
        if self.saved_step is None:
            after = ("no checkpoint was written yet, so this run cannot be resumed: free some "
                     "space and start it again")
        else:
            after = (f"the checkpoint of step {self.saved_step} is intact: free some space and "
                     "run again with --resume")
        return TrainError(f"cannot write {what} in {self.run_dir} ({reason}) at step "
                          f"{self.step}; {after}")

    def _on_val(self, metrics: dict[str, float]) -> None:
        if not metrics or self.rank != 0:
            return
        self.history["val_last"] = {"step": self.step, **metrics}
        best = self.history.get("best_val_psnr")
        value = metrics["val_score"] if "val_score" in metrics else metrics["val_psnr"]
        if best is None or value > best:
            self.history["best_val_psnr"] = value
            self.history["best_step"] = self.step
            # A fine-tuned run keeps its base as the best until training beats it, so the
            # model it installs is never worse on the held-out photos than what it started from.
            if self.step > 0 or self.cfg.get("base"):
                try:
                    ckpt.export_weights(self.inference_model,
                                        self.run_dir / "best.safetensors", self.card())
                except OSError as exc:  # a full disk here too: the same one-line error
                    raise self._write_error("the best weights", exc) from exc
        self.emit({"event": "val", "step": self.step, **metrics})
        try:
            path = preview.write(self)
        except OSError:
            path = None  # a picture for the dialog is not worth stopping a run for
        if path is not None:
            self.emit({"event": "preview", "step": self.step, "path": str(path)})

    def install_extra(self) -> dict[str, Any]:
        """What :func:`trainer.install.install` adds to the installed card."""
        return {
            "base": self.cfg.get("base"), "photos": self.photos_dir,
            "photo_count": len(self.train_set) + len(self.val_set),
            "metrics_before": self.history.get("val_before"), "steps_run": self.step,
        }

    def install(self) -> Path:
        """Copy the run's best weights into the model folder (see :mod:`trainer.install`)."""
        return inst.install(self.run_dir, self.install_dir, self.name, self.cfg["run_id"],
                            self.install_extra())

    def reference_scores(self) -> dict[str, Any] | None:
        """The best weights' held-out score beside the score they must not fall below: a
        fine-tune's base on the same photos; for a new network the classical method that the
        app would use instead (Telea; gray / hint propagation for colorize; the median
        detector). None while either is unknown.

        ``{"score", "reference", "reference_name", "metric", "unit"}``."""
        best = self.history.get("best_val_psnr")
        if best is None:
            return None
        if self.cfg.get("base"):
            before = self.history.get("val_before") or {}
            reference = before.get("val_score", before.get("val_psnr"))
            what = "its base model"
        else:
            base = self.history.get("val_baselines") or {}
            if self.task == "colorize":
                auto = (base.get("gray") or {}).get("val_psnr")
                hints = (base.get("levin_hints") or {}).get("val_psnr_hints")
                reference = None if auto is None or hints is None else (auto + hints) / 2
                what = "the classical colorizers"
            elif self.task == "detect":
                reference = (base.get("median") or {}).get("val_f1")
                what = "the classical median detector"
            else:
                reference = (base.get("telea") or {}).get("val_psnr")
                what = "the classical Telea fill"
        if reference is None:
            return None
        metric = {"colorize": "mean PSNR without and with 10 colour hints",
                  "detect": "damage F1"}.get(self.task, "hole PSNR")
        return {"score": best, "reference": reference, "reference_name": what,
                "metric": metric, "unit": "" if self.task == "detect" else " dB"}

    def worse_than_reference(self) -> str | None:
        """Why the best weights are not worth installing, or None: a fine-tune must not score
        below its base on the held-out photos, a new network not below the classical method
        (:meth:`reference_scores`)."""
        s = self.reference_scores()
        if s is None or s["score"] >= s["reference"]:
            return None
        unit = s["unit"]
        return (f"its held-out score {s['score']:.2f}{unit} is below {s['reference_name']}'s "
                f"{s['reference']:.2f}{unit}, so it was not installed (train longer, or "
                "install it anyway with --install-anyway)")

    def request_stop(self, *_args) -> None:
        self.stop_requested = True

    # ----------------------------------------------------------------- main
    def run(self) -> dict[str, Any]:
        cfg = self.cfg
        old_handlers = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                old_handlers[sig] = signal.signal(sig, self.request_stop)
            except ValueError:  # not the main thread (tests): stop file only
                pass
        try:
            if self.rank == 0 and self.stop_file.exists():
                self.stop_file.unlink()  # an old request; a new one may come while loading
            try:
                self._load_data()
            except _StoppedEarly:
                summary = {"event": "done", "reason": "stop", "step": None, "installed": None,
                           "note": "stopped while loading photos; nothing trained"}
                self.emit(summary)
                return summary
            self._build()
            self.run_dir.mkdir(parents=True, exist_ok=True)
            if self.rank == 0:
                ckpt.remove_stale_temps(self.run_dir)
            if self.world > 1:
                import torch.distributed as dist

                dist.barrier()
            return self._loop(cfg)
        finally:
            for sig, handler in old_handlers.items():
                signal.signal(sig, handler)

    def _decide(self, stop: bool, val: bool, save: bool) -> tuple[bool, bool, bool]:
        """Agree on this step's actions across processes (any rank may ask to stop)."""
        if self.world == 1:
            return stop, val, save
        import torch.distributed as dist

        flags = torch.tensor([float(stop), float(val), float(save)], device=self.device)
        dist.all_reduce(flags, op=dist.ReduceOp.MAX)
        return bool(flags[0]), bool(flags[1]), bool(flags[2])

    def _loop(self, cfg: dict[str, Any]) -> dict[str, Any]:
        if self.rank == 0:
            inst.clear_pending(self.run_dir)  # an earlier end's: this one decides anew
        if self.rank == 0 and not self.history.get("val_baselines"):
            self.history["val_baselines"] = self.baselines()
        self.emit({
            "event": "start", "step": self.step, "name": self.name,
            "train_photos": len(self.train_set), "val_photos": len(self.val_set),
            "skipped": [[str(p), why] for p, why in self.skipped],
            "parameters": self.net.parameter_count(self.model),
            "threads": torch.get_num_threads(), "device": str(self.device),
            "processes": self.world, "val_baselines": self.history.get("val_baselines"),
            "amp": str(self.autocast_dtype).replace("torch.", "") if self.autocast_dtype else None,
            "config": cfg,
        })
        start = time.monotonic()
        deadline = start + cfg["minutes"] * 60 if cfg.get("minutes") else None
        target = cfg.get("steps")
        if self.rank == 0 and self.history.get("val_before") is None:
            before = self.validate()
            self.history["val_before"] = before
            self._on_val(before)  # emits the "val" line
        last_log = last_val = last_ckpt = time.monotonic()
        ckpt_step = self.step
        imgs_since, t_since = 0, time.monotonic()
        losses: list[float] = []
        steps_this_run = 0
        reason = "done"
        while True:
            now = time.monotonic()
            reason = ""
            if target is not None and self.step >= target:
                reason = "steps"
            elif deadline is not None and now >= deadline:
                reason = "time"
            elif self.stop_requested or self.stop_file.exists():
                reason = "stop"
            stop, do_val, do_save = self._decide(
                bool(reason),
                self.rank == 0 and now - last_val >= cfg["val_seconds"] and steps_this_run > 0,
                self.rank == 0 and (now - last_ckpt >= cfg["checkpoint_seconds"]
                                    or self.step - ckpt_step >= (cfg.get("checkpoint_steps")
                                                                 or math.inf)),
            )
            line: dict[str, Any] = {}
            if do_val and not stop:
                if self.rank == 0:
                    metrics = self.validate()
                    self._on_val(metrics)
                    line.update(metrics)
                last_val = time.monotonic()
            if do_save and not stop:
                self.save()
                last_ckpt, ckpt_step = time.monotonic(), self.step
            if stop:
                reason = reason or "stop"
                break
            t_step = time.monotonic()
            loss, _terms = self.train_step()
            self.elapsed += time.monotonic() - t_step
            if not math.isfinite(loss):
                raise TrainError(f"loss became {loss} at step {self.step}; lower --lr")
            steps_this_run += 1
            losses.append(loss)
            imgs_since += cfg["batch"] * self.world
            now = time.monotonic()
            if line or now - last_log >= cfg["log_seconds"] or steps_this_run == 1:
                rate = imgs_since / max(now - t_since, 1e-9)
                eta = None
                if deadline is not None:
                    eta = max(0.0, deadline - now)
                if target is not None:
                    steps_left = max(0, target - self.step)
                    eta_steps = steps_left * cfg["batch"] * self.world / max(rate, 1e-9)
                    eta = eta_steps if eta is None else min(eta, eta_steps)
                self.emit({
                    "step": self.step, "loss": round(float(np.mean(losses)), 5),
                    **line, "lr": self.lr_at(self.step - 1),
                    "img_per_s": round(rate, 2),
                    "eta_s": None if eta is None else round(eta, 1),
                    "elapsed_s": round(self.elapsed, 1),
                    # share of the time spent making batches: near 0 means data never starves
                    "data_pct": round(100.0 * self.data_seconds / max(now - t_since, 1e-9), 2),
                })
                self.data_seconds = 0.0
                losses.clear()
                imgs_since, t_since, last_log = 0, now, now
        final = self.validate() if self.rank == 0 else {}
        self._on_val(final)
        self.save()
        installed = worse = scores = None
        if self.install_dir is not None:
            worse = None if self.install_anyway else self.worse_than_reference()
            scores = self.reference_scores() if worse else None
            installed = None if worse else self.install()
        if installed is None and self.rank == 0:
            # what `--install-only` (the dialog's "Install anyway?") installs later
            try:
                inst.write_pending(self.run_dir, self.name, self.cfg["run_id"],
                                   self.install_extra(), worse, scores)
            except OSError as exc:
                raise self._write_error("the install record", exc) from exc
        summary = {
            "event": "done", "reason": reason, "step": self.step,
            "val_before": self.history.get("val_before"), "val_after": final,
            "best_step": self.history.get("best_step"),
            "weights": str(self.run_dir / "latest.safetensors"),
            "installed": None if installed is None else str(installed),
            **({"not_installed": worse, "scores": scores} if worse else {}),
        }
        self.emit(summary)
        return summary


CHECKPOINT_KEYS = {"config": dict, "model": dict, "optimizer": dict, "step": int,
                   "elapsed": (int, float), "history": dict, "rng": dict}


def checkpoint_problem(state) -> str | None:
    """What a loaded checkpoint lacks (a damaged or foreign file), or None."""
    if not isinstance(state, dict):
        return "not a dictionary"
    for key, kind in CHECKPOINT_KEYS.items():
        if not isinstance(state.get(key), kind):
            return f"{key!r} is missing or of the wrong kind"
    if "task" not in state["config"]:
        return "its config has no task"
    return None


def optimizer_kernel(cfg: dict[str, Any], device: torch.device) -> dict[str, bool]:
    """AdamW's implementation: fused where asked and torch has it for the device, else the
    multi-tensor ("foreach") one; both give the same updates as the per-tensor loop."""
    if cfg.get("fused_optimizer") and device.type in ("cpu", "cuda", "mps"):
        return {"fused": True}
    return {"foreach": True}


def _print_json(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _list_state(state):
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _tuple_state(state):
    version, internal, gauss = state
    return (version, tuple(internal), gauss)


def _quiet(_obj: dict) -> None:
    pass
