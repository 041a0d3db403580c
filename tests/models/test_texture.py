"""Texture synthesis for large holes (models/texture.py): what it may change and what it adds."""

import numpy as np
import pytest

from models import texture


def textured_photo(h=96, w=96, seed=0):
    """Fine stripes plus grain: a texture whose blur (the scale patches are matched at) is a
    flat gray, as a blob fill is."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 128 + 60 * np.sin(xx / 0.8) + rng.normal(0, 12, (h, w))
    img = np.repeat(base[..., None], 3, axis=2)
    img[..., 0] += 20
    return np.clip(img, 0, 255).astype(np.uint8)


def square_hole(h=96, w=96, side=40):
    hole = np.zeros((h, w), np.uint8)
    y0, x0 = (h - side) // 2, (w - side) // 2
    hole[y0:y0 + side, x0:x0 + side] = 255
    return hole


def flat_fill(image, hole):
    """A blurred-blob fill: the mean colour of the known pixels."""
    coarse = image.copy()
    coarse[hole > 0] = image[hole == 0].mean(axis=0).round().astype(np.uint8)
    return coarse


def gradient(image):
    gray = image.astype(np.float64).mean(axis=2)
    gy, gx = np.gradient(gray)
    return np.hypot(gx, gy)


def test_pixels_outside_the_hole_are_bit_identical():
    image, hole = textured_photo(), square_hole()
    coarse = flat_fill(image, hole)
    coarse[hole == 0] = 0  # whatever the coarse fill says outside the hole is ignored
    out = texture.synthesize(image, hole, coarse)
    assert out.dtype == np.uint8 and out.shape == image.shape
    np.testing.assert_array_equal(out[hole == 0], image[hole == 0])


def test_a_blob_fill_gets_the_texture_of_its_surroundings():
    image, hole = textured_photo(), square_hole()
    coarse = flat_fill(image, hole)
    out = texture.synthesize(image, hole, coarse)
    inner = square_hole(side=28) > 0  # away from the fade at the edge
    truth_detail = gradient(image)[inner].mean()
    assert gradient(coarse)[inner].mean() < 0.1 * truth_detail
    assert gradient(out)[inner].mean() > 0.6 * truth_detail
    # the copied pixels are the photo's own values, not noise
    known_values = {tuple(v) for v in image[hole == 0]}
    copied = out[inner]
    assert np.mean([tuple(v) in known_values for v in copied]) > 0.9


def test_thin_holes_keep_the_coarse_fill():
    image = textured_photo()
    hole = np.zeros((96, 96), np.uint8)
    hole[40:43, :] = 255  # a 3 px scratch: no pixel is deep enough for texture
    coarse = flat_fill(image, hole)
    np.testing.assert_array_equal(texture.synthesize(image, hole, coarse), coarse)


def test_the_edge_of_a_large_hole_keeps_the_coarse_fill():
    image, hole = textured_photo(), square_hole()
    coarse = flat_fill(image, hole)
    out = texture.synthesize(image, hole, coarse)
    weight = texture.detail_weight(hole > 0)
    edge = (hole > 0) & (weight == 0)
    assert edge.any()
    np.testing.assert_array_equal(out[edge], coarse[edge])


def test_the_same_input_gives_the_same_fill():
    image, hole = textured_photo(), square_hole()
    coarse = flat_fill(image, hole)
    a = texture.synthesize(image, hole, coarse)
    b = texture.synthesize(image.copy(), hole.copy(), coarse.copy())
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("side", [96, 92])
def test_no_known_patch_leaves_the_coarse_fill(side):
    image = textured_photo()
    hole = square_hole(side=side)  # nothing (or only a thin frame) stays known
    coarse = flat_fill(image, hole) if side < 96 else np.full_like(image, 77)
    out = texture.synthesize(image, hole, coarse)
    np.testing.assert_array_equal(out[hole > 0], coarse[hole > 0])


def test_the_bundled_default_erases_with_texture():
    import models

    engine = models.get_inpainter("ffc-inpaint", device="cpu")
    assert engine.texture  # the card turns the step on
    image, hole = textured_photo(128, 128), square_hole(128, 128, side=48)
    with_texture = engine.inpaint(image, hole)
    engine.texture = False
    without = engine.inpaint(image, hole)
    np.testing.assert_array_equal(with_texture[hole == 0], image[hole == 0])
    inner = square_hole(128, 128, side=32) > 0
    assert gradient(with_texture)[inner].mean() > 1.5 * gradient(without)[inner].mean()


def test_a_fine_tune_of_the_default_net_inherits_texture_and_thin_scale(tmp_path):
    """Cards the trainer writes carry no engine options: the architecture's defaults apply."""
    import json
    import shutil

    from models.learned import LearnedInpainter, bundled_folder

    card = json.loads((bundled_folder() / "ffc-inpaint.json").read_text())
    for key in ("texture", "thin_scale"):
        card.pop(key, None)
    shutil.copy(bundled_folder() / "ffc-inpaint.safetensors", tmp_path / "mine.safetensors")
    (tmp_path / "mine.json").write_text(json.dumps(card))
    engine = LearnedInpainter(tmp_path / "mine.safetensors", device="cpu")
    assert engine.texture and engine.thin_scale == 1.75
    card["texture"] = False
    assert not LearnedInpainter(tmp_path / "mine.safetensors", card, device="cpu").texture
