"""Synthetic damage and the detect task: labels, reproducibility, learning, export."""

import json

import cv2
import numpy as np
import pytest
import torch

from models.damage import MedianDetector
from models.engine import damage_mask
from models.nets.mask_detector import MaskDetector
from models.nets.seed_losses import mask_detector_loss
from tests.trainer.conftest import make_photo
from trainer import damage as dmg
from trainer.data import PhotoSet
from trainer.loop import Run

TINY = {
    "task": "detect", "crop": 48, "batch": 2, "val_count": 2, "val_crop": 48,
    "val_per_photo": 1, "max_side": 96, "warmup_steps": 2, "log_seconds": 0.0,
    "model": {"widths": [8, 12, 16]},
}


def photo(seed=0, size=96):
    return make_photo(np.random.default_rng(seed), size, size)


@pytest.mark.parametrize("kind", dmg.KINDS)
def test_each_kind_labels_exactly_the_pixels_it_changed(kind):
    found = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        base = dmg.tone(photo(seed), rng)
        out, label = dmg.apply_damage(base, rng, (kind,))
        change = np.abs(out - base).max(axis=2) * 255.0
        assert label.dtype == np.uint8 and set(np.unique(label)) <= {0, 255}
        assert (change[label == 255] > dmg.LABEL_THRESHOLD).all()
        assert (change[label == 0] <= dmg.LABEL_THRESHOLD).all()
        found += int((label == 255).sum())
    assert found > 0, f"{kind} never damaged anything"


def test_no_damage_means_an_empty_label_and_grain_is_not_damage():
    rng = np.random.default_rng(3)
    clean = photo(3)
    damaged, label = dmg.damage(clean, rng, kinds=())
    assert not label.any()
    assert damaged.shape == clean.shape and damaged.dtype == np.uint8


def test_tones_gray_sepia_colour():
    rng = np.random.default_rng(0)
    img = photo(1)
    gray = dmg.tone(img, rng, "gray")
    assert np.allclose(gray[..., 0], gray[..., 1]) and np.allclose(gray[..., 1], gray[..., 2])
    sepia = dmg.tone(img, rng, "sepia")
    assert sepia[..., 0].mean() > sepia[..., 2].mean()  # warm
    assert gray.min() >= 0 and gray.max() <= 1


def test_sampler_batches_are_reproducible_from_its_state():
    photos = PhotoSet(images=[photo(i) for i in range(3)], paths=[])
    a = dmg.DamageSampler(photos, crop=32, seed=5)
    state = a.state()
    x1, y1 = a.batch(3)
    a.set_state(state)
    x2, y2 = a.batch(3)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert x1.shape == (3, 32, 32, 3) and y1.shape == (3, 32, 32)


def test_fixed_val_set_is_fixed_and_damaged():
    photos = PhotoSet(images=[photo(i) for i in range(2)], paths=[])
    a, la = dmg.fixed_val_set(photos, 48, per_photo=2)
    b, lb = dmg.fixed_val_set(photos, 48, per_photo=2)
    assert np.array_equal(a, b) and np.array_equal(la, lb)
    assert a.shape == (4, 48, 48, 3) and la.any()


def test_damage_is_drawn_on_the_whole_print_so_small_crops_are_not_crowded():
    """A crop of a big print carries that print's density of damage, not a whole print's
    worth of scratches squeezed into the crop."""
    big = PhotoSet(images=[photo(i, 384) for i in range(4)], paths=[])
    sampler = dmg.DamageSampler(big, crop=64, seed=0, scale_range=(1.0, 1.0))
    cut = np.mean([(sampler.batch(8)[1] > 0).mean() for _ in range(6)])
    rng = np.random.default_rng(0)
    drawn = np.mean([(dmg.damage(photo(i, 64), rng)[1] > 0).mean() for i in range(48)])
    assert cut < 0.5 * drawn, (cut, drawn)
    # the crops of one print share its damage: the image and label are cut alike
    x, y = dmg.DamageSampler(big, crop=64, seed=1, scale_range=(0.7, 1.0)).batch(2)
    assert x.shape == (2, 64, 64, 3) and set(np.unique(y)) <= {0, 255}


def _scratch_batch(rng, n, size=48):
    images, labels = [], []
    for _ in range(n):
        x, y = dmg.damage(photo(int(rng.integers(1000)), size), rng, ("scratches", "dust"))
        images.append(x)
        labels.append(y)
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255
    return x, torch.from_numpy(np.stack(labels) > 127)[:, None].float()


def _f1(found, truth):
    tp = (found & truth).sum()
    return 2 * tp / max(found.sum() + truth.sum(), 1)


def test_tiny_detector_learns_scratches_better_than_the_median_baseline():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    net = MaskDetector({"widths": [8, 16, 16], "norm": "batch"})
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(250):
        x, y = _scratch_batch(rng, 4)
        loss, _ = mask_detector_loss(net(x), y, pos_weight=5.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    test_rng = np.random.default_rng(99)
    x, y = _scratch_batch(test_rng, 6)
    with torch.no_grad():
        found = (net(x) > 0).numpy()[:, 0]
    truth = y.numpy()[:, 0] > 0.5
    learned = _f1(found, truth)
    images = (x.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    median = _f1(np.stack([damage_mask(MedianDetector().detect(i)) > 0 for i in images]), truth)
    assert learned > 0.5 and learned > median + 0.1, (learned, median)


def test_detect_run_trains_validates_and_exports(tmp_path, make_folder):
    photos = make_folder("album", colour=5)
    run = Run(photos, "dmg", tmp_path / "runs", {**TINY, "steps": 3}, emit=lambda _e: None)
    summary = run.run()
    assert summary["step"] == 3
    after = summary["val_after"]
    assert set(after) >= {"val_f1", "val_iou", "val_score"}
    assert 0.0 <= after["val_f1"] <= 1.0
    card = json.loads((tmp_path / "runs" / "dmg" / "latest.json").read_text())
    assert card["task"] == "detect" and card["architecture"] == "unet_mask_detector"
    assert card["metrics"]["val_baselines"]["median"]["val_f1"] is not None
    assert (tmp_path / "runs" / "dmg" / "preview.png").exists()


def test_the_clean_twin_differs_only_where_damaged():
    rng = np.random.default_rng(4)
    damaged, label, clean = dmg.damaged_print(photo(4, 128), rng, ("scratches", "dust"))
    far = cv2.dilate(label, np.ones((17, 17), np.uint8)) == 0  # beyond JPEG's 8 px blocks
    assert label.any() and far.any()
    assert np.abs(damaged.astype(int) - clean)[far].mean() < 0.5  # same grain, same JPEG
    assert np.abs(damaged.astype(int) - clean)[label > 0].mean() > 10


def test_a_new_detector_below_the_median_detector_is_not_installed(tmp_path, make_folder):
    run = Run(make_folder("album", colour=5), "dmg", tmp_path / "runs", dict(TINY),
              emit=lambda _e: None)
    run.history = {"best_val_psnr": 0.05, "val_baselines": {"median": {"val_f1": 0.2}}}
    assert "median detector's 0.20" in run.worse_than_reference()
    run.history["best_val_psnr"] = 0.3
    assert run.worse_than_reference() is None
