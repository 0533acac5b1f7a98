"""AVIF, JPEG XL and RAW: a real photo in each format decodes; broken files are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from node.media.decode import DecodeError, decode
from node.media.formats import Kind, kind_of
from tests.conftest import TESTDATA
from tests.interop.builders import INTEROP, dng_with_preview
from tests.media.badfiles import random_bytes, truncated_copy

PHOTO = TESTDATA / "faces/id05/img16.jpg"


@pytest.mark.parametrize(("suffix", "fmt"), [(".avif", "AVIF"), (".jxl", "JPEG XL")])
def test_a_real_photo_in_the_format_decodes(tmp_path: Path, suffix: str, fmt: str) -> None:
    path = tmp_path / f"photo{suffix}"
    with Image.open(PHOTO) as image:
        image.save(path, quality=85)
        size = image.size
    decoded = decode(path, work_side=512, max_pixels=10**8)
    assert (decoded.format, decoded.width, decoded.height) == (fmt, *size)
    assert decoded.image.mode == "RGB" and max(decoded.image.size) == 512


@pytest.mark.parametrize(
    "name", ["formats/avif/10bit-HDR-P3-nclx.avif", "formats/jxl/16bit-HDR-P3-nclx.jxl"]
)
def test_high_bit_depth_hdr_files_decode_to_8_bit_rgb(name: str) -> None:
    decoded = decode(INTEROP / name, work_side=1024, max_pixels=10**8)
    assert decoded.image.mode == "RGB" and max(decoded.image.size) == 1024


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("formats/avif/8bit-sRGB.avif", 0.4),
        ("formats/jxl/8bit-sRGB.jxl", 0.4),
        ("formats/jxl/8bit-sRGB.jxl", 0.001),  # not even a whole header
        ("formats/motionphoto/samsung-one-ui-6.heic", 0.08),  # the still is the first 12 %
    ],
)
def test_truncated_files_are_refused(tmp_path: Path, name: str, kept: float) -> None:
    source = INTEROP / name
    broken = truncated_copy(source, tmp_path / f"broken{source.suffix}", kept)
    with pytest.raises(DecodeError):
        decode(broken, work_side=512, max_pixels=10**8)


@pytest.mark.parametrize("suffix", [".avif", ".jxl", ".dng", ".cr2", ".nef"])
def test_random_bytes_are_refused(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(DecodeError):
        decode(random_bytes(tmp_path / f"noise{suffix}"), work_side=512, max_pixels=10**8)


def test_a_jpeg_named_as_raw_is_refused_with_the_reason(tmp_path: Path) -> None:
    fake = tmp_path / "IMG_0001.CR2"
    fake.write_bytes(PHOTO.read_bytes())
    with pytest.raises(DecodeError, match="RAW"):
        decode(fake, work_side=512, max_pixels=10**8)


def test_a_huge_avif_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "huge.avif"
    Image.new("RGB", (12000, 9000), (90, 90, 90)).save(path, quality=10, speed=10)
    with pytest.raises(DecodeError, match="too large"):
        decode(path, work_side=2048, max_pixels=50_000_000)


def test_kinds_by_suffix() -> None:
    assert [kind_of(p) for p in ("a.AVIF", "b.jxl", "c.NEF", "d.MOV", "e.xmp")] == [
        Kind.PHOTO, Kind.PHOTO, Kind.RAW, Kind.VIDEO, Kind.OTHER,
    ]  # fmt: skip


@pytest.mark.parametrize(("orientation", "turned"), [(1, False), (6, True)])
def test_raw_decodes_through_its_embedded_preview(
    tmp_path: Path, orientation: int, turned: bool
) -> None:
    raw = dng_with_preview(PHOTO, tmp_path / "IMG_0001.DNG", orientation=orientation)
    with Image.open(PHOTO) as image:
        width, height = image.size
    decoded = decode(raw, work_side=4096, max_pixels=10**8)
    assert decoded.format == "RAW"
    assert (decoded.width, decoded.height) == ((height, width) if turned else (width, height))
    assert decoded.image.size == (decoded.width, decoded.height)


def test_a_truncated_raw_is_refused(tmp_path: Path) -> None:
    raw = dng_with_preview(PHOTO, tmp_path / "IMG_0001.DNG")
    cut = truncated_copy(raw, tmp_path / "cut.DNG", 0.02)
    with pytest.raises(DecodeError):
        decode(cut, work_side=512, max_pixels=10**8)
