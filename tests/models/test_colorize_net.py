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
