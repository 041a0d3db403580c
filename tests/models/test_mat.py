"""MAT, the mask-aware transformer (models.nets.mat): tiny configurations on CPU."""

import pytest
import torch
import torch.nn.functional as F

from models import learned
from models.nets import mat
from models.nets.blocks import pyramid_fill
from trainer.checkpoint import export_weights

# 1/8 tokens of 16 channels, windows of 4 x 4 tokens (32 x 32 pixels), one shifted block
TINY = {"widths": [8, 12, 16], "blocks": 3, "heads": 2, "window": 4}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def box_mask(b: int, h: int, w: int, y0: int, y1: int, x0: int, x1: int) -> torch.Tensor:
    m = torch.zeros(b, 1, h, w)
    m[..., y0:y1, x0:x1] = 1.0
    return m


def test_default_config_is_small_and_registered():
    net = mat.build()
    assert 1e6 < mat.parameter_count(net) < 2e6
    assert net.stride == 8 and mat.ARCHITECTURE == "mat"
    assert learned.ARCHITECTURES["mat"].build == "models.nets.mat:build"


@pytest.mark.parametrize("size", [(32, 32), (37, 53), (9, 14), (5, 3), (70, 41)])
def test_shapes_dtypes_and_odd_sizes(size):
    net = mat.build(TINY).eval()
    h, w = size
    x = torch.rand(2, 3, h, w)
    m = (torch.rand(2, 1, h, w) > 0.6).float()
    with torch.no_grad():
        y = net(x, m)
    assert y.shape == (2, 3, h, w) and y.dtype == torch.float32
    assert torch.isfinite(y).all()


def test_untrained_net_starts_near_the_pyramid_fill():
    net = mat.build(TINY).eval()
    x = torch.rand(1, 3, 48, 48)
    m = box_mask(1, 48, 48, 8, 30, 10, 40)
    with torch.no_grad():
        y = net(x, m)
    guess = x * (1 - m) + pyramid_fill(x, 1 - m) * m
    assert (y - guess).abs().mean() < 0.1


def test_gradients_reach_every_parameter():
    net = mat.build(TINY)
    x = torch.rand(2, 3, 40, 48)
    m = box_mask(2, 40, 48, 4, 36, 6, 30)
    net(x, m).square().mean().backward()
    missing = [n for n, p in net.named_parameters()
               if p.grad is None or not torch.isfinite(p.grad).all() or not p.grad.abs().sum()]
    assert not missing


