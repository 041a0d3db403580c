"""Object selection: the GrabCut selector from a box, from clicks, refined by clicks; the
request checks; the registry; the magic wand; the composites of the benchmark."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import models
from models.engine import Cancelled, CancelToken, Selector, check_box, get_selector
from models.select import GrabCutSelector, cut, magic_wand, select_from_clicks
from trainer.composites import Cutout, find_cutouts, paste

H, W = 120, 160


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 127, b > 127
    return float((a & b).sum() / max((a | b).sum(), 1))


def scene(h=H, w=W, seed=0):
    """A textured blue-green ground with a red-orange blob (the object) and its mask."""
    rng = np.random.default_rng(seed)
    ground = np.empty((h, w, 3), np.float32)
    ground[:] = (60, 130, 110)
    ground += rng.normal(0, 8, (h, w, 3))
    truth = np.zeros((h, w), np.uint8)
    cv2.ellipse(truth, (w // 2, h // 2), (w // 5, h // 4), 20, 0, 360, 255, -1)
    cv2.circle(truth, (w // 2 + w // 6, h // 2 - h // 6), h // 9, 255, -1)
    obj = np.empty((h, w, 3), np.float32)
    obj[:] = (210, 80, 40)
    obj += rng.normal(0, 8, (h, w, 3))
    image = np.where(truth[..., None] > 0, obj, ground)
    return np.clip(image, 0, 255).astype(np.uint8), truth


def box_of(mask, pad=4):
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    return (max(0, xs.min() - pad), max(0, ys.min() - pad), min(w, xs.max() + 1 + pad),
            min(h, ys.max() + 1 + pad))


@pytest.fixture(scope="module")
def selector():
    return get_selector("grabcut")


def test_grabcut_is_registered_and_the_default(selector):
    names = [info.name for info in models.selectors()]
    assert "grabcut" in names and names[0] == "grabcut"
    assert isinstance(selector, GrabCutSelector) and isinstance(selector, Selector)


def test_box_gives_the_object(selector):
    image, truth = scene()
    mask = selector.select(image, box=box_of(truth))
    assert mask.shape == truth.shape and mask.dtype == np.uint8
    assert set(np.unique(mask)) <= {0, 255}
    assert iou(mask, truth) > 0.9


def test_deterministic(selector):
    image, truth = scene(seed=3)
    a = selector.select(image, box=box_of(truth))
    b = selector.select(image, box=box_of(truth))
    np.testing.assert_array_equal(a, b)


def test_one_click_gives_the_object(selector):
    image, truth = scene(seed=1)
    d = cv2.distanceTransform((truth > 0).astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(np.argmax(d), d.shape)
    mask = selector.select(image, positive=[(float(x), float(y))])
    assert iou(mask, truth) > 0.85


def test_large_photo_crop_and_full_resolution_edge():
    """The working crop is shrunk (the 1200 px photo is worked on at 320 px) and the edge is
    decided again at the photo's resolution: it stays within a few pixels of the truth."""
    image, truth = scene(480, 640, seed=2)
    big = cv2.resize(image, (1280, 960), interpolation=cv2.INTER_NEAREST)
    big_truth = cv2.resize(truth, (1280, 960), interpolation=cv2.INTER_NEAREST)
    mask = cut(big, box_of(big_truth, 8))
    assert iou(mask, big_truth) > 0.95
    edge = cv2.morphologyEx(big_truth, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    wrong = (mask > 127) != (big_truth > 127)
    far = wrong & (cv2.distanceTransform((~edge).astype(np.uint8), cv2.DIST_L2, 5) > 4)
    assert far.sum() < 0.002 * big_truth.size


def test_negative_click_removes_an_attached_part(selector):
    """A box around the object and a gray handle sticking out of it: the box takes both, a
    negative click on the handle takes it away again."""
    image, truth = scene(seed=4)
    handle = np.zeros_like(truth)
    cv2.rectangle(handle, (30, 55), (52, 66), 255, -1)
    handle[truth > 0] = 0
    image[handle > 0] = (200, 200, 200)
    both = np.maximum(truth, handle)
    box = box_of(both)
    first = selector.select(image, box=box)
    assert (first[handle > 0] > 0).mean() > 0.8  # the box took the handle too
    refined = selector.select(image, box=box, negative=[(38, 60)], previous=first)
    assert (refined[handle > 0] > 0).mean() < 0.2
    assert iou(refined, truth) > 0.85


def test_positive_click_adds_a_part_the_box_missed(selector):
    """A second object, outside the drawn box: a positive click on it adds it."""
    image, truth = scene(seed=5)
    extra = np.zeros_like(truth)
    cv2.circle(extra, (18, 18), 10, 255, -1)
    noise = np.random.default_rng(1).normal(0, 8, image.shape)
    image[extra > 0] = np.clip(np.array((215, 85, 45)) + noise, 0, 255)[extra > 0]
    box = box_of(truth)
    first = selector.select(image, box=box)
    assert not (first[extra > 0] > 0).any()
    more = selector.select(image, box=box, positive=[(18, 18)], previous=first)
    assert (more[extra > 0] > 0).mean() > 0.8 and iou(more, np.maximum(truth, extra)) > 0.9


def test_clicks_on_a_previous_answer_refine_it(selector):
    image, truth = scene(seed=6)
    handle = np.zeros_like(truth)
    cv2.rectangle(handle, (30, 55), (52, 66), 255, -1)
    handle[truth > 0] = 0
    image[handle > 0] = (200, 200, 200)
    first = selector.select(image, box=box_of(np.maximum(truth, handle)))
    refined = select_from_clicks(image, [(80.0, 60.0)], [(38.0, 60.0)], previous=first)
    assert (refined[handle > 0] > 0).mean() < 0.2 and iou(refined, truth) > 0.85


def test_same_colours_retry_with_the_middle_as_object(selector):
    """A gray disc on gray ground (the benchmark's coin on gray grass): plain GrabCut from a
    tight crop gives up; the retry keeps the middle of the box."""
    rng = np.random.default_rng(0)
    gray = np.clip(rng.normal(128, 30, (H, W)), 0, 255)
    truth = np.zeros((H, W), np.uint8)
    cv2.circle(truth, (80, 60), 30, 255, -1)
    disc = np.clip(rng.normal(150, 35, (H, W)), 0, 255)
    g = np.where(truth > 0, disc, gray).astype(np.uint8)
    image = np.repeat(g[..., None], 3, axis=2)
    mask = selector.select(image, box=box_of(truth))
    assert (mask > 0).sum() > 0.05 * (truth > 0).sum()


@pytest.mark.parametrize("request_, message", [
    (dict(), "give a box or a click"),
    (dict(box=(200, 10, 300, 50)), "outside"),
    (dict(box=(-50, -50, -1, -1)), "outside"),
    (dict(box=(10, 10, 10.5, 50)), "empty"),
    (dict(box=(1, 2, 3)), "four numbers"),
    (dict(box=(0, 0, float("nan"), 5)), "not finite"),
    (dict(positive=[(500, 5)]), "outside"),
    (dict(box=(0, 0, 10, 10), negative=[(5, 500)]), "negative click"),
    (dict(box=(0, 0, 10, 10), previous=np.zeros((5, 5), np.uint8)), "previous mask"),
])
def test_bad_requests_are_value_errors(selector, request_, message):
    image, _ = scene()
    with pytest.raises(ValueError, match=message):
        selector.select(image, **request_)


def test_bad_image_and_cancel(selector):
    with pytest.raises(ValueError, match="H x W x 3"):
        selector.select(np.zeros((10, 10), np.uint8), box=(0, 0, 5, 5))
    token = CancelToken()
    token.cancel()
    image, truth = scene()
    with pytest.raises(Cancelled):
        selector.select(image, box=box_of(truth), cancel=token)


def test_check_box_orders_and_clips():
    assert check_box((50, 40, 10, 5), 100, 80) == (10, 5, 50, 40)
    assert check_box((-10, -10, 30.2, 20.7), 100, 80) == (0, 0, 31, 21)
    assert check_box((90, 70, 200, 200), 100, 80) == (90, 70, 100, 80)


def test_box_at_the_image_edge(selector):
    image, truth = scene()
    mask = selector.select(image, box=(0, 0, W, H))  # the whole image as the box
    assert mask.shape == (H, W) and iou(mask, truth) > 0.6


# --- magic wand -----------------------------------------------------------------------------


def wand_image():
    """Left half: a ramp of reds 100..160 with a blue bar through it; right half: a red
    patch of 130 cut off from the left by the blue bar."""
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, :, 2] = 30
    img[:, :40, 0] = np.linspace(100, 160, 40, dtype=np.uint8)[None, :]
    img[:, 40:44] = (0, 0, 255)  # the wall between left and right
    img[:, 44:, 0] = 130
    return img


