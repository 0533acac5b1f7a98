"""Apple Live Photos: a still (HEIC or JPEG) and a short MOV that are one moment.

The camera writes the same content identifier (a UUID) into both: the still's Apple maker note
(tag 0x0011) and the MOV's QuickTime metadata (`com.apple.quicktime.content.identifier`). Files
pair on that identifier; copies that lost their metadata (exports, messaging apps) pair on the
name instead — the same stem in the same folder (`IMG_0001.HEIC` + `IMG_0001.MOV`), which is
how the camera names them. The MOV is the still's moving part, noted with the still
(`live_video` in `photo_sources`) so that video indexing can pick it up; it is not a photo of
its own.

Both readers are bounded: the maker note is at most a few kilobytes of a block Pillow already
read, and the MOV reader walks box headers only, reading no more than one metadata box.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

CONTENT_ID_KEY = b"com.apple.quicktime.content.identifier"
_APPLE = b"Apple iOS\x00"
_MAX_META = 1 << 20  # a MOV's metadata box is a few hundred bytes
_MAX_BOXES = 10_000
_MAX_CACHED = 4096
_ids: dict[tuple[str, int, int], str | None] = {}
_ids_lock = threading.Lock()  # stills are described on several threads


def still_content_id(maker_note: bytes | None) -> str | None:
    """The content identifier in an Apple maker note: `Apple iOS\\0`, version, `MM`, an IFD
    whose value offsets count from the start of the note."""
    if not maker_note or not maker_note.startswith(_APPLE) or len(maker_note) < 16:
        return None
    order = {b"MM": ">", b"II": "<"}.get(maker_note[12:14])
    if order is None:
        return None
    try:
        (count,) = struct.unpack_from(order + "H", maker_note, 14)
        for n in range(min(count, 512)):
            tag, kind, length, value = struct.unpack_from(order + "HHII", maker_note, 16 + 12 * n)
            if tag == 0x0011 and kind == 2:  # ASCII
                data = maker_note[value : value + length] if length > 4 else b""
                return _uuid_text(data)
    except struct.error:
        return None
    return None


def video_content_id(path: Path) -> str | None:
    """The content identifier in a QuickTime file's `moov/meta` (keys + ilst), if any."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            moov = _find(f, 0, size, b"moov")
            meta = moov and _find(f, moov[0], moov[1], b"meta")
            if not meta or meta[1] - meta[0] > _MAX_META:
                return None
            f.seek(meta[0])
            return _content_id(f.read(meta[1] - meta[0]))
    except (OSError, struct.error, ValueError):
        return None


def _find(f: BinaryIO, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """The payload [start, end) of the first box of `kind` among the boxes in [start, end)."""
    at = start
    for _ in range(_MAX_BOXES):
        if at + 8 > end:
            return None
        f.seek(at)
        header = f.read(16)
        length, box = struct.unpack(">I4s", header[:8])
        body = at + 8
        if length == 1:
            (length,) = struct.unpack(">Q", header[8:16])
            body = at + 16
        elif length == 0:
            length = end - at
        if length < body - at or at + length > end:
            raise ValueError("box overruns its parent")
        if box == kind:
            return body, at + length
        at += length
    return None


def _content_id(meta: bytes) -> str | None:
    """Look the content identifier up through `keys` (index → name) and `ilst` (index → data)."""
    boxes = dict(_children(meta))
    if not boxes:  # an ISO-style `meta` is a full box: version and flags come first
        boxes = dict(_children(meta[4:]))
    if b"keys" not in boxes or b"ilst" not in boxes:
        return None
    keys = boxes[b"keys"]
    (count,) = struct.unpack_from(">I", keys, 4)
    names, at = {}, 8
    for index in range(1, min(count, 1024) + 1):
        length = struct.unpack_from(">I", keys, at)[0]
        names[index] = keys[at + 8 : at + length]
        at += max(length, 8)
    for item, body in _children(boxes[b"ilst"]):
        index = int.from_bytes(item, "big")
        if names.get(index) == CONTENT_ID_KEY:
            for kind, data in _children(body):
                if kind == b"data":
                    return _uuid_text(data[8:])
    return None


def _children(data: bytes) -> Iterable[tuple[bytes, bytes]]:
    at = 0
    while at + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        if length < 8 or at + length > len(data):
            return
        yield kind, data[at + 8 : at + length]
        at += length


def _uuid_text(data: bytes) -> str | None:
    text = data.split(b"\x00", 1)[0].decode("ascii", "replace").strip().upper()
    return text if 8 <= len(text) <= 64 else None


def video_for(still: Path, content_id: str | None, videos: Sequence[Path]) -> Path | None:
    """The Live Photo video of `still` among `videos` (those in its folder), if any.

    Identifiers decide where both sides have one: the video carrying the still's identifier,
    whatever its name (the same-named one is tried first). Otherwise the video of the same
    stem does (case-insensitively), unless both carry identifiers and they differ.
    """
    stem = still.stem.casefold()
    same = [v for v in videos if v.stem.casefold() == stem]
    if content_id:
        for video in [*same, *(v for v in videos if v not in same)]:
            if _cached_id(video) == content_id:
                return video
    for video in same:
        if not content_id or _cached_id(video) is None:
            return video
    return None


def _cached_id(video: Path) -> str | None:
    """`video_content_id`, read once per file version: stills in a folder of Live Photos
    would otherwise read every MOV's boxes each."""
    try:
        st = os.stat(video)
    except OSError:
        return None
    key = (str(video), st.st_size, st.st_mtime_ns)
    with _ids_lock:
        if key in _ids:
            return _ids[key]
    found = video_content_id(video)
    with _ids_lock:
        _ids[key] = found
        while len(_ids) > _MAX_CACHED:
            _ids.pop(next(iter(_ids)))
    return found
