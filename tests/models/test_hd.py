"""High-resolution strategies: regions and crop boxes, padding, resizing, cancel, progress."""

from __future__ import annotations

import numpy as np
import pytest

from models import hd
from models.engine import Cancelled, CancelToken, Inpainter, InpaintOptions


class FakeInpainter(Inpainter):
    """Fills the hole with a constant; records the size of every crop it is given."""

    name = "fake"
    pad_multiple = 8

    def __init__(self, working_size=None, cancel_after=None, token=None):
        super().__init__()
        self.working_size = working_size
        self.calls = []
        self.cancel_after, self.token = cancel_after, token

    def _predict(self, image, hole):
        assert image.shape[0] % self.pad_multiple == 0 and image.shape[1] % 8 == 0
        assert hole.shape == image.shape[:2] and set(np.unique(hole)) <= {0, 255}
        self.calls.append(image.shape[:2])
        if self.cancel_after is not None and len(self.calls) >= self.cancel_after:
            self.token.cancel()
        out = image.copy()
        out[hole > 0] = (10, 200, 30)
        return out


def two_regions(h=48, w=64):
    mask = np.zeros((h, w), np.uint8)
    mask[5:10, 4:12] = 255  # top left
    mask[35:44, 50:60] = 255  # bottom right
    return mask


def test_crop_boxes_for_two_separated_regions():
    mask = two_regions()
    regions = hd.find_regions(mask, merge_distance=0).regions
    assert [r.box for r in regions] == [(4, 5, 12, 10), (50, 35, 60, 44)]
    boxes = hd.crop_boxes(mask, margin=3, merge_distance=0)
    assert boxes == [(1, 2, 15, 13), (47, 32, 63, 47)]


def test_margins_are_clipped_at_the_borders():
    boxes = hd.crop_boxes(two_regions(), margin=20, merge_distance=0)
    assert boxes == [(0, 0, 32, 30), (30, 15, 64, 48)]
    assert hd.grow_box((0, 0, 5, 5), 10, 8, 6) == (0, 0, 8, 6)


def test_nearby_strokes_and_overlapping_boxes_merge():
    mask = np.zeros((40, 60), np.uint8)
    mask[10:12, 5:20] = 255
    mask[15:17, 5:20] = 255  # 3 px below the first stroke: one region
    assert len(hd.find_regions(mask, merge_distance=8).regions) == 1
    assert len(hd.find_regions(mask, merge_distance=0).regions) == 2
    # An L-shape whose box contains a separate dot: boxes overlap, so one region.
    mask = np.zeros((40, 60), np.uint8)
    mask[5:35, 5:7] = 255
    mask[33:35, 5:50] = 255
    mask[15, 30] = 255
    regions = hd.find_regions(mask, merge_distance=0).regions
    assert len(regions) == 1 and len(regions[0].labels) == 2
    assert regions[0].box == (5, 5, 50, 35)


def test_empty_mask_has_no_regions():
    assert hd.find_regions(np.zeros((10, 10), np.uint8)).regions == []
    assert hd.mask_bbox(np.zeros((10, 10), np.uint8)) is None


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 1), (13, 7), (31, 33), (16, 24)])
@pytest.mark.parametrize("multiple", [1, 8, 32])
def test_pad_unpad_round_trip(shape, multiple):
    rng = np.random.default_rng(0)
    for array in (rng.integers(0, 256, shape + (3,), dtype=np.uint8),
                  rng.integers(0, 256, shape, dtype=np.uint8)):
        padded = hd.pad_to_multiple(array, multiple)
        assert padded.shape[0] % multiple == 0 and padded.shape[1] % multiple == 0
        assert padded.shape[0] - shape[0] < multiple and padded.shape[1] - shape[1] < multiple
        np.testing.assert_array_equal(hd.unpad(padded, *shape), array)


def test_pad_reflects():
    row = np.arange(5, dtype=np.uint8)[None, :].repeat(2, axis=0)
    padded = hd.pad_to_multiple(row, 8)
    assert list(padded[0]) == [0, 1, 2, 3, 4, 3, 2, 1]