def test_wand_tolerance_widens_the_selection():
    img = wand_image()
    sizes = [int((magic_wand(img, 20, 20, t) > 0).sum()) for t in (0, 5, 15, 40)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    exact = magic_wand(img, 20, 20, 0) > 0
    assert exact.any() and (img[exact][:, 0] == img[20, 20, 0]).all()


def test_wand_contiguous_stops_at_the_wall_and_global_does_not():
    img = wand_image()
    x = 20  # red 130 or so at column 20
    near = magic_wand(img, x, 10, 2, contiguous=True) > 0
    everywhere = magic_wand(img, x, 10, 2, contiguous=False) > 0
    assert not near[:, 44:].any()
    assert everywhere[:, 44:].all()
    assert (near <= everywhere).all()
    m = magic_wand(img, x, 10, 2)
    assert m.dtype == np.uint8 and m.shape == img.shape[:2] and set(np.unique(m)) <= {0, 255}


def test_wand_bad_input():
    img = wand_image()
    with pytest.raises(ValueError, match="outside"):
        magic_wand(img, 80, 0, 10)
    with pytest.raises(ValueError, match="tolerance"):
        magic_wand(img, 0, 0, 300)


# --- composites (trainer/composites.py, the benchmark's pictures) ---------------------------


def plain_photo(seed=0):
    """A dark plain ground with two bright objects well inside the frame."""
    rng = np.random.default_rng(seed)
    img = np.clip(rng.normal(20, 2, (200, 260, 3)), 0, 255)
    cv2.circle(img, (80, 100), 35, (220, 150, 40), -1)
    cv2.ellipse(img, (190, 90), (40, 25), 30, 0, 360, (40, 200, 220), -1)
    return img.astype(np.uint8)


def test_find_cutouts_on_a_plain_ground_and_none_on_a_busy_photo():
    cuts = find_cutouts(plain_photo(), "plain.png")
    assert len(cuts) == 2
    for c in cuts:
        assert c.rgb.shape[:2] == c.alpha.shape and c.area > 1000
        assert c.alpha[0].max() == 0 and c.alpha[:, 0].max() == 0  # a margin around it
    busy = np.random.default_rng(0).integers(0, 256, (200, 260, 3), dtype=np.uint8)
    assert find_cutouts(busy, "busy.png") == []


def test_paste_makes_an_exact_mask_and_is_seeded():
    cut_out = find_cutouts(plain_photo(), "plain.png")[0]
    ground = np.full((180, 240, 3), (90, 120, 60), np.uint8)
    a = paste(ground, cut_out, np.random.default_rng(7))
    b = paste(ground, cut_out, np.random.default_rng(7))
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    x0, y0, x1, y1 = a.box
    ys, xs = np.nonzero(a.mask)
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1, y1)
    # outside the object (and its 1 px soft rim) the ground is untouched
    rim = cv2.dilate(a.mask, np.ones((5, 5), np.uint8)) > 0
    assert (a.image[~rim] == ground[~rim]).all()
    assert 0.02 * ground.shape[0] * ground.shape[1] * 0.5 < (a.mask > 0).sum()
    assert isinstance(cut_out, Cutout)