def test_channels_last_input_gives_the_same_result():
    net = mat.build(TINY).eval()
    x = torch.rand(2, 3, 40, 48)
    m = box_mask(2, 40, 48, 4, 36, 6, 30)
    with torch.no_grad():
        a = net(x, m)
        b = net(x.contiguous(memory_format=torch.channels_last),
                m.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(a, b)


# ---------------------------------------------------------------- the mask update


def expected_update(valid: torch.Tensor, window: int, shift: int) -> torch.Tensor:
    """The paper's rule written independently: every token of a window (of the grid shifted
    by ``shift``) that holds a valid token becomes valid."""
    b, h, w = valid.shape
    v = F.pad(valid.float()[:, None], (shift, window, shift, window))  # padding: invalid
    hp, wp = (v.shape[-2] // window) * window, (v.shape[-1] // window) * window
    v = v[..., :hp, :wp]
    grown = F.max_pool2d(v, window).repeat_interleave(window, -2).repeat_interleave(window, -1)
    return grown[:, 0, shift:shift + h, shift:shift + w] > 0.5


def test_token_mask_starts_from_cells_with_a_known_pixel():
    net = mat.build(TINY)
    m = box_mask(1, 64, 64, 5, 60, 8, 43)  # token cells 1..6 fully inside rows, 1..4 in cols
    tokens = net.token_mask(m)
    assert tokens.shape == (1, 8, 8)
    expected = torch.ones(8, 8, dtype=torch.bool)
    expected[1:7, 1:5] = False  # the cells whose 8 x 8 pixels are all hole
    assert torch.equal(tokens[0], expected)


def test_a_large_hole_shrinks_block_by_block_and_valid_tokens_stay_valid():
    net = mat.build({**TINY, "blocks": 6})
    # 160 x 160 pixels = 20 x 20 tokens; a hole of 16 x 16 tokens, 4 windows wide
    m = box_mask(1, 160, 160, 16, 144, 16, 144)
    x = torch.rand(1, 3, 160, 160)
    masks = net.token_masks(x, m)
    assert len(masks) == 7
    counts = [int(v.sum()) for v in masks]
    assert counts[0] == 400 - 16 * 16
    for before, after, block in zip(masks, masks[1:], net.blocks, strict=False):
        assert torch.all(after[before])  # valid stays valid
        assert torch.equal(after, expected_update(before, block.window, block.shift))
    # the hole is larger than a window: it takes more than one block to close, and each
    # block closes some of it until nothing is left
    assert counts[1] < 400
    first_full = counts.index(400)
    assert first_full >= 2
    assert all(a < b for a, b in zip(counts[:first_full], counts[1:first_full + 1], strict=True))
    assert counts[-1] == 400
    # the forward pass goes through the same masks
    seen = []
    for block in net.blocks:
        block.register_forward_hook(lambda _m, _inp, out: seen.append(out[1]))
    with torch.no_grad():
        net(x, m)
    assert all(torch.equal(a, b) for a, b in zip(seen, masks[1:], strict=True))


def test_a_window_without_valid_tokens_stays_invalid():
    block = mat.build(TINY).blocks[0]
    valid = torch.ones(1, 8, 8, dtype=torch.bool)
    valid[:, 0:4, 4:8] = False  # exactly one window of the unshifted grid
    new = block.update_mask(valid)
    assert torch.equal(new, valid)


# ---------------------------------------------------------------- mask-aware attention


def block_inputs(dim: int = 16, h: int = 8, w: int = 12):
    x = torch.randn(2, h, w, dim)
    valid = torch.ones(2, h, w, dtype=torch.bool)
    valid[:, 1:7, 2:9] = False  # every window holds hole and valid tokens
    return x, valid


@pytest.mark.parametrize("index", [0, 1])  # the unshifted and the shifted block
def test_attention_never_reads_hole_tokens(index):
    block = mat.build(TINY).blocks[index].eval()
    assert block.shift == (2 if index else 0)
    x, valid = block_inputs()
    changed = torch.zeros_like(valid)
    changed[:, 1:7, 2:6] = True  # some of the hole tokens get other content
    x2 = x.clone()
    x2[changed] = 10 * torch.randn(int(changed.sum()), x.shape[-1])
    with torch.no_grad():
        y, new = block(x, valid)
        y2, new2 = block(x2, valid)
        # the check can fail: were the hole tokens visible, valid outputs would change
        y_all, _ = block(x, torch.ones_like(valid))
        y2_all, _ = block(x2, torch.ones_like(valid))
    assert torch.equal(new, new2)
    # no output but that of the changed tokens themselves moves: not the valid tokens, and
    # not the other hole tokens either (they read only valid tokens)
    torch.testing.assert_close(y[~changed], y2[~changed], rtol=0, atol=1e-5)
    assert (y_all[valid] - y2_all[valid]).abs().max() > 1e-2


def test_first_block_of_the_net_ignores_features_under_the_hole():
    """Inside the net: features fed to the first block at hole tokens do not reach the valid
    tokens' output."""
    net = mat.build(TINY).eval()
    x = torch.rand(1, 3, 64, 96)
    m = box_mask(1, 64, 96, 8, 56, 16, 72)
    valid = net.token_mask(m)
    outputs = []

    def noise_in_hole(_module, args):
        tokens, v = args
        tokens = tokens.clone()
        tokens[~v] = 5 * torch.randn(int((~v).sum()), tokens.shape[-1])
        return tokens, v

    hook = net.blocks[0].register_forward_hook(lambda _m, _a, out: outputs.append(out[0]))
    with torch.no_grad():
        net(x, m)
        pre = net.blocks[0].register_forward_pre_hook(noise_in_hole)
        net(x, m)
    pre.remove()
    hook.remove()
    torch.testing.assert_close(outputs[0][valid], outputs[1][valid], rtol=0, atol=1e-5)
    assert not torch.allclose(outputs[0][~valid], outputs[1][~valid])


def test_the_picture_under_the_hole_does_not_matter():
    net = mat.build(TINY).eval()
    x = torch.rand(1, 3, 48, 64)
    m = box_mask(1, 48, 64, 6, 40, 10, 50)
    x2 = torch.where(m > 0, torch.rand_like(x), x)
    with torch.no_grad():
        torch.testing.assert_close(net(x, m), net(x2, m))


def test_all_hole_windows_give_no_nan_under_bf16_autocast():
    net = mat.build(TINY)
    x = torch.rand(2, 3, 64, 64)
    m = box_mask(2, 64, 64, 0, 64, 0, 64)
    m[1, :, 40:, 40:] = 0  # one picture all hole, the other with whole windows of hole
    block = net.blocks[0]
    tokens = torch.randn(2, 8, 8, 16)
    no_valid = torch.zeros(2, 8, 8, dtype=torch.bool)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = net(x, m)
        t, new = block(tokens, no_valid)
    assert torch.isfinite(y).all() and torch.isfinite(t).all()
    assert not new.any()  # nothing valid, nothing becomes valid
    y.float().square().mean().backward()
    grads = [p.grad for p in net.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_bf16_attention_follows_fp32():
    block = mat.build(TINY).blocks[1].eval()
    x, valid = block_inputs()
    with torch.no_grad():
        ref, _ = block(x, valid)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low, _ = block(x, valid)
    assert (low.float() - ref).abs().max() < 0.1 * ref.abs().max()


# ---------------------------------------------------------------- export and load


@pytest.mark.parametrize("half", [False, True])
def test_export_and_load_round_trip(tmp_path, half):
    net = mat.build(TINY).eval()
    with torch.no_grad():  # trained-looking weights, not the identity-like start
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    path = tmp_path / "mat.safetensors"
    card = export_weights(net, path, {"architecture": "mat", "task": "inpaint",
                                      "name": "tiny-mat", "config": net.config}, half=half)
    loaded, card2 = learned.load_net(path)
    assert card2["sha256"] == card["sha256"] and type(loaded) is mat.MAT
    assert not loaded.training and loaded.config == net.config
    x = torch.rand(1, 3, 45, 70)
    m = box_mask(1, 45, 70, 10, 30, 20, 44)
    with torch.no_grad():
        a, b = net(x, m), loaded(x, m)
    if half:
        torch.testing.assert_close(a, b, rtol=0, atol=2e-2)
    else:
        assert torch.equal(a, b)
