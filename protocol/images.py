"""The pixel size an image declares in its header: JPEG and WebP, the formats a search hit's
thumbnail may be (`protocol.search`).

A family device's answer brings up to `MAX_HITS` thumbnails, each checked for size as it
arrives. PIL read every segment before a JPEG's frame header in Python, quantisation and
Huffman tables included: half of what reading a whole answer cost the asking device. Here a
JPEG's segments are stepped over by their lengths up to the start of the scan, and a WebP's
first chunk is read, and anything that cannot be followed so is refused. A JPEG that declares
more than one frame header is refused too: a reader that took the last one could be shown a
different size than the one checked. The body is decoded only where a thumbnail is shown, and
that decoder checks the size it finds again (`tui.widgets.images.peer_thumbnail`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum


class ImageFormat(StrEnum):
    JPEG = "JPEG"
    WEBP = "WEBP"


@dataclass(frozen=True)
class ImageSize:
    format: ImageFormat
    width: int
    height: int


# Start-of-frame markers (baseline, extended, progressive, lossless; Huffman or arithmetic).
_FRAME = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and the restart markers
_START_OF_SCAN, _START_OF_IMAGE, _END_OF_IMAGE = 0xDA, 0xD8, 0xD9


def image_size(data: bytes) -> ImageSize | None:
    """The format and size `data`'s header declares, or None: not a JPEG or WebP whose header
    can be followed as far as its size."""
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    return None


def _jpeg(data: bytes) -> ImageSize | None:
    """The one frame header's size, found by stepping from segment to segment until the scan
    starts."""
    at, size = 2, None
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # a fill byte before the marker
            at += 1
            continue
        if marker in _NO_LENGTH:
            at += 2
            continue
        if marker in (_START_OF_IMAGE, _END_OF_IMAGE):
            return None
        if marker == _START_OF_SCAN:
            return size
        (length,) = struct.unpack_from(">H", data, at + 2)
        if length < 2:
            return None
        if marker in _FRAME:
            if size is not None or length < 8 or at + 9 > len(data):
                return None
            height, width = struct.unpack_from(">HH", data, at + 5)
            size = ImageSize(ImageFormat.JPEG, width, height)
        at += 2 + length
    return None


def _webp(data: bytes) -> ImageSize | None:
    """The size of the first chunk: a lossy frame ("VP8 "), a lossless one ("VP8L") or the
    canvas of an extended file ("VP8X")."""
    chunk, body = data[12:16], data[20:30]
    if chunk == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", body, 6)
        return ImageSize(ImageFormat.WEBP, width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        (bits,) = struct.unpack_from("<I", body, 1)
        return ImageSize(ImageFormat.WEBP, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X" and len(body) >= 10:
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        return ImageSize(ImageFormat.WEBP, width, height)
    return None
