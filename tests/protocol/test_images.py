"""The size an image's header declares (`protocol.images`), against what PIL reads from the same
bytes, on thumbnails made from a real photo of ../shared/testdata in every shape a device may
send; and the headers it refuses rather than guess at."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from protocol.images import ImageFormat, ImageSize, image_size

PHOTO = Path(__file__).resolve().parents[2].parent / "shared/testdata/multi_face/couple.jpg"


def encoded(side: tuple[int, int], kind: str, mode: str = "RGB", **options: object) -> bytes:
    with Image.open(PHOTO) as photo:
        small = photo.convert(mode).resize(side)
    out = io.BytesIO()
    small.save(out, kind, **options)
    return out.getvalue()


SHAPES = {
    "jpeg": encoded((256, 171), "JPEG"),
    "jpeg-progressive": encoded((171, 256), "JPEG", progressive=True),
    "jpeg-grey": encoded((200, 200), "JPEG", "L"),
    "jpeg-exif": encoded((96, 64), "JPEG", exif=Image.Exif().tobytes()),
    "jpeg-tiny": encoded((1, 1), "JPEG"),
    "webp-lossy": encoded((256, 144), "WEBP"),
    "webp-lossless": encoded((131, 97), "WEBP", lossless=True),
    "webp-alpha": encoded((120, 250), "WEBP", "RGBA"),  # an extended file (VP8X) with alpha
}


@pytest.mark.parametrize("data", SHAPES.values(), ids=SHAPES.keys())
def test_the_size_is_what_pil_reads_from_the_same_bytes(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        expected = ImageSize(ImageFormat(str(image.format)), *image.size)
    assert image_size(data) == expected


def _frame_at(jpeg: bytes) -> int:
    at = jpeg.find(b"\xff\xc0")
    assert at > 0
    return at


def test_a_jpeg_declaring_two_frames_is_refused() -> None:
    """PIL takes the last frame header it meets: a small one first would pass a check that
    took the first, and a large one after it be what is decoded."""
    jpeg = SHAPES["jpeg"]
    at = _frame_at(jpeg)
    length = int.from_bytes(jpeg[at + 2 : at + 4], "big")
    frame = bytearray(jpeg[at : at + 2 + length])
    frame[5:9] = (3000).to_bytes(2, "big") + (4000).to_bytes(2, "big")
    twice = jpeg[: at + 2 + length] + bytes(frame) + jpeg[at + 2 + length :]
    with Image.open(io.BytesIO(twice)) as image:
        assert image.size == (4000, 3000)  # what a reader of the last one would decode
    assert image_size(twice) is None


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xd9",  # ends before any frame
        b"\xff\xd8\xff\xda\x00\x08" + b"\0" * 16,  # a scan before a frame header
        b"\xff\xd8\xff\xe0\x00\x01" + b"\0" * 16,  # a segment shorter than its own length field
        b"\xff\xd8\x00" + b"\0" * 16,  # not a marker where one must be
        b"\xff\xd8\xff\xc0\x00\x05" + b"\0" * 16,  # a frame header too short to hold a size
        b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0" + b"\0" * 10,  # a lossy frame without its start code
        b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2e" + b"\0" * 4,  # a lossless one without its signature
        b"RIFF\0\0\0\0WEBPICCP" + b"\0" * 16,  # a chunk that is no image first
        b"GIF89a" + b"\0" * 16,
        b"",
    ],
    ids=[
        *("eoi", "scan-first", "short-segment", "no-marker", "short-frame"),
        *("vp8", "vp8l", "other-chunk", "gif", "empty"),
    ],
)
def test_a_header_that_cannot_be_followed_to_its_size_is_refused(data: bytes) -> None:
    assert image_size(data) is None


@pytest.mark.parametrize("name", ["jpeg", "webp-lossy", "webp-lossless", "webp-alpha"])
def test_a_header_cut_short_is_refused_or_read_whole(name: str) -> None:
    """Every prefix: a JPEG's size is known once its scan starts, a WebP's once its first
    chunk's header is in."""
    data = SHAPES[name]
    whole = image_size(data)
    for end in range(len(data) // 4):
        found = image_size(data[:end])
        assert found is None or found == whole


MAGICS = [b"\xff\xd8", b"RIFF\0\0\0\0WEBPVP8 ", b"RIFF\0\0\0\0WEBPVP8X"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(MAGICS), st.binary())
def test_any_bytes_after_a_magic_give_a_size_or_none_and_never_raise(
    magic: bytes, rest: bytes
) -> None:
    found = image_size(magic + rest)
    assert found is None or (0 <= found.width < 1 << 24 and 0 <= found.height < 1 << 24)
