"""Issue 20, items 2 and 3: a photo folder is untrusted input. The trainer opens only the
formats the app opens (no EPS, so never Ghostscript) and refuses what the app refuses (above
200 megapixels), with the app's message, before decoding a pixel."""

import struct
import zlib
from pathlib import Path

import pytest
from PIL import EpsImagePlugin, Image

from trainer import data
from trainer.scan import scan_folder

EPS = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 48\n%%EndComments\n"
       b"newpath 0 0 moveto 64 48 lineto stroke\nshowpage\n%%EOF\n")


def fake_png(path: Path, w: int, h: int) -> Path:
    """A few hundred bytes whose header claims w x h pixels (a decompression bomb's shape)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def no_ghostscript(monkeypatch):
    """Records every attempt to run Ghostscript (Pillow's EPS decoder)."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("Ghostscript must not run")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", refuse)
    return calls


def test_postscript_named_jpg_is_never_decoded(photo_dir, no_ghostscript):
    (photo_dir / "holiday.jpg").write_bytes(EPS)
    photos = data.PhotoSet.load(photo_dir, max_side=64)
    assert "holiday.jpg" in [p.name for p, _ in photos.skipped]
    result = scan_folder(photo_dir, "inpaint", val_count=2)
    unreadable = {Path(p).name: why for p, why in result["unreadable"]}
    assert "not an image file" in unreadable["holiday.jpg"]
    assert no_ghostscript == []


def test_the_app_and_the_trainer_open_the_same_formats_up_to_the_same_size():
    from inpaint_desktop.document import image_io

    assert set(data.OPEN_FORMATS) == set(image_io._OPEN_FORMATS)
    assert data.MAX_PIXELS == image_io.MAX_PIXELS


@pytest.mark.parametrize("side", [16000, 30000])  # above the limit; above Pillow's hard limit
def test_too_many_megapixels_are_refused_with_the_apps_message(tmp_path, side, recwarn):
    from inpaint_desktop.document import image_io

    folder = tmp_path / "photos"
    folder.mkdir()
    path = fake_png(folder / "bomb.png", side, side)
    with pytest.raises(data.PhotoError) as info:
        data.load_photo(path)
    with pytest.raises(image_io.ImageFileError) as app:
        image_io.load_image(path)
    assert str(info.value) == app.value.reason  # "the image is too large: 256.0 megapixels..."
    assert "200.0 megapixels" in str(info.value)
    photos = data.PhotoSet.load(folder)
    assert photos.skipped == [(path, str(info.value))]
    assert scan_folder(folder, "inpaint", val_count=0)["unreadable"] == [[str(path),
                                                                          str(info.value)]]
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]
