"""The default colorizer network and its learned engine: shapes, hints, export -> colorize."""

import numpy as np
import pytest
import torch

import models
from models import learned
from models.engine import ChromaHint, lightness
from models.nets import colorize_net
from trainer.checkpoint import export_weights

TINY = {"widths": [8, 12, 16], "dilations": [1, 2]}


@pytest.fixture(autouse=True)
def _restore_discovered():
    yield
    learned.discover()  # what importing models found


def test_shapes_any_size_and_default_size():
    torch.manual_seed(0)
    net = colorize_net.build(TINY).eval()
    for h, w in ((32, 32), (30, 41), (9, 5)):
        out = net(torch.rand(2, 1, h, w) * 100, torch.zeros(2, 3, h, w))
        assert out.shape == (2, 2, h, w) and torch.isfinite(out).all()
    assert 1_000_000 <= colorize_net.parameter_count(colorize_net.build()) <= 3_000_000


def test_hints_change_the_output_near_them():
    torch.manual_seed(0)
    net = colorize_net.build(TINY).eval()
    with torch.no_grad():
        net.head.weight.normal_(0, 0.1)
        lum = torch.full((1, 1, 32, 32), 50.0)
        hints = torch.zeros(1, 3, 32, 32)
        plain = net(lum, hints)
        hints[0, :, 10:13, 10:13] = torch.tensor([60.0, -40.0, 1.0])[:, None, None]
        guided = net(lum, hints)
    assert (guided - plain)[..., 8:15, 8:15].abs().mean() > 1e-3


def test_hint_channels_cover_a_small_square_clipped_to_the_image():
    ch = learned.hint_channels([ChromaHint(0.2, 0.4, 30.0, -20.0), ChromaHint(9.0, 5.0, 5, 6)],
                               6, 10)
    assert ch.shape == (6, 10, 3)
    assert ch[..., 2].sum() == 4 + 4  # 2x2 in the corner, 2x2 at the bottom-right edge
    assert tuple(ch[0, 0]) == (30.0, -20.0, 1.0) and tuple(ch[5, 9]) == (5.0, 6.0, 1.0)


def test_export_discover_and_colorize_keeps_lightness(tmp_path):
    torch.manual_seed(0)
    net = colorize_net.build(TINY)
    with torch.no_grad():
        net.head.weight.normal_(0, 0.05)
        net.head.bias.copy_(torch.tensor([0.2, 0.1] * 4))  # a visible tint
    card = {"architecture": colorize_net.ARCHITECTURE, "task": "colorize", "name": "tiny-col",
            "working_size": 256, "config": net.config,
            "parameters": colorize_net.parameter_count(net)}
    export_weights(net, tmp_path / "tiny-col.safetensors", card)
    infos = learned.discover([(tmp_path, learned.BUNDLED_PRIORITY)])
    assert [i.name for i in infos] == ["tiny-col"] and learned.discovery_problems() == []
    assert models.default_colorizer() == "tiny-col"
    engine = models.get_colorizer("tiny-col", device="cpu")
    assert isinstance(engine, learned.LearnedColorizer)
    assert engine.working_size == 256 and not engine.needs_hints and not engine.net.training
    rng = np.random.default_rng(0)
    gray = np.repeat(rng.integers(30, 220, (30, 40, 1), dtype=np.uint8), 3, axis=2)
    for hints in ((), [(5, 5, (200, 30, 30))]):
        result = engine.colorize(gray, hints)
        out = result.image
        assert out.shape == (30, 40, 3) and out.dtype == np.uint8
        assert np.abs(lightness(out) - lightness(gray)).max() <= 1.0
        assert np.abs(out.astype(int) - gray).max() > 3  # it did add colour


def test_hint_pyramid_spreads_one_hint_far_and_keeps_its_colour():
    hints = torch.zeros(1, 3, 64, 64)
    hints[0, :, 5, 6] = torch.tensor([40.0, -20.0, 1.0])
    pyr = colorize_net.hint_pyramid(hints, hints[:, 2:3], 3, (8, 8), 100.0)
    assert pyr.shape == (1, 3 * 4, 8, 8)
    for level in range(4):
        ab, cover = pyr[0, 3 * level:3 * level + 2], pyr[0, 3 * level + 2]
        seen = cover > 0
        assert seen.any() and torch.allclose(ab[:, seen], torch.tensor([[0.4], [-0.2]]), atol=1e-5)
    assert (pyr[0, 2] > 0).sum() < (pyr[0, 5] > 0).sum()  # coarser levels reach further
    assert (pyr[0, 11] > 0).all()  # the whole-picture level covers every place
    empty = colorize_net.hint_pyramid(torch.zeros(1, 3, 64, 64), torch.zeros(1, 1, 64, 64), 3,
                                      (8, 8), 100.0)
    assert empty.abs().max() == 0


