import numpy as np
import pytest

from trainer import masks


@pytest.mark.parametrize("kind", masks.KINDS)
@pytest.mark.parametrize("size", [(64, 64), (96, 160), (200, 120)])
def test_coverage_within_promised_range(kind, size):
    lo, hi = masks.COVERAGE[kind]
    rng = np.random.default_rng(1)
    for _ in range(40):
        m = masks.make_mask(kind, *size, rng)
        assert m.shape == size and m.dtype == np.uint8
        assert set(np.unique(m)) <= {0, 255}
        assert lo <= masks.coverage(m) <= hi


def test_kinds_differ_in_size():
    rng = np.random.default_rng(2)
    mean = {k: np.mean([masks.coverage(masks.make_mask(k, 128, 128, rng)) for _ in range(30)])
            for k in masks.KINDS}
    assert mean["scratches"] < mean["strokes"] and mean["scratches"] < mean["blobs"]


def test_seeded_masks_repeat():
    a = masks.random_mask(80, 80, np.random.default_rng(5))
    b = masks.random_mask(80, 80, np.random.default_rng(5))
    assert np.array_equal(a, b)
    e1, e2 = masks.eval_masks(50, 70, seed=3), masks.eval_masks(50, 70, seed=3)
    assert all(np.array_equal(e1[k], e2[k]) for k in masks.KINDS)


def test_random_mask_follows_mix():
    rng = np.random.default_rng(0)
    m = [masks.random_mask(64, 64, rng, {"scratches": 1.0}) for _ in range(10)]
    assert max(masks.coverage(x) for x in m) <= masks.COVERAGE["scratches"][1]


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError):
        masks.make_mask("circles", 10, 10, np.random.default_rng())


def test_force_range_grows_and_trims():
    rng = np.random.default_rng(0)
    empty = np.zeros((40, 40), np.uint8)
    grown = masks._force_range(empty, 0.05, 0.2, rng)
    assert 0.05 <= masks.coverage(grown) <= 0.2
    full = np.full((40, 40), 255, np.uint8)
    trimmed = masks._force_range(full, 0.05, 0.2, rng)
    assert 0.05 <= masks.coverage(trimmed) <= 0.2
