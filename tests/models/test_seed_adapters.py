"""The seed nets behind the app's engine interfaces: Context Encoder as an inpainter (fixed
size), Pix2Pix as an automatic colorizer; their registration for model cards."""

import numpy as np
import pytest
import torch

import models
from models import learned
from models.nets import context_encoder, pix2pix
from trainer.checkpoint import export_weights

CE_TINY = {"input_size": 32, "in_channels": 4, "base": 8, "max_width": 32,
           "bottleneck": "channelwise", "output": "full", "disc_base": 8}
P2P_TINY = {"depth": 5, "base": 8, "max_width": 32, "disc_layers": 2, "disc_base": 8}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield
    learned.discover()  # what importing models found


@pytest.mark.parametrize("size", [(32, 32), (45, 70), (20, 24)])
def test_context_encoder_inpainter_any_size_and_ignores_hole_pixels(size):
    net = context_encoder.build_inpainter(CE_TINY).eval()
    h, w = size
    x = torch.rand(2, 3, h, w)
    m = torch.zeros(2, 1, h, w)
    m[..., h // 4 : h // 2 + 2, w // 3 : w // 3 + 9] = 1.0
    y = x * (1 - m) + torch.rand(2, 3, h, w) * m  # other content in the hole only
    with torch.no_grad():
        out_x, out_y = net(x, m), net(y, m)
    assert out_x.shape == (2, 3, h, w) and torch.isfinite(out_x).all()
    assert out_x.min() >= 0 and out_x.max() <= 1
    torch.testing.assert_close(out_x, out_y)  # the hole's pixels never reach the net


def test_context_encoder_inpainter_is_the_generator_and_needs_full_output():
    gen = context_encoder.build(CE_TINY)
    net = context_encoder.build_inpainter(CE_TINY)
    assert net.state_dict().keys() == gen.state_dict().keys()  # no extra weights to export
    with pytest.raises(ValueError, match="output 'full'"):
        context_encoder.build_inpainter({**CE_TINY, "output": "center"})


def test_pix2pix_colorizer_any_size_ignores_hints():
    net = pix2pix.build_colorizer(P2P_TINY).eval()
    assert net.state_dict().keys() == pix2pix.build(P2P_TINY).state_dict().keys()
    lum = torch.rand(1, 1, 50, 70) * 100
    hints = torch.zeros(1, 3, 50, 70)
    hints[:, :, 10, 10] = torch.tensor([60.0, -40.0, 1.0])
    with torch.no_grad():
        ab = net(lum, torch.zeros_like(hints))
        torch.testing.assert_close(net(lum, hints), ab)
    assert ab.shape == (1, 2, 50, 70) and ab.abs().max() <= 110
    with pytest.raises(ValueError, match="1 channel"):
        pix2pix.build_colorizer({**P2P_TINY, "in_channels": 4})


def test_seed_architectures_are_registered_for_cards():
    kinds = {name: learned.ARCHITECTURES[name].kind
             for name in ("partial_conv", "context_encoder", "pix2pix")}
    assert kinds == {"partial_conv": "inpaint", "context_encoder": "inpaint",
                     "pix2pix": "colorize"}


def test_fixed_size_net_without_card_size_works_at_its_own_size(tmp_path):
    net = context_encoder.build_inpainter(CE_TINY)
    card = {"architecture": "context_encoder", "task": "inpaint", "name": "tiny-ce",
            "config": net.config}
    export_weights(net, tmp_path / "ce.safetensors", card)
    learned.discover([(tmp_path, learned.USER_PRIORITY)])
    engine = models.get_inpainter("tiny-ce", device="cpu")
    assert engine.working_size == 32  # from the net, as the card does not say
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)
    mask = np.zeros((60, 90), np.uint8)
    mask[20:40, 30:50] = 255
    result = engine.inpaint(image, mask)
    assert np.array_equal(result[mask == 0], image[mask == 0])
