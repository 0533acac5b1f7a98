"""Turn a file into an upright RGB image no larger than the pipeline needs.

Decoding is where bad input bites: truncated data, files that lie about their type, and
decompression bombs. Every such case becomes a `DecodeError` with a sentence a person can act
on. Peak memory is bounded by asking the JPEG decoder for a reduced image (DCT scaling) and by
refusing other formats whose full decode would exceed `max_pixels`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from node.media.exif import PhotoMeta, read_meta
from protocol.errors import RoostError

# File suffixes worth opening; anything else is counted as "not media" without being read.
MEDIA_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".heic", ".heif", ".hif"}
)
# What the content must turn out to be, whatever the suffix claimed.
_FORMATS = {
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "TIFF": "TIFF",
    "HEIF": "HEIF",
}


class DecodeError(RoostError):
    """The file cannot be used as a photo; the message says why."""


@dataclass(frozen=True)
class Decoded:
    """An upright RGB working image and what is known about the original."""

    image: Image.Image
    width: int  # the original's upright size, in pixels
    height: int
    format: str
    meta: PhotoMeta
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


def decode(path: Path, *, work_side: int, max_pixels: int) -> Decoded:
    """Decode `path` so that its long side is at most `work_side` pixels."""
    try:
        with warnings.catch_warnings():
            # Pillow's own guard warns above ~89 MP; JPEGs that large still decode small through
            # DCT scaling, so the size check below decides. Its hard error (~179 MP) stays.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise DecodeError(f"image too large to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise DecodeError("not a recognisable image: the content matches no image format") from exc
    except PermissionError as exc:
        raise DecodeError("permission denied") from exc
    except OSError as exc:
        raise DecodeError(f"cannot open: {exc.strerror or exc}") from exc
    with image:
        kind = _FORMATS.get(image.format or "")
        if kind is None:
            raise DecodeError(f"unsupported image format {image.format}")
        width, height = image.size
        if width <= 0 or height <= 0:
            raise DecodeError("image has no pixels")
        meta = read_meta(image)
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
        except (OSError, ValueError, SyntaxError) as exc:
            raise DecodeError(f"corrupt or truncated image data ({exc})") from exc
    rgb.thumbnail((work_side, work_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    if meta.orientation in (5, 6, 7, 8):  # a quarter turn swaps the upright dimensions
        width, height = height, width
    return Decoded(image=rgb, width=width, height=height, format=kind, meta=meta)