def test_resize_round_trip_and_hole_cover():
    assert hd.fit_size(4240, 2832, 1280) == (1280, 855)
    assert hd.fit_size(100, 50, 1280) == (100, 50)
    image = np.full((40, 60, 3), 77, np.uint8)
    small = hd.resize_image(image, 30, 20)
    assert small.shape == (20, 30, 3)
    np.testing.assert_array_equal(hd.resize_image(small, 60, 40), image)
    hole = np.zeros((40, 60), np.uint8)
    hole[11, 13] = 255  # one pixel: still a hole after shrinking
    assert hd.resize_hole(hole, 30, 20).sum() > 0
    assert set(np.unique(hd.resize_hole(hole, 120, 80))) == {0, 255}


def test_crop_strategy_calls_the_model_once_per_region():
    image = np.full((48, 64, 3), 120, np.uint8)
    engine = FakeInpainter(working_size=16)  # no two crops fit in one 16 px call
    out = engine.inpaint(image, two_regions(), InpaintOptions(crop_margin=3))
    assert len(engine.calls) == 2
    assert engine.calls == [(16, 16), (16, 16)]  # 14x11 and 16x15 crops, padded to 8
    assert (out[two_regions() > 0] == (10, 200, 30)).all()
    assert (out[two_regions() == 0] == 120).all()


def test_nearby_regions_share_a_crop():
    image = np.full((48, 64, 3), 120, np.uint8)
    engine = FakeInpainter()
    out = engine.inpaint(image, two_regions(), InpaintOptions(crop_margin=3))
    assert engine.calls == [(48, 64)]  # one crop holding both regions and their margins
    assert (out[two_regions() > 0] == (10, 200, 30)).all()
    assert (out[two_regions() == 0] == 120).all()


def test_crop_is_resized_to_the_working_size():
    image = np.full((48, 64, 3), 120, np.uint8)
    engine = FakeInpainter(working_size=16)
    mask = np.zeros((48, 64), np.uint8)
    mask[10:40, 10:50] = 255
    out = engine.inpaint(image, mask, InpaintOptions(crop_margin=4))
    assert engine.calls == [(16, 16)]  # a 48x38 crop shrunk to 16x13, padded to 16x16
    # Upscaled back: the hole's inside is the fill, its rim a blend with the surroundings.
    assert (out[16:34, 16:44] == (10, 200, 30)).all()
    assert (out[mask == 0] == 120).all()


def test_resize_and_original_strategies():
    image = np.full((48, 64, 3), 120, np.uint8)
    mask = two_regions()
    engine = FakeInpainter()
    engine.inpaint(image, mask, InpaintOptions(hd_strategy="resize", resize_limit=32))
    assert engine.calls == [(24, 32)]
    engine.calls.clear()
    engine.inpaint(image, mask, InpaintOptions(hd_strategy="original"))
    assert engine.calls == [(48, 64)]


def test_cancel_stops_between_crops():
    mask = np.zeros((48, 128), np.uint8)
    for x in range(4, 120, 30):
        mask[20:24, x:x + 3] = 255  # four regions, further apart than hd.MERGE_DISTANCE
    assert len(hd.find_regions(mask).regions) == 4
    token = CancelToken()
    engine = FakeInpainter(working_size=16, cancel_after=2, token=token)
    with pytest.raises(Cancelled):
        engine.inpaint(np.zeros((48, 128, 3), np.uint8), mask, InpaintOptions(crop_margin=2),
                       cancel=token)
    assert len(engine.calls) == 2
    cancelled = CancelToken()
    cancelled.cancel()
    engine = FakeInpainter()
    with pytest.raises(Cancelled):
        engine.inpaint(np.zeros((48, 128, 3), np.uint8), mask, cancel=cancelled)
    assert engine.calls == []


