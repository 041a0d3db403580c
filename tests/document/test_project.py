"""The .inpaint project file: exact round trips, and a one-line ProjectFileError for every
kind of damaged or hostile file."""

from __future__ import annotations

import errno
import io
import json
import os
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageCms

from inpaint_desktop.document import Document, Layer
from inpaint_desktop.document.hints import Hint
from inpaint_desktop.document.image_io import ImageFileError
from inpaint_desktop.document.project import (
    PROJECT_EXTENSION,
    ProjectFileError,
    load_project,
    save_project,
)

W, H = 40, 30


def rand(shape, seed):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


# Made once: a profile's header holds its creation time, so two made a second apart differ
# (a round trip that compared them failed when the test crossed a second).
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def make_doc(source_path: str | None = "/photos/holiday.jpg") -> Document:
    base = Layer(name="Background", pixels=rand((H, W, 3), 1))
    alpha = np.zeros((12, 16), np.uint8)
    alpha[2:10, 3:13] = 255
    alpha[5, :] = 77
    erased = Layer(name="Erase result ✓", pixels=rand((12, 16, 3), 2), alpha=alpha,
                   x=7, y=-3, opacity=0.5)
    hidden = Layer(name="Colorized", pixels=rand((H, W, 3), 3), visible=False)
    mask = np.zeros((H, W), np.uint8)
    mask[4:20, 6:25] = 255
    mask[25, 30:] = 255
    return Document(width=W, height=H, layers=[base, erased, hidden], mask=mask,
                    source_path=source_path, icc_profile=ICC)


def assert_same(a: Document, b: Document) -> None:
    assert (a.width, a.height) == (b.width, b.height)
    assert a.source_path == b.source_path
    assert a.icc_profile == b.icc_profile
    assert np.array_equal(a.mask, b.mask) and b.mask.dtype == np.uint8
    assert len(a.layers) == len(b.layers)
    for la, lb in zip(a.layers, b.layers, strict=True):
        assert la.props() == lb.props()
        assert la.follows_hints == lb.follows_hints
        assert np.array_equal(la.pixels, lb.pixels)
        assert (la.alpha is None) == (lb.alpha is None)
        if la.alpha is not None:
            assert np.array_equal(la.alpha, lb.alpha)
    assert a.hints == b.hints
    assert np.array_equal(a.composite(), b.composite())


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / f"work{PROJECT_EXTENSION}"
    save_project(make_doc(), path)
    return path


def test_round_trip(saved, tmp_path):
    doc = make_doc()
    loaded = load_project(saved)
    assert_same(doc, loaded)
    assert [la.name for la in loaded.layers] == ["Background", "Erase result ✓", "Colorized"]
    assert loaded.layers[1].x == 7 and loaded.layers[1].y == -3
    assert loaded.layers[1].opacity == 0.5 and loaded.layers[2].visible is False
    for la in loaded.layers:
        assert la.pixels.flags.writeable and la.pixels.flags.c_contiguous
    assert loaded.mask.flags.writeable
    assert len({la.id for la in loaded.layers}) == 3
    assert os.listdir(tmp_path) == [saved.name]  # no temporary file left


def test_layout_of_the_archive(saved):
    with zipfile.ZipFile(saved) as zf:
        meta = json.loads(zf.read("project.json"))
        assert meta["format"] == "inpaint-desktop-project" and meta["version"] == 1
        assert (meta["width"], meta["height"]) == (W, H)
        assert meta["mask"] == "mask.png" and meta["icc_profile"] == "icc.bin"
        assert meta["source_path"] == "/photos/holiday.jpg"
        assert [la["alpha_file"] is None for la in meta["layers"]] == [True, False, True]
        for la in meta["layers"]:
            assert set(la) >= {"name", "file", "alpha_file", "x", "y", "opacity", "visible"}
            info = zf.getinfo(la["file"])
            assert info.compress_type == zipfile.ZIP_STORED
            with Image.open(io.BytesIO(zf.read(info))) as im:
                assert im.mode == "RGB" and im.size == (la["width"], la["height"])
        with Image.open(io.BytesIO(zf.read("mask.png"))) as im:
            assert im.mode == "L" and im.size == (W, H)


def test_minimal_document_round_trip(tmp_path):
    doc = Document.from_image(rand((5, 7, 3), 9))
    save_project(doc, tmp_path / "small.inpaint")
    loaded = load_project(tmp_path / "small.inpaint")
    assert_same(doc, loaded)
    assert loaded.icc_profile is None and loaded.source_path is None


def test_save_overwrites_atomically(saved, tmp_path):
    doc = make_doc()
    doc.layers[0].pixels[:] = 0
    save_project(doc, saved)
    assert_same(doc, load_project(saved))
    assert os.listdir(tmp_path) == [saved.name]


