"""Thin parts of a hole: found by their width, filled by the learned net from an enlarged crop."""

import numpy as np

import models
from models import hd


def test_thin_parts_are_the_narrow_components():
    hole = np.zeros((80, 80), np.uint8)
    hole[10:13, 5:75] = 255  # a 3 px scratch
    hole[40:70, 40:70] = 255  # a 30 px square
    thin = hd.thin_parts(hole)
    assert thin[11, 30] and thin[10:13, 5:75].all()
    assert not thin[40:70, 40:70].any()
    assert not thin[hole == 0].any()
    assert not hd.thin_parts(np.zeros((5, 5), np.uint8)).any()


def test_a_line_touching_a_blob_belongs_to_the_blob():
    hole = np.zeros((60, 60), np.uint8)
    hole[20:50, 20:50] = 255
    hole[35:37, 0:20] = 255  # connected to the square: one part, not thin
    assert not hd.thin_parts(hole).any()


def engine_with_spy(monkeypatch):
    engine = models.get_inpainter("ffc-inpaint", device="cpu")
    engine.texture = False
    sizes = []
    original = engine._net_fill

    def spy(image, hole):
        sizes.append(hole.shape)
        return original(image, hole)

    monkeypatch.setattr(engine, "_net_fill", spy)
    return engine, sizes


def picture(h=64, w=96):
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([xx * 2, yy * 3, (xx + yy)], axis=2)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_scratches_only_are_filled_in_one_enlarged_pass(monkeypatch):
    engine, sizes = engine_with_spy(monkeypatch)
    assert engine.thin_scale > 1  # the bundled card turns it on
    image = picture()
    hole = np.zeros(image.shape[:2], np.uint8)
    hole[30:32, 4:90] = 255
    out = engine.inpaint(image, hole, models.InpaintOptions(crop_margin=1000))
    assert len(sizes) == 1 and sizes[0][0] > image.shape[0]
    np.testing.assert_array_equal(out[hole == 0], image[hole == 0])


def test_a_mixed_hole_takes_each_part_from_its_own_pass(monkeypatch):
    engine, sizes = engine_with_spy(monkeypatch)
    image = picture()
    hole = np.zeros(image.shape[:2], np.uint8)
    hole[5:7, 4:90] = 255
    hole[30:60, 30:60] = 255
    out = engine.inpaint(image, hole, models.InpaintOptions(crop_margin=1000))
    assert len(sizes) == 2 and sizes[0][0] > sizes[1][0]  # enlarged, then native
    np.testing.assert_array_equal(out[hole == 0], image[hole == 0])


def test_without_the_card_option_one_native_pass(monkeypatch):
    engine, sizes = engine_with_spy(monkeypatch)
    engine.thin_scale = 1.0
    image = picture()
    hole = np.zeros(image.shape[:2], np.uint8)
    hole[30:32, 4:90] = 255
    engine.inpaint(image, hole, models.InpaintOptions(crop_margin=1000))
    assert len(sizes) == 1 and sizes[0][0] <= 64


def blend_case():
    image = picture()
    hole = np.zeros(image.shape[:2], np.uint8)
    hole[5:7, 4:90] = 255  # a scratch: mixed with FSR
    hole[24:60, 30:66] = 255  # an object-sized square: the net (and texture) alone
    return image, hole


def test_narrow_parts_mix_the_net_and_fsr_and_object_parts_keep_the_net():
    from models.classical_inpaint import FSRInpainter

    engine = models.get_inpainter("ffc-inpaint", device="cpu")
    assert engine.fsr_blend == 0.5  # the architecture's default
    image, hole = blend_case()
    options = models.InpaintOptions(crop_margin=1000)
    mixed = engine.inpaint(image, hole, options)
    engine.fsr_blend = 0.0
    net = engine.inpaint(image, hole, options)
    np.testing.assert_array_equal(mixed[hole == 0], image[hole == 0])
    square = np.zeros_like(hole, bool)
    square[24:60, 30:66] = True
    np.testing.assert_array_equal(mixed[square], net[square])
    scratch = (hole > 0) & ~square
    fsr = FSRInpainter().inpaint(net, scratch.astype(np.uint8) * 255,
                                 models.InpaintOptions(hd_strategy="original"))
    expected = np.round(0.5 * net.astype(np.float32) + 0.5 * fsr.astype(np.float32))
    assert np.abs(mixed[scratch].astype(np.float32) - expected[scratch]).max() <= 1
    assert not np.array_equal(mixed[scratch], net[scratch])


def test_cancel_reaches_the_fsr_part(monkeypatch):
    import pytest

    from models.classical_inpaint import FSRInpainter

    engine = models.get_inpainter("ffc-inpaint", device="cpu")
    image, hole = blend_case()
    token = models.CancelToken()
    calls = []
    original = FSRInpainter._predict

    def cancel_on_first_fsr_call(self, img, h):
        calls.append(1)
        token.cancel()
        return original(self, img, h)

    monkeypatch.setattr(FSRInpainter, "_predict", cancel_on_first_fsr_call)
    with pytest.raises(models.Cancelled):
        engine.inpaint(image, hole, models.InpaintOptions(crop_margin=1000), cancel=token)
    assert calls == [1]  # stopped between FSR's calls, not after the whole fill
