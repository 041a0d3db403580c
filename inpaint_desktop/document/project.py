"""The project file (.inpaint): a document with its layers and mask, to continue later.

A zip archive holding
    project.json      {"format": "inpaint-desktop-project", "version": 1, "width", "height",
                       "layers": [{"name", "file", "alpha_file" | null, "x", "y", "width",
                                   "height", "opacity", "visible",
                                   "follows_hints" (optional, default false: the
                                   Colorize result that live colorization updates)}, ...],
                                  (bottom to top)
                       "mask": "mask.png", "icc_profile": "icc.bin" | null,
                       "exif": "exif.bin" | null,   (optional; older projects have none)
                       "source_path": str | null,
                       "hints": [[x, y, "#rrggbb"], ...]}   (optional; colour hints, as
                                                             in the hints JSON's "points")
    layers/N.png      each layer's RGB pixels; layers/N-alpha.png its alpha (L) if it has one
    mask.png          the mask (L, canvas size)
    icc.bin           the photo's colour profile, if it has one
    exif.bin          the photo's EXIF block (b"Exif\0\0..."), if it has one

PNG members are stored uncompressed in the zip (PNG is compressed already) and written with a
fast compression level: saving a 24 MP project takes a second or two, not ten.

A project file is untrusted input (it may come from anywhere): load_project checks every field
and every size before decoding pixels, reads members into memory (nothing is ever extracted to
disk) and reports any problem as a one-line ProjectFileError.
"""

from __future__ import annotations

import io
import json
import math
import os
import time
import zipfile
from typing import IO, Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from .document import Document
from .hints import HintsError, hints_to_json, parse_hints, validate_hints
from .image_io import (
    MAX_PIXELS,
    ImageFileError,
    PathLike,
    atomic_write,
    check_pixel_count,
    check_readable_file,
    image_to_array,
    megapixels,
    pillow_size_guard,
    read_error_reason,
    refuse_source_overwrite,
)
from .layer import Layer

PROJECT_EXTENSION = ".inpaint"
PROJECT_FILTER = f"inpaint-desktop projects (*{PROJECT_EXTENSION})"
FORMAT_NAME = "inpaint-desktop-project"
VERSION = 1

_PNG_LEVEL = 1
_MAX_JSON_BYTES = 16 << 20
_MAX_ICC_BYTES = 16 << 20
_MAX_EXIF_BYTES = 16 << 20  # JPEG caps EXIF at 64 KB; PNG and WebP allow more
_EXIF_HEADER = b"Exif\x00\x00"
_MAX_OFFSET = 1 << 30
# Layers may together exceed the canvas (an Erase result over the base image), but not by
# more than this factor of max_pixels: a hostile file must not be able to demand any memory.
_LAYER_PIXELS_FACTOR = 4


class ProjectFileError(ImageFileError):
    """A project file could not be saved or opened; one line naming the file and the reason."""


# --- saving ----------------------------------------------------------------------------------

