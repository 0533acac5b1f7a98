"""Turn a file into an upright RGB image no larger than the pipeline needs, and say what the
photo is: its size, format and metadata, with the sidecars beside it.

Decoding is where bad input bites: truncated data, files that lie about their type, and
decompression bombs. Every such case becomes a `DecodeError` with a sentence a person can act
on. Peak memory is bounded by asking the JPEG decoder for a reduced image (DCT scaling) and by
refusing other formats whose full decode would exceed `max_pixels`.

The metadata is read while the file is open anyway (`node.media.metadata`), so every indexing
stage shares one reading of it; `read_header` gives the same without decoding any pixel, for
stages that need only what the photo says about itself.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from node.library.schema import PhotoRecord
from node.media.beside import beside
from node.media.exif import TAG_ORIENTATION, PhotoMeta, read_meta
from node.media.formats import MEDIA_SUFFIXES, PILLOW_FORMATS, Kind, kind_of
from node.media.metadata import PhotoInfo, describe
from node.media.raw import RawError, open_preview
from protocol.errors import RoostError

__all__ = ["MEDIA_SUFFIXES", "DecodeError", "Decoded", "Header", "decode", "read_header"]


class DecodeError(RoostError):
    """The file cannot be used as a photo; the message says why."""


@dataclass(frozen=True)
class Header:
    """What a photo says about itself, read without decoding its pixels."""

    width: int  # the original's upright size, in pixels
    height: int
    format: str
    meta: PhotoMeta  # what the file itself says
    stored_size: tuple[int, int]  # the pixels as stored, before EXIF orientation
    info: PhotoInfo  # the metadata resolved with its sidecars, field by field with sources

    def record(self, digest: str) -> PhotoRecord:
        """The photo's `media` row: the resolved date (the file's time when nothing else
        says), place and camera."""
        at, source = self.info.taken.at, str(self.info.taken.source)
        return PhotoRecord(digest, self.format, self.width, self.height, at, source,
                           self.info.lat, self.info.lon, self.meta.camera)  # fmt: skip


@dataclass(frozen=True)
class Decoded(Header):
    """An upright RGB working image and what is known about the original."""

    image: Image.Image
    _copies: dict[int, Image.Image] = field(default_factory=dict, compare=False, repr=False)

    @property
    def scale(self) -> float:
        """Working-image pixels per original pixel (≤ 1)."""
        return self.image.width / self.width

    def at_most(self, side: int) -> Image.Image:
        """The working image no longer than `side`, made once from it and shared by every stage
        that asks for that side: a stage that works on a smaller copy never decodes again.
        Stages of one photo run one after another, so the copy is made once."""
        if max(self.image.size) <= side:
            return self.image
        if side not in self._copies:
            small = self.image.copy()
            small.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
            self._copies[side] = small
        return self._copies[side]


def read_header(path: Path) -> Header:
    """The photo's size, format and metadata; its pixels are not decoded."""
    with _opened(path) as (image, kind):
        return _header(path, image, kind)


def decode(path: Path, *, work_side: int, max_pixels: int) -> Decoded:
    """Decode `path` so that its long side is at most `work_side` pixels."""
    with _opened(path) as (image, kind):
        header = _header(path, image, kind)
        width, height = header.stored_size
        if kind == "JPEG":
            # DCT scaling: decode at 1/2, 1/4 or 1/8 size, still at least work_side long.
            ratio = work_side / max(width, height)
            image.draft("RGB", (max(1, int(width * ratio)), max(1, int(height * ratio))))
        decoded_pixels = image.size[0] * image.size[1]
        if decoded_pixels > max_pixels:
            raise DecodeError(
                f"image too large: {width}x{height} would need {decoded_pixels / 1e6:.0f} "
                f"megapixels decoded, over the limit of {max_pixels / 1e6:.0f} "
                "(a decompression bomb, or a panorama too big to index)"
            )
        try:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            rgb = upright.convert("RGB")
        except (OSError, ValueError, SyntaxError, RuntimeError) as exc:
            raise DecodeError(f"corrupt or truncated image data ({exc})") from exc
    rgb.thumbnail((work_side, work_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return Decoded(**vars(header), image=rgb)


@contextmanager
def _opened(path: Path) -> Iterator[tuple[ImageFile.ImageFile, str]]:
    """The opened image and its format's name; every way of failing is a `DecodeError`."""
    try:
        with warnings.catch_warnings():
            # Pillow's own guard warns above ~89 MP; JPEGs that large still decode small through
            # DCT scaling, so the size check in `decode` decides. Its hard error (~179 MP) stays.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image, kind = _open(path)
    except RawError as exc:
        raise DecodeError(str(exc)) from exc
    except Image.DecompressionBombError as exc:
        raise DecodeError(f"image too large to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise DecodeError("not a recognisable image: the content matches no image format") from exc
    except PermissionError as exc:
        raise DecodeError("permission denied") from exc
    except OSError as exc:
        raise DecodeError(f"cannot open: {exc.strerror or exc}") from exc
    except RuntimeError as exc:  # libjxl's binding reports a corrupt header this way
        raise DecodeError(f"corrupt image header ({exc})") from exc
    with image:
        if kind is None:
            raise DecodeError(f"unsupported image format {image.format}")
        yield image, kind


def _header(path: Path, image: ImageFile.ImageFile, kind: str) -> Header:
    stored = width, height = image.size
    if width <= 0 or height <= 0:
        raise DecodeError("image has no pixels")
    meta = read_meta(image)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DecodeError(f"cannot read: {exc.strerror or exc}") from exc
    info = describe(
        path,
        meta,
        stored_size=stored,
        file_size=st.st_size,
        mtime=datetime.fromtimestamp(st.st_mtime_ns / 1e9).astimezone(),
        beside=beside(path),
    )
    if meta.orientation in (5, 6, 7, 8):  # a quarter turn swaps the upright dimensions
        width, height = height, width
    return Header(width, height, kind, meta, stored, info)


def _open(path: Path) -> tuple[ImageFile.ImageFile, str | None]:
    """The opened image and its format's name (None: a format Roost does not index).

    A RAW file opens as its embedded preview, turned as the camera recorded unless the preview
    says otherwise; the metadata is the preview's (cameras copy their EXIF into it).
    """
    if kind_of(path) != Kind.RAW:
        image = Image.open(path)
        return image, PILLOW_FORMATS.get(image.format or "")
    image, orientation = open_preview(path)
    exif = image.getexif()
    if exif.get(TAG_ORIENTATION, 1) == 1 and orientation != 1:
        exif[TAG_ORIENTATION] = orientation  # read by read_meta and exif_transpose below
    return image, "RAW"