def test_disk_full_leaves_the_old_project(saved, tmp_path, monkeypatch):
    before = saved.read_bytes()

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full)
    with pytest.raises(ProjectFileError) as e:
        save_project(make_doc(), saved)
    assert "work.inpaint" in str(e.value) and "disk is full" in str(e.value)
    assert saved.read_bytes() == before
    assert os.listdir(tmp_path) == [saved.name]


def test_save_refuses_to_overwrite_the_source_photo(tmp_path):
    photo = tmp_path / "holiday.jpg"
    Image.fromarray(rand((H, W, 3), 1)).save(photo)
    before = photo.read_bytes()
    with pytest.raises(ProjectFileError) as e:
        save_project(make_doc(source_path=str(photo)), photo)
    assert "holiday.jpg" in str(e.value)
    assert photo.read_bytes() == before


# --- bad project files ---------------------------------------------------------------------

def rewrite(src, dst, *, meta=None, replace=None, drop=(), extra=None):
    """Copy a project archive, changing project.json (meta(dict) edits it in place),
    replacing or dropping members, or adding raw members."""
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if meta is not None:
        m = json.loads(members["project.json"])
        meta(m)
        members["project.json"] = json.dumps(m).encode()
    members.update(replace or {})
    for name in drop:
        del members[name]
    members.update(extra or {})
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dst


def png_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return buf.getvalue()


def expect_error(path, *words, max_pixels=None):
    kw = {} if max_pixels is None else {"max_pixels": max_pixels}
    with pytest.raises(ProjectFileError) as e:
        load_project(path, **kw)
    text = str(e.value)
    assert isinstance(e.value, ImageFileError)
    assert "\n" not in text
    assert os.path.basename(str(path)) in text, text
    for w in words:
        assert w in text.lower(), text
    return text


def set_key(key, value):
    def edit(m):
        m[key] = value
    return edit


def set_layer_key(i, key, value):
    def edit(m):
        m["layers"][i][key] = value
    return edit


def test_missing_and_empty_and_folder(tmp_path):
    expect_error(tmp_path / "gone.inpaint", "does not exist")
    (tmp_path / "empty.inpaint").write_bytes(b"")
    expect_error(tmp_path / "empty.inpaint", "empty")
    (tmp_path / "dir.inpaint").mkdir()
    expect_error(tmp_path / "dir.inpaint", "folder")


def test_not_a_zip(tmp_path):
    (tmp_path / "text.inpaint").write_text("hello, I am not a project\n")
    expect_error(tmp_path / "text.inpaint", "not a zip")


