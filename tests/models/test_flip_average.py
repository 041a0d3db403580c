"""The `flip_average` card option of learned inpainters: the mean of two mirrored passes."""

import json

import numpy as np
import pytest

import models
from models import learned
from tests.models.test_learned import export_tiny


@pytest.fixture(autouse=True)
def _restore_discovered():
    yield
    learned.discover()


def test_flip_average_is_the_mean_of_the_plain_and_the_mirrored_fill(tmp_path):
    weights = export_tiny(tmp_path)
    card_path = weights.with_suffix(".json")
    card = json.loads(card_path.read_text())
    card["flip_average"] = True
    card_path.write_text(json.dumps(card))
    learned.discover([(tmp_path, learned.USER_PRIORITY)])
    engine = models.get_inpainter("tiny-ffc", device="cpu")
    assert engine.flip_average
    engine.fsr_blend = 0.0  # the net's passes alone (FSR would be mixed into this small hole)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    hole = np.zeros((40, 56), np.uint8)
    hole[10:25, 5:30] = 255  # off-centre, so mirroring changes the problem
    both = engine._predict(image, hole).astype(int)
    engine.flip_average = False
    plain = engine._predict(image, hole).astype(int)
    mirrored = engine._predict(image[:, ::-1].copy(), hole[:, ::-1].copy())[:, ::-1].astype(int)
    assert np.abs(plain - mirrored).max() > 2  # the two passes differ ...
    # ... and the option averages them (before clamping: compare where neither pass clipped)
    inside = ((plain > 0) & (plain < 255) & (mirrored > 0) & (mirrored < 255)).all(axis=2)
    assert inside.mean() > 0.5
    assert np.abs(both - (plain + mirrored) / 2)[inside].max() <= 1