def test_pyramid_and_context_start_at_zero_so_older_weights_keep_their_output():
    torch.manual_seed(0)
    old = colorize_net.build({**TINY, "hint_levels": 0, "global_context": False}).eval()
    new = colorize_net.build(TINY).eval()
    missing = new.load_state_dict(old.state_dict(), strict=False).missing_keys
    assert sorted(missing) == ["context.bias", "context.weight", "pyramid_in.bias",
                               "pyramid_in.weight"]
    lum, hints = torch.rand(1, 1, 40, 48) * 100, torch.zeros(1, 3, 40, 48)
    hints[0, :, 20, 20] = torch.tensor([30.0, 10.0, 1.0])
    with torch.no_grad():
        assert torch.equal(new(lum, hints), old(lum, hints))


CLASSY = {**TINY, "classes": True, "propagation": True, "class_width": 8}


def test_gamut_bins_are_the_srgb_cells_of_a_10_unit_grid():
    bins = colorize_net.gamut_bins(10)
    assert bins.shape == (261, 2) and np.all(bins % 10 == 0)
    assert [0, 0] in bins.tolist()
    red = models.engine.rgb_to_lab(np.array([[[255, 0, 0]]], np.uint8))[0, 0, 1:]
    assert np.hypot(*(bins - red).T).min() <= 5 * np.sqrt(2)


def test_automatic_mode_is_the_classes_annealed_mean_and_hints_blend_in():
    torch.manual_seed(0)
    net = colorize_net.build(CLASSY).eval()
    with torch.no_grad():
        net.classes[-1].bias.zero_()
        red = int(np.argmin(np.hypot(*(net.bins.numpy() - [60, 40]).T)))
        net.classes[-1].bias[red] = 20.0  # every pixel: surely that bin
        net.head.weight.normal_(0, 0.1)
        lum = torch.full((1, 1, 20, 28), 50.0)
        hints = torch.zeros(1, 3, 20, 28)
        auto = net(lum, hints)
        assert auto.shape == (1, 2, 20, 28)
        assert torch.allclose(auto, torch.tensor([60.0, 40.0])[None, :, None, None], atol=0.5)
        hints[0, :, 4:7, 4:7] = torch.tensor([-50.0, 30.0, 1.0])[:, None, None]
        assert (net(lum, hints) - auto).abs().max() > 1.0
        net.train()
        out = net(lum, hints)
    assert isinstance(out, colorize_net.ColorOutput)
    assert out.logits.shape == (1, 261, 10, 14) and out.ab.shape == (1, 2, 20, 28)
    probs = net.distribution(lum, hints)
    assert probs.shape == (1, 261, 10, 14)
    assert torch.allclose(probs.sum(1), torch.ones(1, 10, 14), atol=1e-4)


def test_a_residual_hint_head_at_any_size_starts_at_the_propagated_hints():
    torch.manual_seed(0)
    net = colorize_net.build({**CLASSY, "hint_residual": True}).eval()
    with torch.no_grad():
        net.head.weight.zero_()
        net.head.bias.zero_()
        net.gate.bias.fill_(50.0)  # the hint branch alone
        lum, hints = torch.rand(1, 1, 21, 27) * 100, torch.zeros(1, 3, 21, 27)
        hints[0, :, 3, 3] = torch.tensor([10.0, 20.0, 1.0])
        prop = torch.zeros(1, 3, 11, 14)
        prop[:, 0], prop[:, 1], prop[:, 2] = 30.0, -20.0, 1.0
        out = net(lum, hints, prop)
        assert out.shape == (1, 2, 21, 27)
        assert torch.allclose(out, torch.tensor([30.0, -20.0])[None, :, None, None], atol=0.1)
        assert net(lum, torch.zeros_like(hints), torch.zeros_like(prop)).shape == out.shape


