"""The default inpainting network: tiny configurations on CPU."""

import pytest
import torch

from models.nets import inpaint_net
from models.nets.blocks import FFC, FourierUnit, pyramid_fill

TINY = {"widths": [8, 12, 16], "blocks": 2, "dilations": [1, 2]}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_default_config_size_is_compact():
    net = inpaint_net.build()
    n = inpaint_net.parameter_count(net)
    assert 0.5e6 < n < 4e6


@pytest.mark.parametrize("size", [(32, 32), (37, 53), (9, 14), (64, 40)])
def test_shapes_dtypes_and_odd_sizes(size):
    net = inpaint_net.build(TINY).eval()
    h, w = size
    x = torch.rand(2, 3, h, w)
    m = (torch.rand(2, 1, h, w) > 0.7).float()
    with torch.no_grad():
        y = net(x, m)
    assert y.shape == (2, 3, h, w)
    assert y.dtype == torch.float32
    assert torch.isfinite(y).all()


def test_untrained_net_starts_near_the_pyramid_fill():
    net = inpaint_net.build(TINY).eval()
    x = torch.rand(1, 3, 32, 32)
    m = torch.zeros(1, 1, 32, 32)
    m[..., 8:20, 10:24] = 1
    with torch.no_grad():
        y = net(x, m)
        guess = pyramid_fill(x, 1 - m)
    guess = x * (1 - m) + guess * m
    assert (y - guess).abs().mean() < 0.1


def test_gradients_reach_every_parameter():
    net = inpaint_net.build(TINY)
    x = torch.rand(2, 3, 32, 32)
    m = (torch.rand(2, 1, 32, 32) > 0.5).float()
    net(x, m).mean().backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None or not p.grad.abs().sum()]
    assert not missing


def test_pyramid_fill_keeps_known_pixels_and_fills_holes_smoothly():
    x = torch.rand(1, 3, 17, 23)
    valid = torch.ones(1, 1, 17, 23)
    valid[..., 4:12, 5:15] = 0
    y = pyramid_fill(x, valid)
    assert torch.allclose(y * valid, x * valid, atol=1e-5)
    const = torch.full((1, 3, 17, 23), 0.4)
    assert torch.allclose(pyramid_fill(const, valid), const, atol=1e-4)


def test_pyramid_fill_of_a_fully_masked_image_is_finite():
    y = pyramid_fill(torch.rand(1, 3, 8, 8), torch.zeros(1, 1, 8, 8))
    assert torch.isfinite(y).all()


def test_fourier_unit_sees_the_whole_image():
    fu = FourierUnit(2)
    x = torch.zeros(1, 2, 16, 16, requires_grad=True)
    y = fu(x + 0.1)
    y[0, :, 0, 0].sum().backward()
    assert x.grad[0, :, 15, 15].abs().sum() > 0  # the far corner influences pixel (0, 0)


def test_ffc_all_local_and_all_global():
    for ratio in (0.0, 1.0, 0.5):
        layer = FFC(8, ratio_g=ratio)
        assert layer(torch.rand(1, 8, 12, 12)).shape == (1, 8, 12, 12)


def test_state_dict_round_trip():
    a = inpaint_net.build(TINY).eval()
    b = inpaint_net.build(TINY).eval()
    b.load_state_dict(a.state_dict())
    x, m = torch.rand(1, 3, 24, 24), (torch.rand(1, 1, 24, 24) > 0.5).float()
    with torch.no_grad():
        assert torch.equal(a(x, m), b(x, m))
