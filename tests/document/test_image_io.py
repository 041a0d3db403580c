"""Image file I/O: decoding every mode to RGB, refusing bad files with one-line errors,
atomic saves, and export that never overwrites the original photo."""

from __future__ import annotations

import errno
import functools
import io
import os
import struct
import sys
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageFile

from inpaint_desktop.document import Document, Layer
from inpaint_desktop.document.image_io import (
    IMAGE_EXTENSIONS,
    MAX_PIXELS,
    OPEN_FILTER,
    ImageFileError,
    LoadedImage,
    export_document,
    load_image,
    save_image,
)

W, H = 40, 30


def photo(w: int = W, h: int = H, seed: int = 0) -> np.ndarray:
    """A smooth picture with some texture: survives lossy formats recognisably."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([xx * 255 // max(1, w - 1), yy * 255 // max(1, h - 1),
                    np.full((h, w), 120)], axis=-1).astype(np.int16)
    img += rng.integers(-8, 9, img.shape, dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


@functools.cache
def srgb_icc() -> bytes:
    """One profile for the whole module: its header holds its creation time."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def assert_one_line_error(excinfo: pytest.ExceptionInfo, name: str, *words: str) -> None:
    text = str(excinfo.value)
    assert "\n" not in text
    assert name in text, text
    for w in words:
        assert w in text.lower(), text


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if Pillow starts decoding pixels."""
    def refuse(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# --- the constants -------------------------------------------------------------------------

def test_constants():
    assert MAX_PIXELS == 200_000_000
    assert ".jpg" in IMAGE_EXTENSIONS and ".webp" in IMAGE_EXTENSIONS
    assert OPEN_FILTER.startswith("Images (")
    for ext in IMAGE_EXTENSIONS:
        assert f"*{ext}" in OPEN_FILTER and f"*{ext.upper()}" in OPEN_FILTER


# --- round trips ---------------------------------------------------------------------------

@pytest.mark.parametrize("ext, fmt, tolerance", [
    (".png", "PNG", 0), (".bmp", "BMP", 0), (".tif", "TIFF", 0), (".tiff", "TIFF", 0),
    (".jpg", "JPEG", 6), (".jpeg", "JPEG", 6), (".webp", "WEBP", 12),
])
def test_save_load_round_trip(tmp_path, ext, fmt, tolerance):
    img = photo()
    path = tmp_path / f"picture{ext}"
    save_image(img, path)
    loaded = load_image(path)
    assert isinstance(loaded, LoadedImage)
    assert loaded.format == fmt
    assert loaded.notes == []
    px = loaded.pixels
    assert px.shape == (H, W, 3) and px.dtype == np.uint8
    assert px.flags.c_contiguous and px.flags.writeable
    assert np.abs(px.astype(int) - img).mean() <= tolerance
    assert sorted(os.listdir(tmp_path)) == [f"picture{ext}"]  # no temp file left behind


def test_load_accepts_upper_case_extension_and_pathlike(tmp_path):
    path = tmp_path / "IMG_0001.JPG"
    Image.fromarray(photo()).save(path, "JPEG")
    assert load_image(str(path)).pixels.shape == (H, W, 3)
    assert load_image(path).format == "JPEG"


def test_save_gray_array_writes_a_gray_file(tmp_path):
    mask = np.zeros((H, W), np.uint8)
    mask[5:10, 5:20] = 255
    save_image(mask, tmp_path / "mask.png")
    with Image.open(tmp_path / "mask.png") as im:
        assert im.mode == "L"
        assert np.array_equal(np.asarray(im), mask)


def test_save_rejects_bad_arrays_and_quality(tmp_path):
    with pytest.raises(ValueError):
        save_image(np.zeros((H, W, 3), np.float32), tmp_path / "a.png")
    with pytest.raises(ValueError):
        save_image(np.zeros((H, W, 4), np.uint8), tmp_path / "a.png")
    with pytest.raises(ValueError):
        save_image(photo(), tmp_path / "a.jpg", quality=0)


# --- EXIF and colour profiles -------------------------------------------------------------------

def exif_with_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    exif[0x010F] = "TestCam"  # Make, to check that the rest survives
    return exif.tobytes()


def read_exif(data: bytes) -> Image.Exif:
    exif = Image.Exif()
    exif.load(data)
    return exif


@pytest.mark.parametrize("ext", [".jpg", ".png"])
def test_exif_orientation_6_is_applied_and_reset(tmp_path, ext):
    img = np.zeros((H, W, 3), np.uint8)
    img[: H // 2] = (255, 0, 0)  # top half red, bottom half blue (as stored)
    img[H // 2:] = (0, 0, 255)
    path = tmp_path / f"rotated{ext}"
    Image.fromarray(img).save(path, exif=exif_with_orientation(6))

    loaded = load_image(path)
    # Orientation 6: the camera was turned; the stored picture is shown turned 90° clockwise,
    # so the stored top (red) ends up on the right.
    assert loaded.pixels.shape == (W, H, 3)
    right, left = loaded.pixels[W // 2, H - 3], loaded.pixels[W // 2, 2]
    assert right[0] > 200 and right[2] < 60
    assert left[2] > 200 and left[0] < 60
    assert any("orientation" in n for n in loaded.notes)
    assert loaded.exif is not None and loaded.exif.startswith(b"Exif\x00\x00")
    exif = read_exif(loaded.exif)
    assert exif[0x0112] == 1 and exif[0x010F] == "TestCam"

    # Saved with its EXIF and loaded again: upright already, not turned a second time.
    again = tmp_path / f"again{ext}"
    save_image(loaded.pixels, again, exif=loaded.exif)
    reloaded = load_image(again)
    assert reloaded.pixels.shape == (W, H, 3)
    assert not any("orientation" in n for n in reloaded.notes)
    assert read_exif(reloaded.exif)[0x010F] == "TestCam"


def test_exif_kept_when_orientation_is_normal(tmp_path):
    path = tmp_path / "plain.jpg"
    Image.fromarray(photo()).save(path, exif=exif_with_orientation(1))
    loaded = load_image(path)
    assert loaded.notes == []
    assert read_exif(loaded.exif)[0x010F] == "TestCam"


@pytest.mark.parametrize("ext", [".jpg", ".png", ".tif", ".webp"])
def test_icc_profile_survives_load_save_load(tmp_path, ext):
    icc = srgb_icc()
    src = tmp_path / "with_profile.png"
    Image.fromarray(photo()).save(src, icc_profile=icc)
    loaded = load_image(src)
    assert loaded.icc_profile == icc

    out = tmp_path / f"out{ext}"
    save_image(loaded.pixels, out, icc_profile=loaded.icc_profile)
    assert load_image(out).icc_profile == icc


def test_gray_profile_is_not_attached_to_rgb_pixels(tmp_path):
    gray_icc = b"\x00" * 10  # unreadable; a grayscale image drops its profile either way
    path = tmp_path / "scan.png"
    Image.fromarray(photo()[..., 0]).save(path, icc_profile=gray_icc)
    assert load_image(path).icc_profile is None


# --- modes converted to RGB ----------------------------------------------------------------

def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 257, 32768, 65535]], np.uint16).repeat(3, axis=0)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    with Image.open(path) as im:
        assert im.mode.startswith("I;16")
    loaded = load_image(path)
    assert loaded.pixels.shape == (3, 4, 3)
    assert loaded.pixels[0, :, 0].tolist() == [0, 1, 128, 255]
    assert np.array_equal(loaded.pixels[..., 0], loaded.pixels[..., 2])
    assert any("16-bit" in n for n in loaded.notes)


def test_32_bit_integer_and_float_tiffs(tmp_path):
    ints = np.array([[0, 1000, 65535]], np.int32)
    Image.fromarray(ints).save(tmp_path / "int.tif")
    loaded = load_image(tmp_path / "int.tif")
    assert loaded.pixels[0, :, 1].tolist() == [0, 4, 255]
    assert any("32-bit" in n for n in loaded.notes)

    floats = np.array([[0.0, 0.5, 1.0]], np.float32)
    Image.fromarray(floats).save(tmp_path / "float.tif")
    loaded = load_image(tmp_path / "float.tif")
    assert loaded.pixels[0, :, 0].tolist() == [0, 128, 255]
    assert any("floating-point" in n for n in loaded.notes)


def cmyk_image() -> Image.Image:
    cmyk = np.zeros((H, W, 4), np.uint8)  # white paper
    cmyk[:, W // 2:, 0] = 255  # right half pure cyan ink
    return Image.fromarray(cmyk, "CMYK")


def test_cmyk_jpeg(tmp_path):
    path = tmp_path / "print.jpg"
    cmyk_image().save(path, quality=95)
    loaded = load_image(path)
    px = loaded.pixels.astype(int)
    assert loaded.pixels.shape == (H, W, 3)
    assert (px[H // 2, 3] > 235).all()  # white
    r, g, b = px[H // 2, W - 4]
    assert r < 40 and g > 200 and b > 200  # cyan
    assert any("CMYK" in n for n in loaded.notes)
    assert loaded.icc_profile is None


def test_cmyk_with_unusable_profile_falls_back(tmp_path):
    path = tmp_path / "print.jpg"
    cmyk_image().save(path, quality=95, icc_profile=b"not a profile" * 20)
    loaded = load_image(path)
    assert loaded.pixels[H // 2, W - 4, 0] < 40
    assert any("CMYK" in n and "profile" in n for n in loaded.notes)
    assert loaded.icc_profile is None


def test_palette_png(tmp_path):
    img = np.zeros((H, W, 3), np.uint8)
    img[:, : W // 2] = (200, 30, 40)
    img[:, W // 2:] = (10, 220, 90)
    pal = Image.fromarray(img).quantize(colors=4)
    assert pal.mode == "P"
    pal.save(tmp_path / "pal.png")
    loaded = load_image(tmp_path / "pal.png")
    assert np.array_equal(loaded.pixels, img)
    assert any("palette" in n for n in loaded.notes)


def test_rgba_png_is_composited_on_white(tmp_path):
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[..., :3] = (0, 0, 0)
    rgba[:, :10, 3] = 0  # fully transparent: white
    rgba[:, 10:20, 3] = 128  # half: mid gray
    rgba[:, 20:, 3] = 255  # opaque black
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cut_out.png")
    loaded = load_image(tmp_path / "cut_out.png")
    assert loaded.pixels.shape == (H, W, 3)
    assert (loaded.pixels[:, :10] == 255).all()
    assert (loaded.pixels[:, 10:20] == 127).all()
    assert (loaded.pixels[:, 20:] == 0).all()
    assert any("white" in n for n in loaded.notes)


def test_opaque_rgba_has_no_note(tmp_path):
    rgba = np.dstack([photo(), np.full((H, W), 255, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "opaque.png")
    loaded = load_image(tmp_path / "opaque.png")
    assert np.array_equal(loaded.pixels, photo())
    assert loaded.notes == []


def test_gray_with_alpha(tmp_path):
    la = np.zeros((H, W, 2), np.uint8)
    la[..., 0] = 50
    la[:, W // 2:, 1] = 255
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    loaded = load_image(tmp_path / "la.png")
    assert (loaded.pixels[:, : W // 2] == 255).all()
    assert (loaded.pixels[:, W // 2:] == 50).all()


def test_grayscale_becomes_rgb_quietly(tmp_path):
    gray = photo()[..., 0]
    Image.fromarray(gray).save(tmp_path / "scan.png")
    loaded = load_image(tmp_path / "scan.png")
    assert loaded.pixels.shape == (H, W, 3)
    for c in range(3):
        assert np.array_equal(loaded.pixels[..., c], gray)
    assert loaded.notes == ["grayscale image"]


def test_one_bit_image(tmp_path):
    bits = np.zeros((H, W), bool)
    bits[:, ::2] = True
    Image.fromarray(bits).save(tmp_path / "bits.bmp")
    loaded = load_image(tmp_path / "bits.bmp")
    assert loaded.pixels[0, :4, 0].tolist() == [255, 0, 255, 0]
    assert any("1-bit" in n for n in loaded.notes)


def test_multi_page_tiff_opens_the_first_page(tmp_path):
    first, second = Image.fromarray(photo()), Image.fromarray(photo(seed=1))
    first.save(tmp_path / "pages.tif", save_all=True, append_images=[second])
    loaded = load_image(tmp_path / "pages.tif")
    assert np.array_equal(loaded.pixels, photo())
    assert any("2 pages" in n for n in loaded.notes)


# --- files that cannot be opened ----------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(ImageFileError) as e:
        load_image(tmp_path / "nowhere.jpg")
    assert_one_line_error(e, "nowhere.jpg", "does not exist")
    assert e.value.path == str(tmp_path / "nowhere.jpg")


def test_directory(tmp_path):
    (tmp_path / "album.jpg").mkdir()
    with pytest.raises(ImageFileError) as e:
        load_image(tmp_path / "album.jpg")
    assert_one_line_error(e, "album.jpg", "folder")


def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageFileError) as e:
        load_image(tmp_path / "empty.png")
    assert_one_line_error(e, "empty.png", "empty")


def test_text_file_named_jpg(tmp_path):
    (tmp_path / "notes.jpg").write_text("this is not a photo\n" * 5)
    with pytest.raises(ImageFileError) as e:
        load_image(tmp_path / "notes.jpg")
    assert_one_line_error(e, "notes.jpg", "not an image")


def test_formats_outside_the_list_are_refused(tmp_path):
    Image.fromarray(photo()).save(tmp_path / "anim.gif")
    with pytest.raises(ImageFileError) as e:
        load_image(tmp_path / "anim.gif")
    assert_one_line_error(e, "anim.gif", "not an image")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="needs POSIX permissions and a non-root user")
def test_permission_denied(tmp_path):
    path = tmp_path / "private.png"
    save_image(photo(), path)
    path.chmod(0)
    try:
        with pytest.raises(ImageFileError) as e:
            load_image(path)
        assert_one_line_error(e, "private.png", "permission denied")
    finally:
        path.chmod(0o644)


def test_truncated_jpeg(tmp_path):
    whole = io.BytesIO()
    Image.fromarray(photo(seed=3)).save(whole, "JPEG", quality=95)
    data = whole.getvalue()
    (tmp_path / "holiday.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageFileError) as e:
        load_image(tmp_path / "holiday.jpg")
    assert_one_line_error(e, "holiday.jpg", "truncated")
    assert not isinstance(e.value.__cause__, ImageFileError)


def test_corrupt_png_data(tmp_path):
    whole = io.BytesIO()
    Image.fromarray(photo()).save(whole, "PNG")
    data = bytearray(whole.getvalue())
    idat = data.index(b"IDAT")
    data[idat + 10: idat + 40] = b"\xff" * 30  # garbage in the compressed stream
    (tmp_path / "broken.png").write_bytes(bytes(data))
    with pytest.raises(ImageFileError) as e:
        load_image(tmp_path / "broken.png")
    assert_one_line_error(e, "broken.png")


def test_too_many_pixels_is_refused_from_the_header(tmp_path, no_decoding):
    Image.fromarray(photo()).save(tmp_path / "big.png")
    with pytest.raises(ImageFileError) as e:
        load_image(tmp_path / "big.png", max_pixels=1000)
    assert_one_line_error(e, "big.png", "too large", "0.0012 megapixels", "0.001 megapixels")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def test_decompression_bomb_header_fails_fast(tmp_path, no_decoding):
    """A 100-byte PNG that claims 30000 x 30000 pixels (2.7 GB as RGB)."""
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    data = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))
    path = tmp_path / "bomb.png"
    path.write_bytes(data)
    for limit, shown in ((MAX_PIXELS, "200.0"), (1000, "0.001"),
                         (10**12, "400.0")):  # Pillow's own hard limit still holds
        with pytest.raises(ImageFileError) as e:
            load_image(path, max_pixels=limit)
        assert_one_line_error(e, "bomb.png", "too large", "900.0 megapixels",
                              f"limit is {shown} megapixels")


# --- saving ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["picture.xyz", "picture"])
def test_save_unknown_extension(tmp_path, name):
    with pytest.raises(ImageFileError) as e:
        save_image(photo(), tmp_path / name)
    assert_one_line_error(e, name)
    assert os.listdir(tmp_path) == []


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(ImageFileError) as e:
        save_image(photo(), tmp_path / "no" / "such" / "out.png")
    assert_one_line_error(e, "out.png", "folder does not exist")


def test_save_over_a_folder(tmp_path):
    (tmp_path / "out.png").mkdir()
    with pytest.raises(ImageFileError) as e:
        save_image(photo(), tmp_path / "out.png")
    assert_one_line_error(e, "out.png", "folder")


def test_disk_full_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "result.png"
    save_image(photo(seed=1), target)
    before = target.read_bytes()
    opened = []

    def failing_save(self, fp, *args, **kwargs):
        opened.append(getattr(fp, "name", fp))
        fp.write(b"\x89PNG partial data")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(ImageFileError) as e:
        save_image(photo(seed=2), target)
    assert_one_line_error(e, "result.png", "the disk is full")
    assert str(e.value) == "cannot save result.png: the disk is full"
    assert opened and opened[0] != str(target)  # the write went to a temporary file
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["result.png"]


def test_failure_after_writing_also_cleans_up(tmp_path, monkeypatch):
    import inpaint_desktop.document.image_io as image_io

    def no_fsync(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(image_io.os, "fsync", no_fsync)
    with pytest.raises(ImageFileError) as e:
        save_image(photo(), tmp_path / "out.jpg")
    assert_one_line_error(e, "out.jpg", "input/output error")
    assert os.listdir(tmp_path) == []


def test_overwrite_replaces_content_and_keeps_permissions(tmp_path):
    target = tmp_path / "out.png"
    save_image(photo(seed=1), target)
    if sys.platform != "win32":
        target.chmod(0o600)
    save_image(photo(seed=2), target)
    assert np.array_equal(load_image(target).pixels, photo(seed=2))
    if sys.platform != "win32":
        assert target.stat().st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path) == ["out.png"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_new_file_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        save_image(photo(), tmp_path / "new.png")
    finally:
        os.umask(old)
    assert (tmp_path / "new.png").stat().st_mode & 0o777 == 0o644


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32",
                    reason="needs symlinks")
def test_saving_through_a_symlink_keeps_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "photo.png"
    save_image(photo(seed=1), target)
    link = tmp_path / "link.png"
    os.symlink(target, link)
    save_image(photo(seed=2), link)
    assert link.is_symlink()
    assert np.array_equal(load_image(target).pixels, photo(seed=2))
    assert sorted(os.listdir(tmp_path / "real")) == ["photo.png"]


def test_jpeg_quality_changes_the_size(tmp_path):
    img = photo(80, 60, seed=5)
    save_image(img, tmp_path / "low.jpg", quality=30)
    save_image(img, tmp_path / "high.jpg", quality=95)
    assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size


def test_webp_size_limit(tmp_path):
    with pytest.raises(ImageFileError) as e:
        save_image(np.zeros((1, 16_384, 3), np.uint8), tmp_path / "wide.webp")
    assert_one_line_error(e, "wide.webp", "16383")


# --- export ------------------------------------------------------------------------------

def make_doc(source: os.PathLike | None = None, icc: bytes | None = None) -> Document:
    doc = Document.from_image(photo(), source_path=None if source is None else str(source),
                              icc_profile=icc)
    patch = np.zeros((10, 10, 3), np.uint8)
    doc.layers.append(Layer(name="fill", pixels=patch, x=5, y=5))
    return doc


def test_export_flattens_with_the_profile(tmp_path):
    source = tmp_path / "original.png"
    save_image(photo(), source)
    doc = make_doc(source, icc=srgb_icc())
    export_document(doc, tmp_path / "edited.png")
    loaded = load_image(tmp_path / "edited.png")
    assert np.array_equal(loaded.pixels, doc.composite())
    assert (loaded.pixels[5:15, 5:15] == 0).all()
    assert loaded.icc_profile == srgb_icc()


def test_export_refuses_the_source_file(tmp_path):
    source = tmp_path / "original.jpg"
    save_image(photo(), source)
    before = source.read_bytes()
    doc = make_doc(source)
    for spelling in (source, tmp_path / "." / "original.jpg", str(source)):
        with pytest.raises(ImageFileError) as e:
            export_document(doc, spelling)
        assert_one_line_error(e, "original.jpg", "original")
    if hasattr(os, "symlink"):
        link = tmp_path / "link.jpg"
        os.symlink(source, link)
        with pytest.raises(ImageFileError):
            export_document(doc, link)
    assert source.read_bytes() == before
    export_document(doc, tmp_path / "original-edited.jpg")  # another name is fine


def test_export_quality_changes_the_size(tmp_path):
    doc = Document.from_image(photo(80, 60, seed=4))
    export_document(doc, tmp_path / "low.jpg", quality=30)
    export_document(doc, tmp_path / "high.jpg", quality=95)
    assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size


def test_load_mask_reads_gray_levels_and_treats_transparency_as_keep(tmp_path):
    from inpaint_desktop.document.image_io import load_mask

    gray = np.zeros((6, 8), np.uint8)
    gray[1:3, 2:5] = 255
    gray[4, 4] = 128
    Image.fromarray(gray).save(tmp_path / "gray.png")
    np.testing.assert_array_equal(load_mask(tmp_path / "gray.png"), gray)
    la = np.stack([np.full_like(gray, 255), gray], axis=-1)  # white, opaque only where masked
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    np.testing.assert_array_equal(load_mask(tmp_path / "la.png"), gray)


def camera_exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0132] = "2021:06:05 14:03:00"  # DateTime
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 30.0, 0.0), 3: "E", 4: (4.0, 53.0, 0.0)})
    return exif.tobytes()


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp"])
def test_export_keeps_exif_and_can_strip_location(tmp_path, ext):
    from inpaint_desktop.document.image_io import has_location

    doc = Document.from_image(photo(), exif=camera_exif_with_gps())
    kept, stripped = tmp_path / f"kept{ext}", tmp_path / f"stripped{ext}"
    export_document(doc, kept)
    export_document(doc, stripped, strip_location=True)
    exif = read_exif(load_image(kept).exif)
    assert exif[0x010F] == "TestCam" and exif[0x0132] == "2021:06:05 14:03:00"
    assert exif.get_ifd(0x8825)[1] == "N" and has_location(load_image(kept).exif)
    exif = read_exif(load_image(stripped).exif)
    assert exif[0x010F] == "TestCam" and exif[0x0132] == "2021:06:05 14:03:00"
    assert not exif.get_ifd(0x8825) and 0x8825 not in exif
    assert not has_location(load_image(stripped).exif)
