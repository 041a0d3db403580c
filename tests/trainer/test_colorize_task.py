"""The colorize task on tiny configurations: hints, monochrome photos, learning, export."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from trainer import chroma
from trainer import colorize as col
from trainer.data import PhotoSet
from trainer.loop import Run

TINY = {
    "task": "colorize", "crop": 32, "batch": 2, "val_count": 2, "val_crop": 32,
    "val_per_photo": 1, "max_side": 96, "warmup_steps": 2, "lr": 3e-3, "log_seconds": 0.0,
    "model": {"widths": [8, 12, 16], "dilations": [1, 2]},
}


def colourful_lab(h=64, w=64, seed=0):
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 2] = (200, 40, 40)  # a red half and a gray half
    img[:, w // 2 :] = 128
    img = (img + rng.integers(0, 8, img.shape)).astype(np.uint8)
    return chroma.to_lab(img)


def test_hint_counts_coverage_and_colourful_places():
    lab = colourful_lab()
    rng = np.random.default_rng(0)
    counts, red_share = [], []
    for _ in range(400):
        h = col.sample_hints(lab, rng, patch=(1, 1))
        mask = h[..., 2]
        counts.append(int(mask.sum()))
        if mask.any():
            red_share.append(mask[:, :32].sum() / mask.sum())
            ys, xs = np.nonzero(mask)
            assert np.allclose(h[ys, xs, :2], lab[ys, xs, 1:], atol=1e-4)  # the true chroma
        assert not h[mask == 0].any()
    counts = np.array(counts)
    assert 0.4 < (counts == 0).mean() < 0.6  # automatic mode about half the time
    assert 5 < counts[counts > 0].mean() < 11  # geometric, mean 8
    assert counts.max() <= 40
    assert np.mean(red_share) > 0.7  # colourful places are drawn far more often
    h = col.sample_hints(lab, rng, count=10, patch=(3, 3))
    assert h[..., 2].sum() <= 90 and h[..., 2].sum() >= 9  # patches (may overlap)
    gray = np.zeros_like(lab)
    gray[..., 0] = 50
    assert col.sample_hints(gray, rng, count=0).sum() == 0


def red_share_of(hints_list):
    return np.mean([h[:, :32, 2].sum() / h[..., 2].sum() for h in hints_list])


def test_uniform_hint_places_fall_on_gray_as_often_as_on_colour():
    lab = colourful_lab()
    rng = np.random.default_rng(0)
    uniform = [col.sample_hints(lab, rng, count=10, patch=(1, 1), uniform=True)
               for _ in range(200)]
    assert 0.4 < red_share_of(uniform) < 0.6
    drawn = [col.sample_hints(lab, rng, count=10, patch=(1, 1)) for _ in range(200)]
    assert red_share_of(drawn) > 0.7


def test_the_sampler_mixes_uniform_and_colour_drawn_hints():
    from models.engine import lab_to_rgb

    lab = colourful_lab()
    rgb = lab_to_rgb(np.ascontiguousarray(lab[..., 0]), np.ascontiguousarray(lab[..., 1:]))
    photos = PhotoSet(paths=[], images=[rgb])

    def share(uniform_share):
        sampler = col.ColorizeSampler(photos, crop=64, seed=0, scale_range=(1.0, 1.0),
                                      p_none=0.0, uniform_share=uniform_share)
        shares = []
        for _ in range(60):  # crops may be flipped: tell red from gray by the chroma
            labs, hints, _ = sampler.batch(4)
            colourful = np.hypot(labs[..., 1], labs[..., 2]) > 20
            shares += [(h[..., 2] * c).sum() / h[..., 2].sum()
                       for h, c in zip(hints, colourful, strict=True)]
        return np.mean(shares)

    assert share(0.0) > 0.7
    assert share(1.0) < 0.6
    assert share(0.0) > share(0.5) > share(1.0)


def test_a_colorize_run_mixes_hint_places_by_default(photo_dir, tmp_path):
    run = Run(photo_dir, "u", tmp_path, dict(TINY, steps=0), emit=lambda _obj: None)
    run._load_data()
    assert run.cfg["hint_uniform_share"] == 0.5
    assert run.sampler.uniform_share == 0.5


def test_monochrome_photos_are_skipped_and_reported(tmp_path):
    rng = np.random.default_rng(1)
    colour = (rng.integers(0, 256, (40, 40, 3))).astype(np.uint8)
    gray = np.repeat(rng.integers(60, 200, (40, 40, 1)), 3, 2).astype(np.uint8)
    toned = chroma.to_lab(gray)
    toned[..., 1:] = (6.0, 18.0)  # an evenly toned (sepia) print
    sepia = (cv2.cvtColor(toned, cv2.COLOR_Lab2RGB) * 255).round().astype(np.uint8)
    photos = PhotoSet([tmp_path / "c.png", tmp_path / "g.png", tmp_path / "s.png"],
                      [colour, gray, sepia])
    kept = chroma.drop_monochrome(photos)
    assert [p.name for p in kept.paths] == ["c.png"]
    assert [p.name for p, why in kept.skipped if "monochrome" in why] == ["g.png", "s.png"]


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: more threads only contend with other work
    yield
    torch.set_num_threads(threads)


def test_run_skips_mono_learns_validates_and_exports(photo_dir, tmp_path, one_thread):
    gray = np.repeat(np.random.default_rng(2).integers(0, 256, (48, 64, 1)), 3, 2)
    Image.fromarray(gray.astype(np.uint8)).save(photo_dir / "old-scan.png")
    lines = []
    run = Run(photo_dir, "c", tmp_path, dict(TINY, steps=2), emit=lines.append)
    summary = run.run()
    start = lines[0]
    assert start["event"] == "start" and start["train_photos"] == 4
    assert any("old-scan" in p and "monochrome" in why for p, why in start["skipped"])
    base = start["val_baselines"]
    assert set(base) == {"gray", "truth", "levin_hints"}
    assert base["gray"]["val_colourfulness"] == 0 and base["truth"]["val_colourfulness"] > 5
    after = summary["val_after"]
    assert {"val_psnr", "val_colourfulness", "val_psnr_hints", "val_colourfulness_hints",
            "val_score"} <= set(after)
    card = json.loads((tmp_path / "c" / "latest.json").read_text())
    assert card["architecture"] == "hint_colorizer" and card["task"] == "colorize"
    assert card["working_size"] == 256 and card["training"]["steps"] == 2
    # a few steps on fixed crops lower the loss
    labs, hints, props = run.sampler.batch(4)
    assert props.shape == (4, 16, 16, 3)  # the hints propagated at 1/2
    run.cfg["batch"] = 4
    run.sampler.batch = lambda n: (labs, hints, props)
    lum, ab, h = col.lab_tensors(labs, hints)

    def loss_now():
        with torch.no_grad():
            out = run.model(lum, h, col.prop_tensor(props))
            assert set(col.colorize_loss(out, ab, run.loss_weights)[1]) == {
                "l1", "chroma", "classes"}
            return float(col.colorize_loss(out, ab, run.loss_weights)[0])

    before = loss_now()
    for _ in range(40):
        run.train_step()
    assert loss_now() < before * 0.8


def test_chroma_term_prefers_a_saturated_guess_to_gray():
    target = torch.zeros(2, 2, 4, 4)
    target[0, 0], target[1, 0] = 50.0, -50.0  # two equally likely hues
    gray = torch.zeros(1, 2, 4, 4).expand(2, -1, -1, -1)
    red = torch.zeros(2, 2, 4, 4)
    red[:, 0] = 50.0
    assert col.colorize_loss(red, target)[0] < col.colorize_loss(gray, target)[0]
    plain = col.ColorizeLossWeights(chroma=0)
    assert col.colorize_loss(red, target, plain)[0] == col.colorize_loss(gray, target, plain)[0]


def test_bins_round_trip_soft_encoding_and_annealed_mean():
    from models.nets.colorize_net import annealed_mean, gamut_bins

    bins = torch.from_numpy(gamut_bins())
    rng = np.random.default_rng(0)
    ab = bins[rng.integers(0, len(bins), 64)] + torch.from_numpy(
        rng.uniform(-4.9, 4.9, (64, 2)).astype(np.float32))
    ab = ab.T.reshape(1, 2, 8, 8)
    soft, nearest = col.soft_encode(ab, bins)
    assert torch.allclose(soft.sum(1), torch.ones(1, 8, 8), atol=1e-5)
    assert (soft > 0).sum(1).eq(5).all()
    assert torch.equal(bins[nearest].permute(0, 3, 1, 2), ab.div(10).round().mul(10))
    back = annealed_mean(torch.log(soft + 1e-12), bins, temperature=0.05)
    assert (back - ab).abs().max() <= 10  # within a bin's width


def test_rebalancing_weighs_rare_colours_up():
    from models.nets.colorize_net import gamut_bins

    bins = gamut_bins()
    img = np.full((64, 64, 3), 128, np.uint8)
    img[:4, :4] = (220, 30, 30)  # a little red on a gray photo
    photos = PhotoSet(paths=[Path("a.png")], images=[img])
    w = col.rebalance_weights(photos, bins)
    gray = int(np.argmin(np.hypot(*bins.T)))
    red_ab = chroma.to_lab(np.array([[[220, 30, 30]]], np.uint8))[0, 0, 1:]
    red = int(np.argmin(np.hypot(*(bins - red_ab).T)))
    assert w[red] > 5 * w[gray]
    assert w.shape == (len(bins),) and np.all(np.isfinite(w) & (w > 0))
    flat = col.rebalance_weights(photos, bins, mix=1.0)  # no rebalancing: all alike
    assert np.allclose(flat, flat[0])


def test_the_classes_loss_rewards_the_true_bins():
    from models.nets.colorize_net import ColorOutput, gamut_bins

    bins = torch.from_numpy(gamut_bins())
    ab = torch.zeros(1, 2, 8, 8)
    ab[:, 0], ab[:, 1] = 40.0, -20.0
    soft, _ = col.soft_encode(F_pool(ab), bins)
    good = ColorOutput(ab, torch.log(soft + 1e-6), bins, None)
    flat = ColorOutput(ab, torch.zeros_like(soft), bins, None)
    assert col.classes_loss(good, ab) < 0.5 * col.classes_loss(flat, ab)


def F_pool(ab):  # noqa: N802 - the classes' 1/2 resolution
    return torch.nn.functional.avg_pool2d(ab, 2)


def test_fine_tuning_a_class_colorizer_keeps_its_heads_and_class_weights(photo_dir, tmp_path,
                                                                        one_thread):
    from safetensors.torch import load_file

    Run(photo_dir, "base", tmp_path, dict(TINY, steps=1), emit=lambda _: None).run()
    base = tmp_path / "base" / "latest.safetensors"
    base_card = json.loads(base.with_suffix(".json").read_text())
    assert base_card["config"]["classes"] and base_card["config"]["hint_residual"]
    saved = load_file(str(base))
    assert saved["bin_weights"].float().std() > 0  # the rebalancing went with the weights
    lines = []
    tuned = Run(photo_dir, "tuned", tmp_path, {"task": "colorize", "steps": 2, "crop": 32,
                                               "batch": 2, "val_count": 2, "val_crop": 32,
                                               "val_per_photo": 1, "log_seconds": 0.0},
                base=base, emit=lines.append)
    assert tuned.cfg["model"]["classes"] and tuned.cfg["base"]["name"] == "base"
    summary = tuned.run()
    assert summary["val_before"]["val_psnr"] > 0 and summary["val_after"]["val_psnr"] > 0
    out = load_file(str(tmp_path / "tuned" / "latest.safetensors"))
    assert set(out) == set(saved)
    assert torch.allclose(out["bin_weights"].float(), saved["bin_weights"].float(), atol=1e-2)