def test_corrupt_zip(saved, tmp_path):
    data = saved.read_bytes()
    (tmp_path / "half.inpaint").write_bytes(data[: len(data) // 2])
    expect_error(tmp_path / "half.inpaint")
    # Damage inside a member (the archive directory is intact): the CRC check catches it.
    broken = bytearray(data)
    start = data.index(b"IDAT") + 20
    broken[start:start + 50] = bytes(50)
    (tmp_path / "flipped.inpaint").write_bytes(bytes(broken))
    expect_error(tmp_path / "flipped.inpaint")


def test_missing_project_json(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint", drop=["project.json"])
    expect_error(bad, "project.json")


def test_unparsable_json(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint", replace={"project.json": b"{'width': 4"})
    expect_error(bad, "not valid json")
    bad = rewrite(saved, tmp_path / "list.inpaint", replace={"project.json": b"[1, 2]"})
    expect_error(bad, "not a json object")


def test_wrong_format(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint", meta=set_key("format", "something-else"))
    expect_error(bad, "not an inpaint-desktop project")


def test_newer_version(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint", meta=set_key("version", 2))
    expect_error(bad, "newer version")
    bad = rewrite(saved, tmp_path / "zero.inpaint", meta=set_key("version", "1"))
    expect_error(bad, "version")


def test_missing_layer_member(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint", drop=["layers/1.png"])
    expect_error(bad, "layers/1.png", "missing")
    bad = rewrite(saved, tmp_path / "alpha.inpaint", drop=["layers/1-alpha.png"])
    expect_error(bad, "layers/1-alpha.png", "missing")


def test_missing_mask_member(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint", drop=["mask.png"])
    expect_error(bad, "mask.png", "missing")


def test_layer_size_differs_from_json(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint",
                  replace={"layers/1.png": png_bytes(rand((12, 15, 3), 4))})
    expect_error(bad, "layers/1.png", "15 x 12")
    bad = rewrite(saved, tmp_path / "json.inpaint", meta=set_layer_key(0, "width", W + 1))
    expect_error(bad, "layers/0.png")


def test_layer_of_the_wrong_mode(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint",
                  replace={"layers/0.png": png_bytes(rand((H, W), 4))})
    expect_error(bad, "layers/0.png", "mode")


def test_mask_of_another_size(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint",
                  replace={"mask.png": png_bytes(np.zeros((H, W - 1), np.uint8))})
    expect_error(bad, "mask", "canvas")


def test_member_that_is_not_a_png(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint", replace={"mask.png": b"not a png at all"})
    expect_error(bad, "mask.png")


@pytest.mark.parametrize("key, value", [("width", -40), ("height", 0), ("width", 10**12),
                                        ("width", "40"), ("height", True), ("width", None)])
def test_invalid_canvas_size(saved, tmp_path, key, value):
    bad = rewrite(saved, tmp_path / "bad.inpaint", meta=set_key(key, value))
    expect_error(bad, key)


@pytest.mark.parametrize("key, value", [("width", -16), ("opacity", 1.5), ("opacity", "half"),
                                        ("visible", "yes"), ("x", 2.5), ("name", None),
                                        ("file", None)])
def test_invalid_layer_fields(saved, tmp_path, key, value):
    bad = rewrite(saved, tmp_path / "bad.inpaint", meta=set_layer_key(1, key, value))
    expect_error(bad, "layer 2")


def test_other_invalid_structure(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "layers.inpaint", meta=set_key("layers", {"a": 1}))
    expect_error(bad, "layers")
    bad = rewrite(saved, tmp_path / "layer.inpaint", meta=set_key("layers", [3]))
    expect_error(bad, "layer 1")
    bad = rewrite(saved, tmp_path / "source.inpaint", meta=set_key("source_path", 12))
    expect_error(bad, "source_path")
    bad = rewrite(saved, tmp_path / "icc.inpaint", meta=set_key("icc_profile", "nope.bin"))
    expect_error(bad, "nope.bin", "missing")


def test_too_many_pixels(saved, tmp_path):
    expect_error(saved, "too large", max_pixels=W * H - 1)
    # A project that claims a huge canvas is refused before reading any pixel.
    huge = rewrite(saved, tmp_path / "huge.inpaint", meta=set_key("width", 9_000_000))
    expect_error(huge, "too large")
    # A layer may not be larger than the limit either.
    big_layer = rewrite(saved, tmp_path / "layer.inpaint",
                        meta=lambda m: m["layers"][1].update(width=30_000, height=30_000))
    expect_error(big_layer, "layer 2", "too large")


def test_too_many_layer_pixels_in_all(tmp_path):
    doc = Document.from_image(rand((H, W, 3), 1))
    for i in range(4):
        doc.layers.append(Layer(name=f"copy {i}", pixels=rand((H, W, 3), i)))
    save_project(doc, tmp_path / "many.inpaint")
    expect_error(tmp_path / "many.inpaint", "megapixels", max_pixels=W * H)
    assert len(load_project(tmp_path / "many.inpaint", max_pixels=2 * W * H).layers) == 5


@pytest.mark.parametrize("evil", ["../evil.png", "/etc/evil.png", "layers/../../evil.png",
                                  "C:\\evil.png", "layers\\..\\evil.png"])
def test_path_traversal_names_in_the_json(saved, tmp_path, evil):
    bad = rewrite(saved, tmp_path / "bad.inpaint", meta=set_layer_key(0, "file", evil))
    expect_error(bad, "invalid 'file'")


def test_path_traversal_member_in_the_archive(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "bad.inpaint",
                  extra={"../../outside.png": png_bytes(rand((2, 2, 3), 1))})
    expect_error(bad, "unsafe")
    assert not (tmp_path.parent / "outside.png").exists()


def test_member_claiming_more_bytes_than_its_pixels(saved, tmp_path):
    """A member far larger than its image size is refused without decompressing it all."""
    padding = b"\x00" * 3_000_000  # compresses to a few KB in the archive
    bad = rewrite(saved, tmp_path / "bad.inpaint",
                  replace={"mask.png": png_bytes(np.zeros((H, W), np.uint8)) + padding})
    assert bad.stat().st_size < 100_000
    expect_error(bad, "mask.png", "larger")


# --- colour hints --------------------------------------------------------------------------

HINTS = [Hint(0.0, 0.0, (255, 0, 0)), Hint(39.0, 29.0, (1, 2, 3)), Hint(12.5, 7.25, (0, 0, 0)),
         Hint(12.5, 7.25, (0, 0, 0))]


def test_round_trip_with_hints(tmp_path):
    doc = make_doc()
    doc.hints[:] = HINTS
    save_project(doc, tmp_path / "hints.inpaint")
    with zipfile.ZipFile(tmp_path / "hints.inpaint") as zf:
        meta = json.loads(zf.read("project.json"))
    assert meta["hints"] == [[0, 0, "#ff0000"], [39, 29, "#010203"], [12.5, 7.25, "#000000"],
                             [12.5, 7.25, "#000000"]]
    loaded = load_project(tmp_path / "hints.inpaint")
    assert_same(doc, loaded)
    assert loaded.hints == HINTS and all(isinstance(h, Hint) for h in loaded.hints)
    assert loaded.hints is not doc.hints


def test_the_layer_that_follows_the_hints_is_saved(tmp_path):
    """Live colorization finds its colour layer again in a reopened project (issue 17)."""
    doc = make_doc()
    doc.layers[2].follows_hints = True
    save_project(doc, tmp_path / "live.inpaint")
    loaded = load_project(tmp_path / "live.inpaint")
    assert_same(doc, loaded)
    assert [la.follows_hints for la in loaded.layers] == [False, False, True]
    assert loaded.hint_layer() is loaded.layers[2]


def test_project_without_follows_hints_loads(saved, tmp_path):
    def drop(meta):
        for la in meta["layers"]:
            la.pop("follows_hints")

    old = rewrite(saved, tmp_path / "old.inpaint", meta=drop)
    loaded = load_project(old)
    assert not any(la.follows_hints for la in loaded.layers) and loaded.hint_layer() is None

    def bad_value(meta):
        meta["layers"][1]["follows_hints"] = "yes"

    expect_error(rewrite(saved, tmp_path / "bad.inpaint", meta=bad_value),
                 "layer 2", "follows_hints")


def test_hint_patch_sizes_are_saved_and_old_hints_keep_the_default(tmp_path):
    doc = make_doc()
    doc.hints[:] = [Hint(1, 2, (255, 0, 0), 24), Hint(3, 4, (0, 0, 255)),
                    Hint(5, 6, (0, 0, 0), 2.5)]
    save_project(doc, tmp_path / "sized.inpaint")
    with zipfile.ZipFile(tmp_path / "sized.inpaint") as zf:
        points = json.loads(zf.read("project.json"))["hints"]
    assert points == [[1, 2, "#ff0000", 24], [3, 4, "#0000ff"], [5, 6, "#000000", 2.5]]
    loaded = load_project(tmp_path / "sized.inpaint")
    assert [h.size for h in loaded.hints] == [24, None, 2.5]
    assert loaded.hints[1].patch(W, H) == 3  # the default patch of a small image


def test_project_without_hints_loads(saved, tmp_path):
    old = rewrite(saved, tmp_path / "old.inpaint", meta=lambda m: m.pop("hints"))
    assert load_project(old).hints == []
    null = rewrite(saved, tmp_path / "null.inpaint", meta=set_key("hints", None))
    assert load_project(null).hints == []
    assert load_project(saved).hints == []


@pytest.mark.parametrize("value, words", [
    ({"points": []}, ["hints", "list"]),
    ([[1, 2]], ["hints", "point 1"]),
    ([[1, 2, "#ff0000"], [1, "2", "#ff0000"]], ["hints", "point 2", "y"]),
    ([[1, 2, "red"]], ["hints", "colour"]),
    ([[1, 2, "#ff0000", 4, 5]], ["hints", "point 1"]),
    ([[1, 2, "#ff0000", 0]], ["hints", "point 1", "patch size"]),
    ([[1, 2, "#ff0000", "4"]], ["hints", "point 1", "patch size"]),
    ([[True, 2, "#ff0000"]], ["hints", "x"]),
    ([[W, 2, "#ff0000"]], ["hints", "outside"]),
    ([[-0.5, 2, "#ff0000"]], ["hints", "outside"]),
    (["1, 2, #ff0000"], ["hints", "point 1"]),
])
def test_malformed_hints(saved, tmp_path, value, words):
    bad = rewrite(saved, tmp_path / "bad.inpaint", meta=set_key("hints", value))
    expect_error(bad, *words)


def camera_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0132] = "2021:06:05 14:03:00"  # DateTime
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 30.0, 0.0)})  # GPS latitude
    return exif.tobytes()


def test_exif_round_trip(tmp_path):
    doc = make_doc()
    doc.exif = camera_exif()
    path = tmp_path / "work.inpaint"
    save_project(doc, path)
    with zipfile.ZipFile(path) as zf:
        assert json.loads(zf.read("project.json"))["exif"] == "exif.bin"
    assert load_project(path).exif == doc.exif


def test_project_without_exif_and_a_bad_exif_member(saved, tmp_path):
    assert load_project(saved).exif is None
    bad = tmp_path / "bad.inpaint"
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "project.json":
                meta = json.loads(data)
                meta["exif"] = "exif.bin"
                data = json.dumps(meta).encode()
            dst.writestr(info, data)
        dst.writestr("exif.bin", b"not exif at all")
    with pytest.raises(ProjectFileError, match="exif.bin is not an EXIF block"):
        load_project(bad)
