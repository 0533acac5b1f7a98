"""Which files are photos, and the decoders that open them.

Pillow decodes JPEG, PNG, WebP, TIFF and AVIF itself (13.0 bundles libavif). HEIC/HEIF comes
through pillow-heif (libheif) and JPEG XL through pillow-jxl-plugin (libjxl bound from Rust);
both are maintained Pillow plugins, so every format goes through the same `Image.open` with the
same size guards. RAW files go through rawpy (LibRaw), which reads the camera's embedded JPEG
preview: see `node.media.raw`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path


class Kind(StrEnum):
    """What a file is to Roost, by its suffix, before anything is read."""

    PHOTO = "photo"
    RAW = "raw"
    VIDEO = "video"
    OTHER = "other"


PHOTO_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".heic", ".heif", ".hif"}
    | {".avif", ".jxl"}
)
RAW_SUFFIXES = frozenset(
    {".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf", ".orf", ".rw2"}
    | {".pef", ".srw", ".x3f", ".3fr", ".iiq", ".erf", ".kdc", ".mrw", ".rwl"}
)
MEDIA_SUFFIXES = PHOTO_SUFFIXES | RAW_SUFFIXES  # what is indexed as a still
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".3gp", ".3g2", ".mkv", ".webm", ".avi"})

# What the content must turn out to be once opened, whatever the suffix claimed.
PILLOW_FORMATS = {
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "TIFF": "TIFF",
    "HEIF": "HEIF",
    "AVIF": "AVIF",
    "JXL": "JPEG XL",
}


def kind_of(path: str | Path) -> Kind:
    suffix = Path(path).suffix.lower()
    if suffix in PHOTO_SUFFIXES:
        return Kind.PHOTO
    if suffix in RAW_SUFFIXES:
        return Kind.RAW
    if suffix in VIDEO_SUFFIXES:
        return Kind.VIDEO
    return Kind.OTHER


def register_openers() -> None:
    """Teach Pillow HEIC/HEIF and JPEG XL; AVIF it knows."""
    import pillow_heif
    import pillow_jxl  # noqa: F401  (registers the JXL plugin on import)

    pillow_heif.register_heif_opener()