def test_the_propagation_input_starts_at_zero():
    torch.manual_seed(0)
    net = colorize_net.build(CLASSY).eval()
    lum, hints = torch.rand(1, 1, 16, 16) * 100, torch.zeros(1, 3, 16, 16)
    with torch.no_grad():
        plain = net(lum, hints)
        prop = torch.rand(1, 3, 4, 4) * 50
        assert torch.equal(net(lum, hints, prop), plain)
        net.prop_in.weight.normal_(0, 0.5)
        assert not torch.equal(net(lum, hints, prop), plain)


def test_propagated_hints_stop_at_an_edge():
    from models.classical_colorize import propagate_hints

    luma = np.full((64, 64), 30.0, np.float32)
    luma[:, 32:] = 80.0  # a dark and a light half
    channels = np.zeros((64, 64, 3), np.float32)
    assert not propagate_hints(luma, channels).any()  # no hints: nothing
    channels[30:33, 5:8] = (50.0, 20.0, 1.0)
    channels[30:33, 55:58] = (-30.0, -40.0, 1.0)
    prop = propagate_hints(luma, channels)
    assert prop.shape == (16, 16, 3) and np.all(prop[..., 2] == 1)
    assert np.allclose(prop[:, :7, :2], (50, 20), atol=3)
    assert np.allclose(prop[:, 9:, :2], (-30, -40), atol=3)


def test_the_engine_suggests_the_classes_likeliest_colours(tmp_path):
    torch.manual_seed(0)
    net = colorize_net.build(CLASSY)
    bins = net.bins.numpy()
    likely = [(60, 40), (-40, 50), (0, -50)]
    with torch.no_grad():
        net.classes[-1].bias.zero_()
        for k, ab in enumerate(likely):
            net.classes[-1].bias[int(np.argmin(np.hypot(*(bins - ab).T)))] = 9.0 - k
        # a near twin of the first: left out, it would look the same
        net.classes[-1].bias[int(np.argmin(np.hypot(*(bins - (70, 40)).T)))] = 8.5
    card = {"architecture": colorize_net.ARCHITECTURE, "task": "colorize", "name": "classy",
            "working_size": 64, "config": net.config}
    export_weights(net, tmp_path / "classy.safetensors", card)
    learned.discover([(tmp_path, learned.BUNDLED_PRIORITY)])
    engine = models.get_colorizer("classy", device="cpu")
    gray = np.full((50, 70, 3), 120, np.uint8)
    swatches = engine.suggest_colours(gray, [(3, 3, (200, 30, 30))], 40, 20, count=3)
    assert len(swatches) == 3
    labs = models.engine.rgb_to_lab(np.array([swatches], np.uint8))[0]
    assert np.allclose(labs[:, 0], lightness(gray)[20, 40], atol=2)
    for lab, ab in zip(labs, likely, strict=True):  # in order, within a bin (gamut-fitted)
        assert np.hypot(*(lab[1:] - ab)) < 12
    with pytest.raises(ValueError, match="outside"):
        engine.suggest_colours(gray, [], 70, 5)
    # the same input checks as colorize: a bad image or hint is one clear error
    with pytest.raises(ValueError, match="uint8"):
        engine.suggest_colours(gray.astype(np.float32), [], 40, 20)
    with pytest.raises(ValueError, match="hint 1"):
        engine.suggest_colours(gray, [(500, 3, (1, 2, 3))], 40, 20)
    assert len(engine.suggest_colours(gray[..., 0], [], 40, 20, count=2)) == 2  # gray H x W
    # the colorize path takes the propagated hints too
    out = engine.colorize(gray, [(3, 3, (200, 30, 30))]).image
    assert out.shape == gray.shape


def test_hint_channels_paint_a_square_of_the_hint_patch_size():
    h, w = 20, 30
    for size, side in ((None, 3), (1, 1), (1.4, 1), (4, 4), (5, 5), (0.2, 1)):
        ch = learned.hint_channels([ChromaHint(10.0, 8.0, 7.0, -3.0, size)], h, w)
        ys, xs = np.nonzero(ch[..., 2])
        assert (xs.max() - xs.min() + 1, ys.max() - ys.min() + 1) == (side, side), size
        assert len(xs) == side * side and (10, 8) in set(zip(xs.tolist(), ys.tolist()))
        assert tuple(ch[8, 10]) == (7.0, -3.0, 1.0)
    ch = learned.hint_channels([ChromaHint(1.0, 1.0, 1.0, 1.0, 9)], h, w)  # clipped
    assert ch[..., 2].sum() == 6 * 6