def test_progress_is_reported():
    seen = []
    FakeInpainter(working_size=16).inpaint(np.zeros((48, 64, 3), np.uint8), two_regions(),
                                           InpaintOptions(crop_margin=2),
                            progress=lambda f, msg: seen.append((f, msg)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any("crop 2 of 2" in msg for _, msg in seen)


def test_bad_prediction_is_reported():
    class Broken(FakeInpainter):
        def _predict(self, image, hole):
            return image[:-1]

    with pytest.raises(RuntimeError, match="_predict returned"):
        Broken().inpaint(np.zeros((48, 64, 3), np.uint8), two_regions())


def scattered_dots(h, w, count, seed=0):
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    ys, xs = rng.integers(4, h - 4, count), rng.integers(4, w - 4, count)
    for y, x in zip(ys, xs):
        mask[y - 2:y + 3, x - 2:x + 3] = 255
    return mask


def clustered_dots(h, w, clusters, per_cluster, spread=60, seed=0):
    """Dust in patches: `clusters` spots of `per_cluster` 5 px dots within `spread` px."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    for cy, cx in zip(rng.integers(100, h - 100, clusters), rng.integers(100, w - 100, clusters)):
        for _ in range(per_cluster):
            y, x = cy + int(rng.integers(-spread, spread)), cx + int(rng.integers(-spread, spread))
            mask[y - 2:y + 3, x - 2:x + 3] = 255
    return mask


def test_a_small_region_gets_a_margin_in_proportion_to_its_size():
    assert hd.region_margin((0, 0, 5, 5), 128) == hd.MIN_MARGIN
    assert hd.region_margin((0, 0, 40, 10), 128) == 80
    assert hd.region_margin((0, 0, 300, 300), 128) == 128  # the user's margin
    assert hd.region_margin((0, 0, 5, 5), 8) == 8  # never more than asked for


def test_group_regions_keep_each_region_s_margin_inside_its_crop():
    h, w, margin = 1500, 2000, 64
    regions = hd.find_regions(clustered_dots(h, w, 15, 10, seed=1)).regions
    groups = hd.group_regions(regions, margin, 512, w, h)
    assert len(groups) < len(regions) / 4
    labels = sorted(label for group, _ in groups for label in group.labels)
    assert labels == sorted(label for reg in regions for label in reg.labels)
    for group, crop in groups:
        assert crop[2] - crop[0] <= 512 and crop[3] - crop[1] <= 512
        for reg in regions:
            if set(reg.labels) <= set(group.labels):
                gx0, gy0, gx1, gy1 = hd.grow_box(reg.box, hd.region_margin(reg.box, margin),
                                                 w, h)
                assert crop[0] <= gx0 and crop[1] <= gy0 and gx1 <= crop[2] and gy1 <= crop[3]
    # Two dots far apart do not drag the photo between them through one call.
    far = [hd.Region((10, 10, 15, 15), [1]), hd.Region((1500, 1400, 1505, 1405), [2])]
    assert len(hd.group_regions(far, margin, 4096, w, h)) == 2
    # A region larger than the limit stays alone (it is resized, as before).
    big = [hd.Region((0, 0, 900, 900), [1]), hd.Region((950, 0, 960, 10), [2])]
    assert len(hd.group_regions(big, margin, 512, w, h)) == 2


def test_hundreds_of_dots_take_few_model_calls():
    h, w = 3000, 4000  # 12 MP
    mask = clustered_dots(h, w, 40, 10, spread=120)
    regions = hd.find_regions(mask).regions
    assert len(regions) > 200  # dots nearer than the merge distance are one region already
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    engine = FakeInpainter(working_size=1024)
    out = engine.inpaint(image, mask)
    assert len(engine.calls) <= len(regions) // 4  # dots close together share a crop
    assert all(max(shape) <= 1024 for shape in engine.calls)
    # and the calls read far fewer pixels than a full-margin crop per dot would
    one_each = sum(hd._area(hd.grow_box(reg.box, 128, w, h)) for reg in regions)
    assert sum(a * b for a, b in engine.calls) < one_each / 4
    keep = mask == 0
    assert np.array_equal(out[keep], image[keep])  # bit-identical outside the mask
    assert (out[~keep] == (10, 200, 30)).all()  # every dot filled
