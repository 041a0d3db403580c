import numpy as np
import pytest
from PIL import Image

from trainer import data


def test_find_photos_recursive_and_filtered(photo_dir):
    found = data.find_photos(photo_dir)
    names = sorted(p.name for p in found)
    assert names == sorted(["p0.jpg", "p1.png", "p2.webp", "p3.tif", "p4.jpeg", "p5.png",
                            "broken.jpg"])


def test_unreadable_files_are_skipped_and_counted(photo_dir):
    photos = data.PhotoSet.load(photo_dir, max_side=64)
    assert len(photos) == 6
    assert [p.name for p, _ in photos.skipped] == ["broken.jpg"]
    for img in photos.images:
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
        assert max(img.shape[:2]) <= 64


def test_exif_orientation_applied(tmp_path):
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20] = 255  # left half white
    im = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    im.save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    out = data.load_photo(tmp_path / "rot.jpg")
    assert out.shape == (40, 20, 3)  # displayed upright: portrait
    assert out[:20].mean() > 200 and out[20:].mean() < 50  # white half is now on top


def test_gray_and_alpha_photos_become_rgb(tmp_path):
    Image.fromarray(np.full((10, 12), 90, np.uint8)).save(tmp_path / "g.png")
    Image.fromarray(np.zeros((10, 12, 4), np.uint8)).save(tmp_path / "a.png")
    g = data.load_photo(tmp_path / "g.png")
    a = data.load_photo(tmp_path / "a.png")
    assert g.shape == (10, 12, 3) and (g == 90).all()
    assert a.shape == (10, 12, 3) and (a == 255).all()  # transparent -> white


def test_split_is_stable_and_disjoint(photo_dir):
    photos = data.PhotoSet.load(photo_dir)
    train, val = photos.split(2)
    assert len(train) == 4 and len(val) == 2
    assert not set(train.paths) & set(val.paths)
    train2, val2 = data.PhotoSet.load(photo_dir).split(2)
    assert val.paths == val2.paths
    with pytest.raises(ValueError):
        photos.split(6)


def test_sampler_batches_are_reproducible(photo_dir):
    photos = data.PhotoSet.load(photo_dir)
    s1 = data.InpaintSampler(photos, crop=32, seed=4)
    s2 = data.InpaintSampler(photos, crop=32, seed=4)
    a_img, a_mask = s1.batch(3)
    b_img, b_mask = s2.batch(3)
    assert a_img.shape == (3, 32, 32, 3) and a_mask.shape == (3, 32, 32)
    assert np.array_equal(a_img, b_img) and np.array_equal(a_mask, b_mask)
    state = s1.state()
    c = s1.batch(2)
    s1.set_state(state)
    d = s1.batch(2)
    assert np.array_equal(c[0], d[0]) and np.array_equal(c[1], d[1])


def test_random_crop_upscales_small_photos():
    img = np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    out = data.random_crop(img, 64, np.random.default_rng(0))
    assert out.shape == (64, 64, 3)


def test_fixed_val_set_is_deterministic(photo_dir):
    photos = data.PhotoSet.load(photo_dir)
    a = data.fixed_val_set(photos, 32, per_photo=3)
    b = data.fixed_val_set(photos, 32, per_photo=3)
    assert a[0].shape == (18, 32, 32, 3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert (a[1].reshape(18, -1).max(1) == 255).all()  # every crop has a hole


def test_sampler_needs_photos():
    with pytest.raises(ValueError):
        data.InpaintSampler(data.PhotoSet(), crop=16)
