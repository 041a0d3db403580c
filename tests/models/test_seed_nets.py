"""Seed architectures (Partial-conv U-Net, Pix2Pix, Context Encoder, mask detector) and their
losses: tiny configurations on CPU."""

import pytest
import torch
import torch.nn.functional as F

from models.nets import context_encoder, mask_detector, partial_conv, pix2pix, seed_losses
from models.nets.partial_conv import PartialConv2d

PCONV_TINY = {"widths": [8, 16, 16], "kernels": [5, 3, 3]}
P2P_TINY = {"depth": 5, "base": 8, "max_width": 32, "disc_layers": 2, "disc_base": 8}
CE_TINY = {"input_size": 32, "base": 8, "max_width": 32, "bottleneck_units": 64,
           "disc_base": 8}
DET_TINY = {"widths": [8, 16, 24]}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def hole_mask(b: int, h: int, w: int) -> torch.Tensor:
    m = torch.zeros(b, 1, h, w)
    m[..., h // 4: h // 2 + 3, w // 3: w // 3 + 9] = 1.0
    return m


def fit(model, loss_fn, steps: int = 6, lr: float = 2e-3) -> tuple[float, float]:
    """(first, last) loss over ``steps`` AdamW steps on one fixed batch."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        loss = loss_fn()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    with torch.no_grad():
        losses.append(float(loss_fn()))
    return losses[0], losses[-1]


# ---------------------------------------------------------------- PartialConv2d


def test_pconv_all_valid_equals_plain_conv():
    layer = PartialConv2d(3, 5, 3, padding=0)
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(2, 3, 12, 12)
    out, new = layer(x, torch.ones(2, 1, 12, 12))
    ref = F.conv2d(x, layer.weight, layer.bias)
    torch.testing.assert_close(out, ref)
    assert torch.all(new == 1)
    # with zero padding the border is renormalised, the interior is the plain convolution
    padded = PartialConv2d(3, 5, 3, padding=1)
    out_p, _ = padded(x, torch.ones(2, 1, 12, 12))
    ref_p = F.conv2d(x, padded.weight, None, padding=1)
    torch.testing.assert_close(out_p[..., 1:-1, 1:-1], ref_p[..., 1:-1, 1:-1])
    corner = ref_p[..., 0, 0] * 9 / 4
    torch.testing.assert_close(out_p[..., 0, 0], corner)


def test_pconv_per_channel_mask_matches_shared_mask():
    layer = PartialConv2d(4, 3, 3, padding=1)
    x = torch.randn(1, 4, 10, 10)
    valid = 1.0 - hole_mask(1, 10, 10)
    a, ma = layer(x, valid)
    b, mb = layer(x, valid.expand(-1, 4, -1, -1))
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(ma, mb)


def test_pconv_mask_update_shrinks_holes():
    valid = torch.ones(1, 1, 16, 16)
    valid[..., 4:12, 4:12] = 0.0  # an 8 x 8 hole
    layer = PartialConv2d(1, 1, 3, padding=1)
    _, new = layer(torch.randn(1, 1, 16, 16), valid)
    hole = new[0, 0] == 0
    assert hole.sum() == 36 and torch.all(hole[5:11, 5:11])  # 6 x 6 left
    _, new2 = layer(torch.randn(1, 1, 16, 16), new)
    assert (new2 == 0).sum() == 16
    # stride 2: the mask follows the output grid, any valid pixel under the window counts
    down = PartialConv2d(1, 1, 4, stride=2, padding=1)
    _, m2 = down(torch.randn(1, 1, 16, 16), valid)
    assert m2.shape == (1, 1, 8, 8)
    assert (m2 == 0).sum() == 4 and torch.all(m2[0, 0, 3:5, 3:5] == 0)


def test_pconv_ignores_hole_values_and_zeroes_hole_only_windows():
    valid = torch.ones(1, 1, 16, 16)
    valid[..., 4:12, 4:12] = 0.0
    layer = PartialConv2d(2, 4, 3, padding=1)
    x = torch.randn(1, 2, 16, 16)
    y = x.clone()
    y[..., 4:12, 4:12] = torch.randn(1, 2, 8, 8) * 100
    out_x, new = layer(x, valid)
    out_y, _ = layer(y, valid)
    torch.testing.assert_close(out_x, out_y)
    assert torch.all(out_x[..., 5:11, 5:11] == 0) and torch.all(new[..., 5:11, 5:11] == 0)


# ---------------------------------------------------------------- Partial-conv U-Net


@pytest.mark.parametrize("size", [(32, 32), (20, 27)])
def test_pconv_unet_shapes_and_hole_independence(size):
    net = partial_conv.build(PCONV_TINY).eval()
    h, w = size
    x = torch.rand(2, 3, h, w)
    m = hole_mask(2, h, w)
    y = x * (1 - m) + torch.rand(2, 3, h, w) * m
    with torch.no_grad():
        out_x, out_y = net(x, m), net(y, m)
    assert out_x.shape == (2, 3, h, w) and out_x.dtype == torch.float32
    assert torch.isfinite(out_x).all()
    torch.testing.assert_close(out_x, out_y)


def test_pconv_unet_trains_and_freezes_encoder_bn():
    net = partial_conv.build(PCONV_TINY)
    x = torch.rand(2, 3, 32, 32)
    m = hole_mask(2, 32, 32)
    first, last = fit(net, lambda: partial_conv_loss(net, x, m))
    assert last < first
    net.train()
    net.freeze_encoder_bn()
    assert not net.encoder[1].bn.training and net.decoder[0].bn.training
    assert not any(p.requires_grad for p in net.encoder[1].bn.parameters())


def partial_conv_loss(net, x, m):
    return seed_losses.pconv_loss(net(x, m), x, m)[0]


# ---------------------------------------------------------------- Pix2Pix


@pytest.mark.parametrize(("c_in", "c_out", "norm"), [(1, 2, "batch"), (4, 3, "instance")])
def test_pix2pix_shapes(c_in, c_out, norm):
    cfg = {**P2P_TINY, "in_channels": c_in, "out_channels": c_out, "norm": norm}
    g = pix2pix.build(cfg)
    d = pix2pix.build_discriminator(cfg)
    x = torch.rand(2, c_in, 32, 32) * 2 - 1
    y = g(x)
    assert y.shape == (2, c_out, 32, 32) and y.dtype == torch.float32
    assert y.abs().max() <= 1
    logits = d(x, y)
    assert logits.shape == (2, 1, 32 // 4 - 2, 32 // 4 - 2)  # 2 stride-2 layers
    d3 = pix2pix.build_discriminator({**cfg, "disc_layers": 3})
    assert d3(torch.rand(1, c_in, 64, 64), torch.rand(1, c_out, 64, 64)).shape == (1, 1, 6, 6)
    with pytest.raises(ValueError):
        g(torch.rand(1, c_in, 24, 24))


def test_pix2pix_dropout_only_in_innermost_decoder_blocks():
    g = pix2pix.build({**P2P_TINY, "dropout_blocks": 2})
    has = [any(isinstance(m, torch.nn.Dropout) for m in block) for block in g.up]
    assert has == [True, True, False, False, False]


def test_pix2pix_generator_trains():
    cfg = {**P2P_TINY, "dropout": 0.0}
    g = pix2pix.build(cfg)
    x = torch.rand(4, 1, 32, 32) * 2 - 1
    t = torch.rand(4, 2, 32, 32) * 2 - 1
    first, last = fit(g, lambda: seed_losses.pix2pix_generator_loss(g(x), t)[0])
    assert last < first


# ---------------------------------------------------------------- Context Encoder


@pytest.mark.parametrize("bottleneck", ["fc", "channelwise"])
@pytest.mark.parametrize(("output", "out_size"), [("center", 16), ("full", 32)])
def test_context_encoder_shapes(bottleneck, output, out_size):
    cfg = {**CE_TINY, "bottleneck": bottleneck, "output": output}
    g = context_encoder.build(cfg)
    d = context_encoder.build_discriminator(cfg)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    y = g(x)
    assert y.shape == (2, 3, out_size, out_size) and y.dtype == torch.float32
    assert d(y).shape == (2, 1)
    with pytest.raises(ValueError):
        g(torch.rand(1, 3, 64, 64))


def test_context_encoder_center_box_and_training():
    assert context_encoder.center_box(128) == (32, 96)
    assert context_encoder.center_mask(32).sum() == 256
    g = context_encoder.build(CE_TINY)
    img = torch.rand(4, 3, 32, 32) * 2 - 1
    a, b = context_encoder.center_box(32)
    x = img.clone()
    x[..., a:b, a:b] = 0.0
    truth = img[..., a:b, a:b]
    first, last = fit(g, lambda: seed_losses.context_encoder_loss(g(x), truth)[0])
    assert last < first


# ---------------------------------------------------------------- mask detector


@pytest.mark.parametrize("size", [(32, 32), (30, 45)])
def test_mask_detector_shapes(size):
    net = mask_detector.build(DET_TINY).eval()
    with torch.no_grad():
        y = net(torch.rand(2, 3, *size))
    assert y.shape == (2, 1, *size) and y.dtype == torch.float32


def test_mask_detector_trains():
    net = mask_detector.build(DET_TINY)
    x = torch.rand(4, 3, 32, 32)
    m = hole_mask(4, 32, 32)
    x = x * (1 - m) + m  # white damage
    first, last = fit(net, lambda: seed_losses.mask_detector_loss(net(x), m)[0])
    assert last < first


# ---------------------------------------------------------------- losses


def test_pconv_loss_terms():
    t = torch.rand(2, 3, 16, 16)
    m = hole_mask(2, 16, 16)
    total, terms = seed_losses.pconv_loss(t.clone(), t, m)
    assert float(terms["hole"]) == 0 and float(terms["valid"]) == 0
    # TV on the true image is not zero, but nothing the prediction can lower further
    p = torch.rand(2, 3, 16, 16)
    total_p, terms_p = seed_losses.pconv_loss(p, t, m)
    assert torch.isfinite(total_p) and total_p > total
    assert all(v > 0 for v in terms_p.values())
    # weights as the paper: 6 x hole + 1 x valid + 0.1 x tv
    expect = 6 * terms_p["hole"] + terms_p["valid"] + 0.1 * terms_p["tv"]
    assert float(total_p) == pytest.approx(expect, rel=1e-5)
    flat = torch.full_like(t, 0.5)
    assert seed_losses.tv_on_region(flat, m) == 0


def test_gan_and_generator_losses():
    logits = torch.randn(2, 1, 6, 6)
    for mode in seed_losses.GAN_MODES:
        d, terms = seed_losses.discriminator_loss(logits, logits, mode)
        assert torch.isfinite(d) and d > 0 and set(terms) == {"d_real", "d_fake"}
    t = torch.rand(2, 2, 8, 8)
    total, terms = seed_losses.pix2pix_generator_loss(t.clone(), t)
    assert total == 0 and terms == {"l1": 0.0}
    total, _ = seed_losses.pix2pix_generator_loss(t.clone(), t, torch.ones(2, 1, 3, 3),
                                                  mode="lsgan")
    assert total == 0
    total, terms = seed_losses.pix2pix_generator_loss(t + 0.1, t, logits)
    assert float(total) == pytest.approx(100 * terms["l1"] + terms["gan"], rel=1e-5)
    with pytest.raises(ValueError):
        seed_losses.gan_loss(logits, True, "hinge")


def test_context_encoder_loss():
    t = torch.rand(2, 3, 8, 8)
    assert seed_losses.context_encoder_loss(t.clone(), t)[0] == 0
    m = hole_mask(2, 8, 8)
    p = t + m  # wrong only on the hole
    total, terms = seed_losses.context_encoder_loss(p, t, mask=m)
    assert terms["l2"] == pytest.approx(1.0)
    total, terms = seed_losses.context_encoder_loss(p, t, torch.zeros(2, 1), mask=m)
    assert float(total) == pytest.approx(0.999 + 0.001 * terms["gan"], rel=1e-5)


def test_mask_detector_loss():
    m = hole_mask(2, 16, 16)
    sure = (m * 2 - 1) * 30  # confident and right
    total, terms = seed_losses.mask_detector_loss(sure, m)
    assert float(total) < 1e-6 and set(terms) == {"bce", "dice"}
    wrong, _ = seed_losses.mask_detector_loss(torch.zeros_like(m), m, pos_weight=3.0)
    assert torch.isfinite(wrong) and wrong > 0.5
    _, terms = seed_losses.mask_detector_loss(sure, m, dice=0)
    assert set(terms) == {"bce"}


# ---------------------------------------------------------------- default sizes


def test_default_configs_build_with_paper_like_sizes():
    # counted, not run: the defaults are for real training runs
    assert 30e6 < n_params(partial_conv.build()) < 36e6  # paper-sized PConv U-Net
    assert 50e6 < n_params(pix2pix.build()) < 60e6  # pix2pix 256 x 256 U-Net
    assert 2e6 < n_params(pix2pix.build_discriminator()) < 3e6
    assert n_params(context_encoder.build()) > 50e6  # the 4000-unit bottleneck dominates
    assert n_params(mask_detector.build()) < 3e6
