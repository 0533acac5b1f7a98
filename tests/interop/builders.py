"""Other apps' layouts built at test time from the real photos and video in ../shared.

Nothing here is committed media: each helper copies a real file into a temporary folder and
adds what another app would have added — an Apple maker note, a QuickTime content identifier,
Takeout's JSON beside a photo — with the byte layouts those apps write.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from PIL import Image

import node.media  # noqa: F401  (the AVIF, HEIC and JPEG XL openers, for writing test files)
from tests.conftest import TESTDATA

VIDEO = TESTDATA.parent / "testvideo" / "short_hamilton_clip.mp4"
INTEROP = TESTDATA.parent / "interop" / "immich-test-assets"


def apple_maker_note(content_id: str) -> bytes:
    """An Apple iOS maker note holding ContentIdentifier (tag 0x0011) and nothing else."""
    value = content_id.encode() + b"\x00"
    header = b"Apple iOS\x00" + b"\x00\x01" + b"MM"
    entries = struct.pack(">H", 1)
    offset = len(header) + len(entries) + 12 + 4  # the value follows the IFD
    entries += struct.pack(">HHII", 0x0011, 2, len(value), offset) + struct.pack(">I", 0)
    return header + entries + value


def live_still(source: Path, target: Path, content_id: str | None) -> Path:
    """A copy of a real photo as an iPhone writes a Live Photo's still (JPEG here)."""
    with Image.open(source) as image:
        exif = image.getexif()
        if content_id is not None:
            exif.get_ifd(0x8769)[0x927C] = apple_maker_note(content_id)
        image.save(target, exif=exif, quality=90)
    return target


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def live_mov(target: Path, content_id: str | None) -> Path:
    """The real test clip with the QuickTime metadata a Live Photo's MOV carries: `moov/meta`
    with an `mdta` handler, a `keys` list and an `ilst` item (the clip's moov is its last box,
    so growing it moves no sample)."""
    data = VIDEO.read_bytes()
    at = 0
    while at < len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        if kind == b"moov":
            break
        at += length
    moov = data[at + 8 : at + length]
    if content_id is not None:
        key = b"com.apple.quicktime.content.identifier"
        hdlr = _box(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 13)
        keys = _box(b"keys", b"\x00" * 4 + struct.pack(">I", 1) + _box(b"mdta", key))
        value = _box(b"data", struct.pack(">II", 1, 0) + content_id.encode())
        ilst = _box(b"ilst", _box(struct.pack(">I", 1), value))
        moov += _box(b"meta", hdlr + keys + ilst)
    target.write_bytes(data[:at] + _box(b"moov", moov) + data[at + length :])
    return target


def stripped_copy(source: Path, target: Path, *, quality: int = 90) -> Path:
    """The photo's pixels without any metadata, as Google Photos often hands them back (a
    different `quality` stands for an edited copy: other bytes, same picture)."""
    with Image.open(source) as image:
        image.convert("RGB").save(target, quality=quality)
    return target


def takeout_json(
    target: Path,
    *,
    title: str,
    taken: int | None = None,
    lat: float = 0.0,
    lon: float = 0.0,
    description: str = "",
    people: list[str] | None = None,
) -> Path:
    """A sidecar shaped like Google Takeout's (fields and their empty values as it writes them)."""
    doc: dict[str, object] = {
        "title": title,
        "description": description,
        "imageViews": "3",
        "creationTime": {"timestamp": "1700000000", "formatted": "Nov 14, 2023, 10:13:20 PM UTC"},
        "geoData": {"latitude": lat, "longitude": lon, "altitude": 0.0,
                    "latitudeSpan": 0.0, "longitudeSpan": 0.0},
        "geoDataExif": {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0,
                        "latitudeSpan": 0.0, "longitudeSpan": 0.0},
        "url": "https://photos.google.com/photo/AF1Qip",
        "googlePhotosOrigin": {"mobileUpload": {"deviceType": "ANDROID_PHONE"}},
    }  # fmt: skip
    if taken is not None:
        doc["photoTakenTime"] = {"timestamp": str(taken), "formatted": ""}
    if people is not None:
        doc["people"] = [{"name": name} for name in people]
    target.write_text(json.dumps(doc, indent=2))
    return target
