"""Other apps' layouts built at test time from the real photos and video in ../shared.

Nothing here is committed media: each helper copies a real file into a temporary folder and
adds what another app would have added — an Apple maker note, a QuickTime content identifier,
Takeout's JSON beside a photo — with the byte layouts those apps write.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path
from typing import Any

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


def dng_with_preview(source: Path, target: Path, *, orientation: int = 1) -> Path:
    """A minimal DNG as cameras and converters write it: IFD 0 holds a full-size JPEG preview
    of the real photo (NewSubfileType 1), its SubIFD a small linear-RGB raw image."""
    with Image.open(source) as image:
        rgb = image.convert("RGB")
    preview = io.BytesIO()
    rgb.save(preview, "JPEG", quality=90)
    jpeg, raw = preview.getvalue(), rgb.resize((64, 48)).tobytes()
    width, height = rgb.size
    jpeg_at = 8
    raw_at = _even(jpeg_at + len(jpeg))
    ifd0_at = _even(raw_at + len(raw))
    identity = [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)]

    def ifd0(sub_at: int, tail_at: int) -> tuple[bytes, bytes]:
        return _ifd(
            [
                (254, _LONG, [1]), (256, _LONG, [width]), (257, _LONG, [height]),
                (258, _SHORT, [8, 8, 8]), (259, _SHORT, [7]), (262, _SHORT, [6]),
                (271, _ASCII, "Roost"), (272, _ASCII, "Test DNG"), (273, _LONG, [jpeg_at]),
                (274, _SHORT, [orientation]), (277, _SHORT, [3]), (278, _LONG, [height]),
                (279, _LONG, [len(jpeg)]), (330, _LONG, [sub_at]),
                (50706, _BYTE, [1, 4, 0, 0]), (50708, _ASCII, "Roost Test DNG"),
                (50721, _SRATIONAL, identity), (50778, _SHORT, [21]),
            ],
            tail_at,
        )  # fmt: skip

    probe, probe_tail = ifd0(0, 0)
    tail0_at = ifd0_at + len(probe)
    ifd1_at = _even(tail0_at + len(probe_tail))
    body0, tail0 = ifd0(ifd1_at, tail0_at)
    raw_entries: list[tuple[int, int, Any]] = [
        (254, _LONG, [0]), (256, _LONG, [64]), (257, _LONG, [48]), (258, _SHORT, [8, 8, 8]),
        (259, _SHORT, [1]), (262, _SHORT, [34892]), (273, _LONG, [raw_at]),
        (277, _SHORT, [3]), (278, _LONG, [48]), (279, _LONG, [len(raw)]), (284, _SHORT, [1]),
    ]  # fmt: skip
    body1, tail1 = _ifd(raw_entries, ifd1_at + 2 + 12 * len(raw_entries) + 4)
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd0_at))
    for at, part in (
        (jpeg_at, jpeg),
        (raw_at, raw),
        (ifd0_at, body0 + tail0),
        (ifd1_at, body1 + tail1),
    ):
        out += b"\x00" * (at - len(out)) + part
    target.write_bytes(bytes(out))
    return target


_BYTE, _ASCII, _SHORT, _LONG, _SRATIONAL = 1, 2, 3, 4, 10


def _even(n: int) -> int:
    return n + n % 2


def _ifd(entries: list[tuple[int, int, Any]], tail_at: int) -> tuple[bytes, bytes]:
    """A little-endian TIFF IFD and the values too long to sit in its entries, placed at
    `tail_at`."""
    body, tail = struct.pack("<H", len(entries)), b""
    for tag, kind, values in sorted(entries):
        if kind == _ASCII:
            data, count = values.encode() + b"\x00", len(values) + 1
        elif kind == _SRATIONAL:
            data, count = b"".join(struct.pack("<ii", a, b) for a, b in values), len(values)
        else:
            code = {_SHORT: "H", _LONG: "I", _BYTE: "B"}[kind]
            data, count = struct.pack("<" + code * len(values), *values), len(values)
        if len(data) <= 4:
            body += struct.pack("<HHI", tag, kind, count) + data.ljust(4, b"\x00")
        else:
            body += struct.pack("<HHII", tag, kind, count, tail_at + len(tail))
            tail += data + b"\x00" * (len(data) % 2)
    return body + struct.pack("<I", 0), tail


def mwg_sidecar(
    target: Path,
    regions: list[tuple[str, tuple[float, float, float, float]]],
    size: tuple[int, int],
    *,
    created: str | None = None,
) -> Path:
    """An XMP sidecar as digiKam writes one: named MWG face regions (`name`, normalised
    x1, y1, x2, y2 of the upright image, written as centre and size) and optionally a date."""
    items = "".join(
        f"""<rdf:li><rdf:Description mwg-rs:Name="{name}" mwg-rs:Type="Face">
        <mwg-rs:Area stArea:x="{(x1 + x2) / 2:.6f}" stArea:y="{(y1 + y2) / 2:.6f}"
          stArea:w="{x2 - x1:.6f}" stArea:h="{y2 - y1:.6f}" stArea:unit="normalized"/>
        </rdf:Description></rdf:li>"""
        for name, (x1, y1, x2, y2) in regions
    )
    date = f"<xmp:CreateDate>{created}</xmp:CreateDate>" if created else ""
    target.write_text(
        f"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
  xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about=""
   xmlns:xmp="http://ns.adobe.com/xap/1.0/"
   xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
   xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#"
   xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">
  {date}
  <mwg-rs:Regions rdf:parseType="Resource">
   <mwg-rs:AppliedToDimensions stDim:w="{size[0]}" stDim:h="{size[1]}" stDim:unit="pixel"/>
   <mwg-rs:RegionList><rdf:Bag>{items}</rdf:Bag></mwg-rs:RegionList>
  </mwg-rs:Regions>
 </rdf:Description>
</rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""
    )
    return target
