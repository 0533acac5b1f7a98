"""Which files are photos and which are videos, by their suffix.

A photo is decoded once and shared by the stages that read images; a video is read by the
stage that understands it (`node.index.video`). The suffix only decides which reader tries the
file: each then checks what the content really is, and refuses what it is not.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from node.media import formats


class MediaKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


def kind_of(path: str | Path) -> MediaKind | None:
    """What the file at `path` is meant to be, or None if Roost does not index it (a RAW file
    is a photo: its embedded preview is decoded)."""
    return _KINDS[formats.kind_of(path)]


_KINDS = {
    formats.Kind.PHOTO: MediaKind.PHOTO,
    formats.Kind.RAW: MediaKind.PHOTO,
    formats.Kind.VIDEO: MediaKind.VIDEO,
    formats.Kind.OTHER: None,
}