def save_project(doc: Document, path: PathLike) -> None:
    """Write `doc` to `path` atomically (temporary file, fsync, rename).

    Refuses to write over the photo the document was opened from."""
    path = os.fspath(path)
    try:
        refuse_source_overwrite(doc, path, "save the project as")
    except ImageFileError as e:
        raise ProjectFileError(str(e), path=path, reason=e.reason) from None
    layers_json = []
    members: list[tuple[str, np.ndarray, str]] = []  # (name, array, PIL mode)
    for i, layer in enumerate(doc.layers):
        file = f"layers/{i}.png"
        alpha_file = None if layer.alpha is None else f"layers/{i}-alpha.png"
        members.append((file, layer.pixels, "RGB"))
        if alpha_file is not None:
            members.append((alpha_file, layer.alpha, "L"))
        layers_json.append({
            "name": str(layer.name), "file": file, "alpha_file": alpha_file,
            "x": int(layer.x), "y": int(layer.y),
            "width": int(layer.width), "height": int(layer.height),
            "opacity": float(layer.opacity), "visible": bool(layer.visible),
            "follows_hints": bool(layer.follows_hints),
        })
    members.append(("mask.png", doc.mask, "L"))
    for name, array, mode in members:
        shape_ok = array.ndim == (3 if mode == "RGB" else 2)
        if array.dtype != np.uint8 or not shape_ok:
            raise ValueError(f"{name}: expected uint8 {mode} pixels, got {array.shape} "
                             f"{array.dtype}")
    manifest = {
        "format": FORMAT_NAME, "version": VERSION,
        "width": int(doc.width), "height": int(doc.height),
        "layers": layers_json, "mask": "mask.png",
        "icc_profile": "icc.bin" if doc.icc_profile else None,
        "exif": "exif.bin" if doc.exif else None,
        "source_path": None if doc.source_path is None else os.fspath(doc.source_path),
        "hints": json.loads(hints_to_json(doc.hints))["points"],
    }

    def write(f: IO[bytes]) -> None:
        with zipfile.ZipFile(f, "w") as zf:
            zf.writestr("project.json", json.dumps(manifest, indent=2, ensure_ascii=False),
                        compress_type=zipfile.ZIP_DEFLATED)
            if doc.icc_profile:
                zf.writestr("icc.bin", bytes(doc.icc_profile),
                            compress_type=zipfile.ZIP_DEFLATED)
            if doc.exif:
                zf.writestr("exif.bin", bytes(doc.exif), compress_type=zipfile.ZIP_DEFLATED)
            for name, array, _mode in members:
                image = Image.fromarray(np.ascontiguousarray(array))  # RGB or L
                info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                info.external_attr = 0o644 << 16
                # Streamed into the archive: no second in-memory copy of a big layer.
                with zf.open(info, "w", force_zip64=True) as member:
                    image.save(member, format="PNG", compress_level=_PNG_LEVEL)

    try:
        atomic_write(path, write, action="save the project")
    except ProjectFileError:
        raise
    except ImageFileError as e:
        raise ProjectFileError(str(e), path=path, reason=e.reason) from e


# --- loading ---------------------------------------------------------------------------------

def load_project(path: PathLike, max_pixels: int = MAX_PIXELS) -> Document:
    """Read a project file back into a Document (new layer ids, everything else as saved)."""
    path = os.fspath(path)
    try:
        check_readable_file(path, "open the project")
    except ImageFileError as e:
        raise ProjectFileError(str(e), path=path, reason=e.reason) from None
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
        raise _error(path, "it is not an inpaint-desktop project (not a zip archive), or its "
                     "end is missing") from e
    except OSError as e:
        raise _error(path, read_error_reason(e)) from e
    try:
        with zf:
            return _Reader(zf, path, max_pixels).document()
    except ProjectFileError:
        raise
    except zipfile.BadZipFile as e:
        raise _error(path, f"the file is damaged ({_short(e)})") from e
    except MemoryError as e:
        raise _error(path, "not enough memory to open it") from e
    except Exception as e:  # zlib.error, EOFError, OSError, ... from a damaged archive
        raise _error(path, read_error_reason(e)) from e


def _error(path: str, reason: str) -> ProjectFileError:
    reason = " ".join(reason.split())
    return ProjectFileError(f"cannot open the project {os.path.basename(path)}: {reason}",
                            path=path, reason=reason)


