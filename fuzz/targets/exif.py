"""The EXIF block of a photo on disk (`read_meta`), which never raises: a broken block costs
the photo its date and place, never the photo."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from node.media.exif import read_meta

_EXIF_HEADER = b"Exif\0\0"
_MAX_SEGMENT = 0xFFFF - 2 - len(_EXIF_HEADER)
TESTDATA = Path(
    os.environ.get("ROOST_TESTDATA", Path(__file__).resolve().parents[3] / "shared" / "testdata")
)


def _tiny_jpeg_body() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "JPEG")
    return out.getvalue()[2:]  # after SOI


_BODY = _tiny_jpeg_body()


def fuzz_one(data: bytes) -> None:
    segment = _EXIF_HEADER + data[:_MAX_SEGMENT]
    jpeg = b"\xff\xd8\xff\xe1" + (len(segment) + 2).to_bytes(2, "big") + segment + _BODY
    try:
        image = Image.open(io.BytesIO(jpeg))
    except (OSError, ValueError, SyntaxError):  # decode.py reports these as a bad file
        return
    meta = read_meta(image)
    assert 1 <= meta.orientation <= 8
    assert meta.lat is None or -90 <= meta.lat <= 90
    assert meta.lon is None or -180 <= meta.lon <= 180


def seeds() -> Iterator[bytes]:
    """The EXIF blocks of real photos: camera dates, offsets, sub-seconds, GPS."""
    if not (TESTDATA / "README.md").is_file():
        raise RuntimeError(f"real photos not found at {TESTDATA}; set ROOST_TESTDATA")
    found = 0
    for path in sorted(TESTDATA.rglob("*.jp*g")):
        exif = Image.open(path).info.get("exif", b"")
        if exif.startswith(_EXIF_HEADER) and len(exif) <= _MAX_SEGMENT + len(_EXIF_HEADER):
            yield exif[len(_EXIF_HEADER) :]
            found += 1
            if found == 40:
                return
