import math

import numpy as np
import torch

from trainer import losses, metrics


def test_hole_psnr_only_counts_the_hole():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    mask = np.zeros((20, 30), np.uint8)
    mask[5:10, 5:15] = 255
    out = img.copy()
    out[mask == 0] = 0  # errors outside the hole do not count
    assert math.isinf(metrics.hole_psnr_u8(out, img, mask)) or \
        metrics.hole_psnr_u8(out, img, mask) >= 99
    out = img.astype(np.int16)
    out[mask > 0] += 10
    out = out.clip(0, 255).astype(np.uint8)
    expected = 10 * math.log10(255**2 / np.mean(
        (out[mask > 0].astype(float) - img[mask > 0]) ** 2))
    assert abs(metrics.hole_psnr_u8(out, img, mask) - expected) < 1e-6


def test_hole_ssim_identical_is_one_and_noise_lowers_it():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    mask = np.zeros((32, 32), np.uint8)
    mask[8:24, 8:24] = 255
    assert abs(metrics.hole_ssim_u8(img, img, mask) - 1.0) < 1e-9
    noisy = (img.astype(int) + rng.integers(-60, 60, img.shape)).clip(0, 255).astype(np.uint8)
    assert metrics.hole_ssim_u8(noisy, img, mask) < 0.9


def test_hole_ssim_without_hole_is_one():
    x = torch.rand(1, 3, 16, 16)
    assert metrics.hole_ssim(x, x * 0, torch.zeros(1, 1, 16, 16))[0] == 1.0


def test_inpaint_loss_is_zero_for_a_perfect_prediction_and_has_gradients():
    x = torch.rand(2, 3, 24, 24)
    m = torch.zeros(2, 1, 24, 24)
    m[..., 6:14, 6:18] = 1
    total, terms = losses.inpaint_loss(x.clone(), x, m)
    assert float(total) < 1e-4
    assert set(terms) == {"hole", "valid", "grad", "ssim"}
    pred = torch.rand(2, 3, 24, 24, requires_grad=True)
    total, _ = losses.inpaint_loss(pred, x, m)
    total.backward()
    assert pred.grad[..., 6:14, 6:18].abs().sum() > 0


def test_grow_and_total_variation():
    m = torch.zeros(1, 1, 9, 9)
    m[..., 4, 4] = 1
    assert losses.grow(m, 1).sum() == 9
    flat = torch.ones(1, 3, 9, 9)
    assert float(losses.total_variation(flat, torch.ones(1, 1, 9, 9))) == 0.0


def test_pooled_psnr_is_not_dominated_by_a_perfect_fill():
    mse = torch.tensor([0.01, 0.0], dtype=torch.float64)  # one photo with error, one filled exactly
    assert abs(metrics.pooled_psnr(mse) - 10 * math.log10(1 / 0.005)) < 1e-9
    x = torch.rand(2, 3, 8, 8)
    m = torch.ones(2, 1, 8, 8)
    assert torch.allclose(metrics.hole_mse(x + 0.1, x, m), torch.full((2,), 0.01))
