"""Damage detectors: the confidence map, the sensitivity, the learned engine's tiles and
full-resolution edges, the restore pipeline."""

import cv2
import numpy as np
import pytest
import torch

from models import learned
from models.damage import MedianDetector
from models.engine import Cancelled, CancelToken, damage_mask, get_detector
from models.nets.mask_detector import MaskDetector
from models.restore import grow_pixels, restore
from trainer.checkpoint import export_weights


def scratched(h=120, w=160, seed=0):
    """A smooth gray picture with light grain, two bright scratches and dark specks."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    img = 90 + 60 * np.sin(xx / 23.0) * np.cos(yy / 31.0) + rng.normal(0, 2, (h, w))
    truth = np.zeros((h, w), np.uint8)
    cv2.line(truth, (5, 10), (w - 10, h - 20), 255, 1)
    cv2.line(truth, (w // 2, 0), (w // 2 + 12, h - 1), 255, 2)
    img[truth > 0] = 245
    for x, y in rng.integers(8, min(h, w) - 8, (12, 2)):
        cv2.circle(truth, (int(x), int(y)), 1, 255, -1)
        img[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2] = 10
    rgb = np.repeat(np.clip(img, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    return rgb, truth


def test_median_detector_finds_scratches_and_specks_not_grain():
    rgb, truth = scratched()
    conf = MedianDetector().detect(rgb)
    assert conf.shape == truth.shape and conf.dtype == np.uint8
    found = damage_mask(conf) > 0
    hit = (found & (truth > 0)).sum() / (truth > 0).sum()
    false = (found & (cv2.dilate(truth, np.ones((5, 5))) == 0)).mean()
    assert hit > 0.6 and false < 0.01


def test_sensitivity_orders_the_masks_and_is_checked():
    conf = np.arange(256, dtype=np.uint8).reshape(16, 16)
    counts = [int((damage_mask(conf, s) > 0).sum()) for s in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == 255
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="sensitivity"):
            damage_mask(conf, bad)


def test_the_default_detector_always_builds():
    assert get_detector(device="cpu").detect(scratched()[0]).shape == (120, 160)


def tiny_detector(tmp_path, bias=None, working_size=None):
    torch.manual_seed(0)
    net = MaskDetector({"widths": [4, 8], "norm": "none"})
    if bias is not None:
        with torch.no_grad():
            net.head.bias.fill_(bias)
    card = {"architecture": "unet_mask_detector", "task": "detect", "name": "tiny-detector",
            "config": net.config}
    if working_size:
        card["working_size"] = working_size
    path = tmp_path / "tiny-detector.safetensors"
    card = export_weights(net, path, card, half=False)
    return learned.LearnedDetector(path, card)


def test_learned_detector_covers_every_tile(tmp_path, monkeypatch):
    monkeypatch.setattr(learned, "DETECT_TILE", 96)  # 64 px cores: 4 x 5 tiles
    monkeypatch.setattr(learned, "DETECT_OVERLAP", 16)
    engine = tiny_detector(tmp_path, bias=20.0)  # "all damaged": every pixel must say so
    steps = []
    conf = engine.detect(scratched(200, 300)[0], progress=lambda f, _m: steps.append(f))
    assert conf.shape == (200, 300) and (conf == 255).all()
    assert len(steps) >= 6 and steps[-1] == 1.0  # progress between tiles


def test_learned_detector_works_small_and_returns_full_size(tmp_path):
    engine = tiny_detector(tmp_path, working_size=64)
    rgb, _ = scratched(150, 200)
    conf = engine.detect(rgb)
    assert conf.shape == (150, 200) and conf.dtype == np.uint8


def test_learned_detector_cancel(tmp_path):
    engine = tiny_detector(tmp_path)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        engine.detect(scratched()[0], cancel=token)


def test_restore_fills_only_damage_on_the_gray_photo():
    from models.classical_inpaint import TeleaInpainter

    rgb, truth = scratched()
    rgb[..., 0] = np.clip(rgb[..., 0].astype(int) + 20, 0, 255)  # a sepia-ish cast
    result = restore(rgb, MedianDetector(), TeleaInpainter())
    out = result.image
    assert out.shape == rgb.shape
    assert (out[..., 0] == out[..., 2]).all()  # restored gray
    keep = result.mask == 0
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    assert (out[..., 0][keep] == gray[keep]).all()  # untouched outside the damage
    assert np.abs(out[..., 0][truth > 0].astype(int) - 245).mean() > 60  # scratches gone
    assert grow_pixels(6000, 4000) == 6 and grow_pixels(100, 80) == 1


def _scripted_looks(engine, monkeypatch, full, half):
    """The engine's net replaced by fixed maps: ``full`` at the working size, ``half`` for
    the half-size look (its shape picks which one a call gets)."""
    calls = []

    def tiled(image, cancel, progress):
        calls.append(image.shape[:2])
        progress(0.95, "looking")
        return (full if image.shape[:2] == full.shape else half).astype(np.float32)

    monkeypatch.setattr(engine, "_tiled", tiled)
    return calls


def test_wide_damage_comes_from_the_half_size_look_and_thin_alarms_are_halved(
        tmp_path, monkeypatch):
    engine = tiny_detector(tmp_path)
    h, w = 320, 400
    full = np.zeros((h, w))
    full[60:260, 60:260] = 1.0
    full[80:240, 80:240] = 0.0  # full size sees only the border of a wide hole
    full[300, :] = 1.0  # a thin line only the full-size look sees
    half = np.zeros((h // 2, w // 2))
    half[30:130, 30:130] = 1.0  # the half-size look sees the whole hole
    half[5, :] = 0.9  # and a thin line of its own
    calls = _scripted_looks(engine, monkeypatch, full, half)
    steps = []
    found = damage_mask(engine.detect(np.zeros((h, w, 3), np.uint8),
                                      progress=lambda f, _m: steps.append(f))) > 0
    assert calls == [(h, w), (h // 2, w // 2)]
    assert found[70:250, 70:250].all()  # the inside of the hole, from the opening
    assert not found[10, :].any()  # thin, half-size only: averaged below 0.5
    assert damage_mask(engine.detect(np.zeros((h, w, 3), np.uint8)), 0.9)[300].all()
    assert not found[280:295, 300:].any()  # nothing where neither look saw anything
    assert steps == sorted(steps) and steps[-1] == 1.0


def test_small_pictures_get_the_full_size_look_only(tmp_path, monkeypatch):
    engine = tiny_detector(tmp_path)
    full = np.full((200, 240), 0.8)
    calls = _scripted_looks(engine, monkeypatch, full, full)
    conf = engine.detect(np.zeros((200, 240, 3), np.uint8))
    assert calls == [(200, 240)] and (conf == 204).all()
