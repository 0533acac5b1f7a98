"""Decoding real photos: upright, small enough, and bounded in memory on huge input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from node.media.decode import DecodeError, decode
from tests.conftest import REPO, TESTDATA
from tests.media.badfiles import png_bomb


def test_jpeg_is_decoded_reduced_and_keeps_original_size() -> None:
    with Image.open(TESTDATA / "multi_face/couple.jpg") as original:
        width, height = original.size
    decoded = decode(TESTDATA / "multi_face/couple.jpg", work_side=640, max_pixels=10**8)
    assert (decoded.width, decoded.height) == (width, height)
    assert max(decoded.image.size) == 640
    assert decoded.image.mode == "RGB"
    assert decoded.scale == pytest.approx(640 / max(width, height), rel=1e-2)


def test_heic_and_rgba_png_decode() -> None:
    heic = decode(
        TESTDATA / "places/ianare_exif-samples/heic__IMG_5195.HEIC", work_side=512, max_pixels=10**8
    )
    assert heic.format == "HEIF" and heic.image.mode == "RGB" and max(heic.image.size) == 512
    png = decode(TESTDATA / "edge_cases/32bit.png", work_side=4096, max_pixels=10**8)
    assert png.format == "PNG" and png.image.mode == "RGB"


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    """A landscape photo tagged 'rotate 90° CW' comes out portrait, with upright dimensions."""
    source = TESTDATA / "faces/id00/img1.jpg"
    with Image.open(source) as image:
        exif = image.getexif()
        exif[0x0112] = 6
        image.save(tmp_path / "rotated.jpg", exif=exif)
        width, height = image.size
    decoded = decode(tmp_path / "rotated.jpg", work_side=4096, max_pixels=10**8)
    assert (decoded.width, decoded.height) == (height, width)
    assert decoded.image.size == (height, width)


def test_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match="too large"):
        decode(png_bomb(tmp_path / "bomb.png", 20000, 9000), work_side=2048, max_pixels=10**8)


def _peak_rss_mb(code: str) -> float:
    script = f"{code}\nprint(open('/proc/self/status').read())"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def test_huge_jpeg_decodes_in_bounded_memory(tmp_path: Path) -> None:
    """A 108-megapixel JPEG is decoded through DCT scaling: peak memory stays far below the
    324 MB its full RGB decode would take."""
    big = tmp_path / "big.jpg"
    Image.new("L", (12000, 9000), 128).save(big, quality=50)
    setup = "from pathlib import Path\nfrom node.media.decode import decode\n"
    baseline = _peak_rss_mb(setup)
    peak = _peak_rss_mb(
        setup + f"d = decode(Path({str(big)!r}), work_side=2048, max_pixels=10**8)\n"
        "assert max(d.image.size) == 2048, d.image.size"
    )
    assert peak - baseline < 120, (baseline, peak)


@pytest.mark.parametrize(("suffix", "fmt"), [(".webp", "WebP"), (".tiff", "TIFF"), (".png", "PNG")])
def test_other_formats_of_a_real_photo(tmp_path: Path, suffix: str, fmt: str) -> None:
    path = tmp_path / f"photo{suffix}"
    with Image.open(TESTDATA / "faces/id05/img16.jpg") as image:
        image.save(path)
        size = image.size
    decoded = decode(path, work_side=4096, max_pixels=10**8)
    assert decoded.format == fmt
    assert (decoded.width, decoded.height) == size
