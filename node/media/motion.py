"""Motion photos: a still with a short video appended to the same file (Samsung, Google Pixel).

The still is the photo and is indexed like any other. The clip is located, checked and noted
(offset and length inside the file) so that video indexing can read it in place later without
extracting anything. Two layouts are read, both declared in the still's XMP:

- `GCamera:MotionPhoto` with a `Container:Directory` (Google's Motion Photo format 1, also used
  by Samsung One UI 6+ for HEIC and JPEG): items are laid end to end after the primary image,
  so the video starts where the lengths of it and the items after it, counted from the end of
  the file, begin.
- `GCamera:MicroVideo` with `GCamera:MicroVideoOffset` (older Pixel phones): the clip is the
  last `offset` bytes of the file.

A declared clip is believed only if an ISO media `ftyp` box is really there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from node.media import xmp


@dataclass(frozen=True)
class Clip:
    """A video stored inside another file, at [offset, offset + length)."""

    offset: int
    length: int
    mime: str


def embedded_clip(props: xmp.Properties, path: Path, size: int) -> Clip | None:
    """The motion photo's clip, if the XMP declares one and the bytes agree."""
    clip = _from_directory(props, size) or _from_micro_video(props, size)
    if clip is None or clip.offset <= 0 or clip.offset + clip.length > size:
        return None
    try:
        with open(path, "rb") as f:
            f.seek(clip.offset)
            head = f.read(12)
    except OSError:
        return None
    return clip if head[4:8] == b"ftyp" else None


def _from_directory(props: xmp.Properties, size: int) -> Clip | None:
    if xmp.text(props, "GCamera:MotionPhoto") != "1":
        return None
    listed = props.get("Container:Directory")
    items = [
        xmp.struct(xmp.struct(i).get("Container:Item"))
        for i in (listed if isinstance(listed, list) else [])
    ]
    end = size
    for item in reversed(items[1:]):  # the primary image comes first and is not appended
        length = _int(xmp.text(item, "Item:Length"))
        if length is None or length <= 0:
            return None
        start = end - length
        if xmp.text(item, "Item:Semantic") == "MotionPhoto":
            return Clip(start, length, xmp.text(item, "Item:Mime") or "video/mp4")
        end = start
    return None


def _from_micro_video(props: xmp.Properties, size: int) -> Clip | None:
    if xmp.text(props, "GCamera:MicroVideo") != "1":
        return None
    length = _int(xmp.text(props, "GCamera:MicroVideoOffset"))
    return Clip(size - length, length, "video/mp4") if length and 0 < length < size else None


def _int(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None