class _Reader:
    def __init__(self, zf: zipfile.ZipFile, path: str, max_pixels: int):
        self.zf = zf
        self.path = path
        self.max_pixels = max_pixels
        self.infos = {}
        for info in zf.infolist():
            if not _safe_name(info.filename):
                raise self.error(f"the archive holds a member with an unsafe name "
                                 f"({_json(info.filename)})")
            self.infos[info.filename] = info

    def error(self, reason: str) -> ProjectFileError:
        return _error(self.path, reason)

    def document(self) -> Document:
        meta = self.manifest()
        width = self.size_field(meta, "width", "project.json")
        height = self.size_field(meta, "height", "project.json")
        try:
            check_pixel_count(self.path, (width, height), self.max_pixels, "open the project")
        except ImageFileError as e:
            raise self.error(e.reason) from None
        layer_specs = meta.get("layers")
        if not isinstance(layer_specs, list):
            raise self.error("project.json: 'layers' must be a list")
        specs = [self.layer_spec(i, spec) for i, spec in enumerate(layer_specs)]
        total = sum(s["width"] * s["height"] for s in specs)
        if total > _LAYER_PIXELS_FACTOR * self.max_pixels:
            raise self.error(f"the layers hold {megapixels(total)} megapixels in all, more "
                             f"than {_LAYER_PIXELS_FACTOR} x the {megapixels(self.max_pixels)} "
                             "megapixel limit")
        mask_file = self.member_field(meta, "mask", "project.json", optional=False)
        icc_file = self.member_field(meta, "icc_profile", "project.json", optional=True)
        exif_file = self.member_field(meta, "exif", "project.json", optional=True)
        source = meta.get("source_path")
        if source is not None and not isinstance(source, str):
            raise self.error("project.json: 'source_path' must be a string or null")
        hints = self.hints(meta, width, height)

        icc = None
        if icc_file is not None:
            icc = self.read(icc_file, _MAX_ICC_BYTES) or None
        exif = None
        if exif_file is not None:
            exif = self.read(exif_file, _MAX_EXIF_BYTES) or None
            if exif is not None and not exif.startswith(_EXIF_HEADER):
                raise self.error(f"{exif_file} is not an EXIF block")
        layers = []
        for s in specs:
            pixels = self.png(s["file"], s["width"], s["height"], "RGB")
            alpha = None
            if s["alpha_file"] is not None:
                alpha = self.png(s["alpha_file"], s["width"], s["height"], "L")
            layers.append(Layer(name=s["name"], pixels=pixels, alpha=alpha, x=s["x"], y=s["y"],
                                opacity=s["opacity"], visible=s["visible"],
                                follows_hints=s["follows_hints"]))
        mask = self.png(mask_file, width, height, "L", what=f"the mask {mask_file}")
        return Document(width=width, height=height, layers=layers, mask=mask,
                        source_path=source, icc_profile=icc, exif=exif, hints=hints)

    # --- project.json ---------------------------------------------------------------------
    def manifest(self) -> dict:
        if "project.json" not in self.infos:
            raise self.error("it is not an inpaint-desktop project (no project.json inside)")
        data = self.read("project.json", _MAX_JSON_BYTES)
        try:
            meta = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise self.error(f"project.json is not valid JSON ({_short(e)})") from None
        if not isinstance(meta, dict):
            raise self.error("project.json is not a JSON object")
        if meta.get("format") != FORMAT_NAME:
            raise self.error(f"project.json: not an inpaint-desktop project (format is "
                             f"{_json(meta.get('format'))})")
        version = meta.get("version")
        if not _is_int(version) or version < 1:
            raise self.error(f"project.json: invalid version {_json(version)}")
        if version > VERSION:
            raise self.error(f"it was saved by a newer version of inpaint-desktop (project "
                             f"format {version}; this version reads up to {VERSION})")
        return meta

    def hints(self, meta: dict, width: int, height: int) -> list:
        points = meta.get("hints")  # projects saved before hints existed have none
        if points is None:
            return []
        if not isinstance(points, list):
            raise self.error("project.json: 'hints' must be a list of [x, y, \"#rrggbb\"]")
        try:
            hints = parse_hints(json.dumps({"points": points}))
            return validate_hints(hints, width, height)
        except HintsError as e:
            raise self.error(f"project.json: hints: {e}") from None

    def layer_spec(self, i: int, spec: Any) -> dict:
        where = f"layer {i + 1}"
        if not isinstance(spec, dict):
            raise self.error(f"project.json: {where} is not a JSON object")
        name = spec.get("name")
        if not isinstance(name, str):
            raise self.error(f"project.json: {where} has no name")
        out: dict[str, Any] = {"name": name}
        out["file"] = self.member_field(spec, "file", where, optional=False)
        out["alpha_file"] = self.member_field(spec, "alpha_file", where, optional=True)
        out["width"] = self.size_field(spec, "width", where)
        out["height"] = self.size_field(spec, "height", where)
        if out["width"] * out["height"] > self.max_pixels:
            raise self.error(f"{where} is too large: {out['width']} x {out['height']} pixels, "
                             f"the limit is {megapixels(self.max_pixels)} megapixels")
        for key in ("x", "y"):
            value = spec.get(key, 0)
            if not _is_int(value) or abs(value) > _MAX_OFFSET:
                raise self.error(f"project.json: {where} has an invalid {key} offset")
            out[key] = int(value)
        opacity = spec.get("opacity", 1.0)
        if isinstance(opacity, bool) or not isinstance(opacity, (int, float)) \
                or not math.isfinite(opacity) or not 0 <= opacity <= 1:
            raise self.error(f"project.json: {where} has an invalid opacity")
        out["opacity"] = float(opacity)
        visible = spec.get("visible", True)
        if not isinstance(visible, bool):
            raise self.error(f"project.json: {where} has an invalid 'visible'")
        out["visible"] = visible
        follows = spec.get("follows_hints", False)  # projects before issue 17 have none
        if not isinstance(follows, bool):
            raise self.error(f"project.json: {where} has an invalid 'follows_hints'")
        out["follows_hints"] = follows
        return out

    def size_field(self, obj: dict, key: str, where: str) -> int:
        value = obj.get(key)
        if not _is_int(value) or not 0 < value <= 10_000_000:
            raise self.error(f"project.json: {_subject(where)}invalid {key} "
                             f"({_json(value)})")
        return int(value)

    def member_field(self, obj: dict, key: str, where: str, *, optional: bool) -> str | None:
        name = obj.get(key)
        if name is None and optional:
            return None
        if not isinstance(name, str) or not _safe_name(name):
            raise self.error(f"project.json: {_subject(where)}invalid {key!r} "
                             f"({_json(name)})")
        if name not in self.infos:
            owner = "" if where == "project.json" else f" ({where})"
            raise self.error(f"{name} is missing from the archive{owner}")
        return name

    # --- members -----------------------------------------------------------------------------
    def read(self, name: str, limit: int) -> bytes:
        """A member's bytes, refusing more than `limit` (zip headers can lie)."""
        if self.infos[name].file_size > limit:
            raise self.error(f"{name} is larger than its content allows")
        with self.zf.open(self.infos[name]) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise self.error(f"{name} is larger than its content allows")
        return data

    def png(self, name: str, width: int, height: int, mode: str, what: str = "") -> np.ndarray:
        channels = len(mode)
        # Even uncompressed, a PNG is little more than its pixels plus a filter byte per row.
        limit = width * height * channels + height + (width * height * channels) // 64 \
            + (1 << 20)
        data = self.read(name, limit)
        try:
            with pillow_size_guard(self.max_pixels), \
                    Image.open(io.BytesIO(data), formats=["PNG"]) as im:
                if im.size != (width, height):
                    raise self.error(
                        f"{what or name} is {im.size[0]} x {im.size[1]} pixels but should be "
                        f"{width} x {height}" + (" (the canvas size)" if what else ""))
                if im.mode != mode:
                    raise self.error(f"{name} has colour mode {im.mode}, expected {mode}")
                im.load()
                return image_to_array(im)
        except ProjectFileError:
            raise
        except UnidentifiedImageError as e:
            raise self.error(f"{name} is not a PNG image") from e
        except Exception as e:
            raise self.error(f"{name}: {read_error_reason(e)}") from e


def _safe_name(name: str) -> bool:
    """A relative archive path without '..', drive letters or backslashes."""
    if not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name:
        return False
    return all(part not in ("..", "") for part in name.rstrip("/").split("/"))


def _subject(where: str) -> str:
    """ "invalid width" for project.json itself, "layer 2 has an invalid width" for a layer."""
    return "" if where == "project.json" else f"{where} has an "


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json(value: Any) -> str:
    """A value from project.json as it was written there: -40, "40", true, null."""
    try:
        return _short(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError):
        return _short(value)


def _short(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 60 else text[:57] + "..."
