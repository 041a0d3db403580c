"""Reading and writing image files: Pillow in, numpy RGB out, and atomic saves.

Every failure a user can cause (a missing, damaged, huge or unreadable file, a full disk)
becomes an `ImageFileError` whose text is one line naming the file and the reason, ready for
a status bar, a dialog or the command line. Nothing here imports Qt.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import stat
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

if TYPE_CHECKING:
    from .document import Document

PathLike = str | os.PathLike

MAX_PIXELS = 200_000_000
"""Largest image (width x height) that load_image accepts by default: 200 megapixels, which
is 600 MB as RGB. A file whose header claims more is refused before any pixel is decoded."""

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")

# Qt file dialogs match patterns case-sensitively on some platforms, and cameras name their
# files IMG_0001.JPG: list both spellings.
_PATTERNS = " ".join(f"*{e}" for e in IMAGE_EXTENSIONS)
OPEN_FILTER = (f"Images ({_PATTERNS} {_PATTERNS.upper()});;All files (*)")
SAVE_FILTER = ";;".join(["PNG image (*.png)", "JPEG image (*.jpg *.jpeg)",
                         "TIFF image (*.tif *.tiff)", "WebP image (*.webp)", "BMP image (*.bmp)"])

# Pillow formats that load_image opens. The list is deliberately short: Pillow can also read
# EPS (which runs Ghostscript), PSD, ICO and many more, each one more parser exposed to
# untrusted files. (Camera JPEGs holding a second picture open as format "MPO" through JPEG.)
_OPEN_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "BMP")

_SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF",
                 ".tiff": "TIFF", ".webp": "WEBP", ".bmp": "BMP"}
_MAX_SIDE = {"JPEG": 65_535, "WEBP": 16_383}  # the formats' own limits
_JPEG_MAX_EXIF = 65_533  # one JPEG APP1 segment
_EXIF_HEADER = b"Exif\x00\x00"
_ORIENTATION = 0x0112

# Pillow's own bomb limit (about 89 MP) would refuse ordinary 100 MP medium-format photos that
# our documented limit accepts, so lift it to ours: our check (with a clear message) governs,
# and Pillow's stays as a second fence above it.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageFileError(Exception):
    """A file could not be opened or saved. `str(e)` is one line naming the file and the reason,
    e.g. "cannot open holiday.jpg: the file is truncated". `path` is the full path when known,
    `reason` the part after the colon."""

    def __init__(self, message: str, path: PathLike | None = None, reason: str | None = None):
        message = " ".join(str(message).split())  # always one line
        super().__init__(message)
        self.path = None if path is None else os.fspath(path)
        self.reason = reason if reason is not None else message

    @classmethod
    def about(cls, action: str, path: PathLike, reason: str) -> ImageFileError:
        """The usual message: cannot {action} {file name}: {reason}."""
        reason = " ".join(reason.split())
        return cls(f"cannot {action} {_name(path)}: {reason}", path=path, reason=reason)


@dataclass
class LoadedImage:
    pixels: np.ndarray  # H x W x 3 uint8 RGB, C-contiguous, writable
    icc_profile: bytes | None = None  # an RGB profile that describes `pixels`, else None
    exif: bytes | None = None  # b"Exif\0\0..." to keep on export, orientation reset to 1
    notes: list[str] = field(default_factory=list)  # for the status bar
    format: str = ""  # "JPEG", "PNG", "TIFF", "WEBP", "BMP"


def is_image_path(path: PathLike) -> bool:
    """Whether the name ends with one of IMAGE_EXTENSIONS (any case)."""
    return os.fspath(path).lower().endswith(IMAGE_EXTENSIONS)


# --- loading ---------------------------------------------------------------------------------

def load_image(path: PathLike, max_pixels: int = MAX_PIXELS, *,
               background: int = 255) -> LoadedImage:
    """Decode an image file into RGB uint8, upright (EXIF orientation applied). Transparent
    areas are laid on `background` (a gray level; white for photos).

    Raises ImageFileError for anything wrong with the file; never a raw Pillow or OS error.
    """
    path = os.fspath(path)
    check_readable_file(path)
    Image.init()  # Image.open(formats=...) knows only the plugins loaded so far
    try:
        with pillow_size_guard(max_pixels), Image.open(path, formats=_OPEN_FORMATS) as im:
            check_pixel_count(path, im.size, max_pixels)
            return _decode(im, background)
    except ImageFileError:
        raise
    except Exception as e:  # decoders raise OSError, SyntaxError, ValueError, EOFError, ...
        raise ImageFileError.about("open", path, read_error_reason(e, max_pixels)) from e


def check_readable_file(path: PathLike, action: str = "open") -> None:
    """Raise ImageFileError unless `path` is an existing, non-empty regular file."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise ImageFileError.about(action, path, read_error_reason(e)) from e
    if stat.S_ISDIR(st.st_mode):
        raise ImageFileError.about(action, path, "it is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise ImageFileError.about(action, path, "it is not a regular file")
    if st.st_size == 0:
        raise ImageFileError.about(action, path, "the file is empty (0 bytes)")


def check_pixel_count(path: PathLike, size: tuple[int, int], max_pixels: int,
                      action: str = "open") -> None:
    w, h = size
    if w <= 0 or h <= 0:
        raise ImageFileError.about(action, path, f"the image has no pixels ({w} x {h})")
    if w * h > max_pixels:
        have, limit = megapixels(w * h), megapixels(max_pixels)
        if have == limit:  # too close to tell apart in megapixels
            have, limit = f"{w * h:,} pixels", f"{max_pixels:,} pixels"
        else:
            have, limit = f"{have} megapixels", f"{limit} megapixels"
        raise ImageFileError.about(
            action, path, f"the image is too large: {w} x {h} pixels is {have}, the limit is "
            f"{limit}")


@contextlib.contextmanager
def pillow_size_guard(max_pixels: int) -> Iterator[None]:
    """Make Pillow's DecompressionBombWarning an error while opening (it becomes an
    ImageFileError), unless the caller's own limit is above Pillow's.

    warnings.catch_warnings is process-wide: if two threads overlap here, the worst outcome is
    that this one filter outlives the block, which only turns a warning into an error."""
    limit = Image.MAX_IMAGE_PIXELS
    action = "ignore" if limit is not None and max_pixels > limit else "error"
    with warnings.catch_warnings():
        warnings.simplefilter(action, Image.DecompressionBombWarning)
        yield


def read_error_reason(e: BaseException, max_pixels: int = MAX_PIXELS) -> str:
    """The user-facing reason for an exception raised while reading a file."""
    if isinstance(e, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        # Pillow refused it from the header: above our limit, or (when the caller allowed
        # more than Pillow's limit) above Pillow's hard limit, twice its warning limit.
        pillow = Image.MAX_IMAGE_PIXELS
        limit = max_pixels if pillow is None or max_pixels <= pillow else 2 * pillow
        counts = [int(t) for t in str(e).replace("(", " ").split() if t.isdigit()]
        size = f"{megapixels(counts[0])} megapixels, " if counts else ""
        return f"the image is too large: {size}the limit is {megapixels(limit)} megapixels"
    if isinstance(e, UnidentifiedImageError):
        return "it is not an image file, or not a format this app reads (PNG, JPEG, TIFF, " \
            "WebP, BMP)"
    if isinstance(e, MemoryError):
        return "not enough memory to open it"
    if isinstance(e, OSError) and e.errno is not None:
        return _os_reason(e, reading=True)
    text = _detail(e)
    if "truncated" in text.lower() or isinstance(e, EOFError):
        return "the file is truncated (an incomplete download or copy?)"
    return f"the file is damaged ({text})" if text else "the file is damaged"


def load_mask(path: PathLike, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A mask file as uint8 H x W, its gray level (white = fill). Transparent areas count as
    black (keep), so white strokes drawn on a transparent layer mask only the strokes."""
    pixels = load_image(path, max_pixels, background=0).pixels
    # ITU-R 601 luma, as Pillow's "L" conversion; masks are black and white in practice
    gray = pixels.astype(np.uint32) @ np.array([299, 587, 114], np.uint32)
    return ((gray + 500) // 1000).astype(np.uint8)


def _decode(im: Image.Image, background: int = 255) -> LoadedImage:
    notes: list[str] = []
    fmt = "JPEG" if im.format == "MPO" else (im.format or "")
    frames = 1
    with contextlib.suppress(Exception):  # counting TIFF pages can fail on odd files
        frames = int(getattr(im, "n_frames", 1))
    im.load()
    if frames > 1 and fmt != "JPEG":  # a camera's MPO holds a preview as a second frame
        noun = "frames" if fmt == "WEBP" else "pages"
        notes.append(f"the file has {frames} {noun}; opened the first")

    orientation = _orientation(im, notes)
    exif = _exif_to_keep(im, fmt, orientation, notes)
    if orientation in range(2, 9):
        ImageOps.exif_transpose(im, in_place=True)
        turn = {3: "turned 180°", 6: "turned 90° clockwise", 8: "turned 90° counter-clockwise"}
        notes.append(f"{turn.get(orientation, 'flipped')} as its EXIF orientation says")

    icc = im.info.get("icc_profile") or None
    pixels, icc = _to_rgb(im, icc, notes, background)
    return LoadedImage(pixels=pixels, icc_profile=icc, exif=exif, notes=notes, format=fmt)


def _orientation(im: Image.Image, notes: list[str]) -> int:
    try:
        value = int(im.getexif().get(_ORIENTATION, 1) or 1)
    except Exception:
        notes.append("its EXIF data is damaged; orientation not applied")
        return 1
    return value if value in range(1, 9) else 1


def _exif_to_keep(im: Image.Image, fmt: str, orientation: int,
                  notes: list[str]) -> bytes | None:
    """The file's EXIF block (with the EXIF header), orientation reset to 1."""
    raw = im.info.get("exif") or None
    if not raw or fmt == "TIFF":
        # TIFF keeps its EXIF-like tags in the image's own directory (strip offsets and
        # all); they are not an EXIF block to copy into another file.
        return None
    if not raw.startswith(_EXIF_HEADER):
        raw = _EXIF_HEADER + raw
    if orientation == 1:
        return raw
    try:
        exif = Image.Exif()  # a fresh copy: the image's own is what exif_transpose reads
        exif.load(raw)
        exif[_ORIENTATION] = 1
        return exif.tobytes()
    except Exception:
        notes.append("its EXIF data could not be rewritten and was dropped")
        return None


def _to_rgb(im: Image.Image, icc: bytes | None, notes: list[str],
            background: int = 255) -> tuple[np.ndarray, bytes | None]:
    mode = im.mode
    if mode == "RGB":
        return image_to_array(im), _rgb_profile(icc, notes)
    if mode in ("L", "1"):
        notes.append("grayscale image" if mode == "L" else "black-and-white (1-bit) image")
        gray = image_to_array(im.convert("L") if mode == "1" else im)
        return _gray_to_rgb(gray), None  # a gray profile does not describe RGB pixels
    if mode.startswith("I;16"):
        notes.append("16-bit image converted to 8 bits")
        return _gray_to_rgb(_scale16(np.asarray(im))), None
    if mode in ("I", "F"):
        gray, how = _scale_wide(np.asarray(im))
        notes.append(f"{'32-bit' if mode == 'I' else 'floating-point'} image converted to "
                     f"8 bits{how}")
        return _gray_to_rgb(gray), None
    if mode == "CMYK":
        return _cmyk_to_rgb(im, icc, notes), None
    if mode == "P" and "transparency" not in im.info:
        notes.append("palette image converted to RGB")
        return image_to_array(im.convert("RGB")), _rgb_profile(icc, notes)
    if mode in ("RGBA", "RGBa", "LA", "La", "PA", "P"):
        if mode in ("P", "PA"):
            notes.append("palette image converted to RGB")
        rgba = image_to_array(im.convert("RGBA"))
        pixels, transparent = _flatten(rgba, background)
        if transparent:
            notes.append("transparent areas filled with "
                         + {255: "white", 0: "black"}.get(background, "gray"))
        keep = mode.startswith(("RGB", "P"))
        return pixels, _rgb_profile(icc, notes) if keep else None
    if mode == "LAB":
        lab, srgb = ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB")
        notes.append("Lab image converted to RGB")
        return image_to_array(ImageCms.profileToProfile(im, lab, srgb, outputMode="RGB")), None
    if mode in ("RGBX", "YCbCr", "HSV"):
        return image_to_array(im.convert("RGB")), _rgb_profile(icc, notes)
    raise ValueError(f"unsupported colour mode {mode}")


def _cmyk_to_rgb(im: Image.Image, icc: bytes | None, notes: list[str]) -> np.ndarray:
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            rgb = ImageCms.profileToProfile(im, src, dst, outputMode="RGB")
            notes.append("CMYK image converted to RGB with its colour profile")
            return image_to_array(rgb)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            notes.append("CMYK image converted to RGB (its colour profile is unusable; "
                         "colours are approximate)")
    else:
        notes.append("CMYK image converted to RGB (no colour profile; colours are approximate)")
    return image_to_array(im.convert("RGB"))


def _rgb_profile(icc: bytes | None, notes: list[str]) -> bytes | None:
    """The profile if it is a readable RGB profile; a gray or CMYK one does not fit RGB."""
    if not icc:
        return None
    try:
        space = ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.xcolor_space
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        notes.append("its colour profile is damaged and was ignored")
        return None
    return icc if space.strip() == "RGB" else None


def image_to_array(im: Image.Image) -> np.ndarray:
    """A writable, C-contiguous copy of the image's pixels.

    np.asarray(im) gives a read-only view of a bytes copy, so making it writable would copy
    twice; converting strip by strip keeps the peak at one image plus one strip."""
    w, h = im.size
    bands = len(im.getbands())
    probe = np.asarray(im.crop((0, 0, min(w, 1), min(h, 1))))
    out = np.empty((h, w, bands) if bands > 1 else (h, w), probe.dtype)
    step = max(1, (16 << 20) // max(1, w * bands * probe.itemsize))
    for y in range(0, h, step):
        out[y:y + step] = np.asarray(im.crop((0, y, w, min(h, y + step))))
    return out


def _gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    out = np.empty(gray.shape + (3,), np.uint8)
    out[...] = gray[..., None]
    return out


def _scale16(a: np.ndarray) -> np.ndarray:
    """0..65535 to 0..255 by rounding v / 257 (65535 -> 255, 32768 -> 128)."""
    return ((a.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _scale_wide(a: np.ndarray) -> tuple[np.ndarray, str]:
    """32-bit integer or float gray to 8 bits, by the range the data evidently uses:
    floats in 0..1, then 0..255, then 0..65535; anything else is stretched."""
    floating = a.dtype.kind == "f"
    a = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(a.min()), float(a.max())
    if floating and lo >= 0 and hi <= 1:
        return np.rint(a * 255).astype(np.uint8), ""
    if lo >= 0 and hi <= 255:
        return np.rint(a).astype(np.uint8), ""
    if lo >= 0 and hi <= 65535:
        return _scale16(np.rint(a).astype(np.uint32)), ""
    a -= lo
    a *= 255.0 / (hi - lo)
    return np.rint(a).astype(np.uint8), " (stretched from its own range)"


def _flatten(rgba: np.ndarray, background: int = 255) -> tuple[np.ndarray, bool]:
    alpha = rgba[..., 3]
    rgb = np.ascontiguousarray(rgba[..., :3])
    if alpha.min() == 255:
        return rgb, False
    a = alpha.astype(np.uint16)[..., None]
    out = (rgb.astype(np.uint16) * a + background * (255 - a) + 127) // 255
    return out.astype(np.uint8), True


# --- saving ----------------------------------------------------------------------------------

def save_image(pixels: np.ndarray, path: PathLike, *, quality: int = 92,
               icc_profile: bytes | None = None, exif: bytes | None = None) -> None:
    """Write RGB (H x W x 3) or gray (H x W) uint8 pixels; the format follows the extension.

    The file is written to a temporary name in the same folder and renamed over `path` only
    when complete, so a failure (disk full, ...) leaves an existing file untouched. Raises
    ImageFileError for file problems, ValueError for an invalid array or quality.
    """
    path = os.fspath(path)
    fmt = format_for_path(path)
    if not (1 <= int(quality) <= 100):
        raise ValueError(f"quality must be 1..100, got {quality}")
    if pixels.dtype != np.uint8 or not (
            pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)):
        raise ValueError(f"expected H x W x 3 or H x W uint8 pixels, got {pixels.shape} "
                         f"{pixels.dtype}")
    h, w = pixels.shape[:2]
    if w == 0 or h == 0:
        raise ValueError("cannot save an empty image")
    side = _MAX_SIDE.get(fmt)
    if side is not None and max(w, h) > side:
        kind = "WebP" if fmt == "WEBP" else fmt
        raise ImageFileError.about("save", path, f"{kind} images can be at most {side} pixels "
                                   f"wide and high; this one is {w} x {h}")
    image = Image.fromarray(np.ascontiguousarray(pixels))  # mode L or RGB from the shape
    params = _save_params(fmt, image.mode, int(quality), icc_profile, exif)
    if fmt == "WEBP" and image.mode == "L":
        image = image.convert("RGB")

    def write(f: IO[bytes]) -> None:
        image.save(f, format=fmt, **params)

    atomic_write(path, write)


def format_for_path(path: PathLike) -> str:
    """Pillow's format name for the file's extension; ImageFileError if it has none we write."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    fmt = _SAVE_FORMATS.get(ext)
    if fmt is None:
        kind = f"unknown file type '{ext}'" if ext else "the name has no extension"
        raise ImageFileError.about("save", path, f"{kind} (use {', '.join(IMAGE_EXTENSIONS)})")
    return fmt


def _save_params(fmt: str, mode: str, quality: int, icc: bytes | None,
                 exif: bytes | None) -> dict:
    params: dict = {}
    if fmt == "PNG":
        params["compress_level"] = 3  # 6 (the default) is about 3x slower for a few % smaller
    elif fmt == "JPEG":
        params.update(quality=quality, optimize=False, subsampling=2 if quality < 90 else 0)
    elif fmt == "WEBP":
        params.update(quality=quality, method=4)
    elif fmt == "TIFF":
        params["compression"] = "tiff_lzw"  # lossless and read by everything
    if fmt != "BMP":
        if icc and mode == "RGB":
            params["icc_profile"] = icc
        if exif and fmt != "TIFF":
            if not exif.startswith(_EXIF_HEADER):
                exif = _EXIF_HEADER + exif
            # An EXIF block too long for JPEG's single APP1 segment is dropped rather than
            # failing the whole save (it happens with big maker notes and thumbnails).
            if fmt != "JPEG" or len(exif) <= _JPEG_MAX_EXIF:
                params["exif"] = exif
    return params


_GPS_IFD = 0x8825


def has_location(exif: bytes | None) -> bool:
    """Whether an EXIF block holds GPS (location) data."""
    if not exif:
        return False
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        return bool(parsed.get_ifd(_GPS_IFD))
    except Exception:
        return False


def exif_for_export(exif: bytes | None, *, strip_location: bool = False) -> bytes | None:
    """The EXIF block to write into an exported picture, or None.

    Always re-serialised: that drops the embedded thumbnail (IFD1), which would still show
    the photo as it was before Erase. A block that cannot be parsed is dropped rather than
    copied blind (it might hold the location the user asked to strip)."""
    if not exif:
        return None
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        if strip_location:
            parsed.get_ifd(_GPS_IFD)  # loads it, so that the deletion removes it everywhere
            with contextlib.suppress(KeyError):
                del parsed[_GPS_IFD]
        out = parsed.tobytes()
    except Exception:
        return None
    if strip_location and has_location(out):  # never write a location the user stripped
        return None
    return out


def export_document(doc: Document, path: PathLike, *, quality: int = 92,
                    strip_location: bool = False) -> None:
    """Save the flattened document to `path`, keeping its colour profile and its EXIF
    (camera, date, location unless `strip_location`). Refuses to write over the file the
    document was opened from."""
    path = os.fspath(path)
    refuse_source_overwrite(doc, path, "export")
    exif = exif_for_export(getattr(doc, "exif", None), strip_location=strip_location)
    save_image(doc.composite(), path, quality=quality, icc_profile=doc.icc_profile, exif=exif)


def refuse_source_overwrite(doc: Document, path: PathLike, action: str = "save") -> None:
    source = getattr(doc, "source_path", None)
    if source and same_file(source, path):
        raise ImageFileError.about(
            action, path, "it is the original photo this document was opened from; choose "
            "another name (the original is never overwritten)")


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name one file (hard links, symlinks, case-insensitive disks)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        pa, pb = (os.path.normcase(os.path.realpath(os.fspath(p))) for p in (a, b))
        return pa == pb


def atomic_write(path: PathLike, write: Callable[[IO[bytes]], None], *,
                 action: str = "save") -> None:
    """Call `write(f)` on a temporary file next to `path`, fsync it and rename it over `path`.

    On any failure the temporary file is removed, an existing `path` is left as it was, and
    ImageFileError is raised (an ImageFileError from `write` passes through unchanged)."""
    path = os.fspath(path)
    if os.path.islink(path):  # write the file the link points to, and keep the link
        path = os.path.realpath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ImageFileError.about(action, path, "it is a folder")
    tmp: str | None = None
    try:
        fd, tmp = _create_temp(folder, os.path.basename(path))
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        _copy_mode(path, tmp)
        os.replace(tmp, path)
        tmp = None
        _fsync_folder(folder)
    except ImageFileError:
        raise
    except Exception as e:
        raise ImageFileError.about(action, path, _write_error_reason(e)) from e
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.remove(tmp)


def _create_temp(folder: str, name: str) -> tuple[int, str]:
    # os.open with 0o666 lets the umask decide the permissions, as for any new file;
    # tempfile.mkstemp would leave the saved photo readable by its owner only.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f".{name[:100]}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "cannot create a temporary file", folder)


def _copy_mode(target: str, tmp: str) -> None:
    """Overwriting a file keeps its permissions."""
    with contextlib.suppress(OSError):
        os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); not possible or needed on Windows."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_error_reason(e: BaseException) -> str:
    if isinstance(e, MemoryError):
        return "not enough memory"
    if isinstance(e, OSError) and e.errno is not None:
        return _os_reason(e, reading=False)
    return _detail(e) or type(e).__name__


def _os_reason(e: OSError, *, reading: bool) -> str:
    code = e.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "the disk is full"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.ENOENT:
        return "the file does not exist" if reading else "the folder does not exist"
    if code == errno.EISDIR:
        return "it is a folder, not a file"
    if code == errno.EROFS:
        return "the disk is read-only"
    if code == errno.ENAMETOOLONG:
        return "the name is too long"
    if code == errno.EIO:
        return "input/output error (a failing disk or a disconnected drive?)"
    return (e.strerror or _detail(e) or "system error").rstrip(".").lower()


def _detail(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= 160 else text[:157] + "..."


def _name(path: PathLike) -> str:
    p = os.fspath(path)
    return os.path.basename(p.rstrip("/\\")) or p


def megapixels(pixels: float) -> str:
    """Megapixels as text: "900.0", "24.2", "0.0012"."""
    mp = pixels / 1e6
    return f"{mp:.1f}" if mp >= 1 else f"{mp:.2g}"
