"""EXIF parsing: hand-written odd values real cameras produce, then the real test photos."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image

from node.media.exif import camera_name, parse_datetime, parse_gps, read_meta
from tests.conftest import TESTDATA

MINUS_7 = timezone(timedelta(hours=-7))


@pytest.mark.parametrize(
    ("value", "subsec", "offset", "expected"),
    [
        ("2019:07:20 17:45:22", None, None, datetime(2019, 7, 20, 17, 45, 22)),
        ("2019:07:20 17:45:22", "16", "-07:00", datetime(2019, 7, 20, 17, 45, 22, 160000, MINUS_7)),
        # Canon EOS 5D Mark II in edge_cases/obama2.jpg: sub-seconds glued on, then junk.
        ("2009:09:09 20:27:09.60:04:00", None, None, datetime(2009, 9, 9, 20, 27, 9, 600000)),
        ("2009:09:09 20:27:09+02:00", None, None,
         datetime(2009, 9, 9, 20, 27, 9, tzinfo=timezone(timedelta(hours=2)))),
        ("2009:09:09 20:27:09Z", None, None, datetime(2009, 9, 9, 20, 27, 9, tzinfo=UTC)),
        ("2015-03-01T08:00:00", None, None, datetime(2015, 3, 1, 8)),
        ("2015:03:01 08:00:00\x00", "007", None, datetime(2015, 3, 1, 8, 0, 0, 7000)),
        ("2015:03:01 08:00:00", None, "+25:00", datetime(2015, 3, 1, 8)),  # impossible offset
        ("0000:00:00 00:00:00", None, None, None),
        ("    :  :     :  :  ", None, None, None),
        ("2015:02:30 10:00:00", None, None, None),  # no 30 February
        ("1601:01:01 00:00:00", None, None, None),  # a reset clock, not a date
        ("", None, None, None),
        (None, "12", "+01:00", None),
    ],
)  # fmt: skip
def test_parse_datetime(
    value: str | None, subsec: str | None, offset: str | None, expected: datetime | None
) -> None:
    assert parse_datetime(value, subsec=subsec, offset=offset) == expected


def test_parse_gps_south_west_and_no_fix() -> None:
    gps = {1: "S", 2: (33.0, 51.0, 54.0), 3: "W", 4: (151.0, 12.0, 36.0)}
    assert parse_gps(gps) == (-33.865, -151.21)
    assert parse_gps({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}) is None
    assert parse_gps({1: "N", 2: (float("nan"), 0.0, 0.0), 3: "E", 4: (1.0, 0.0, 0.0)}) is None
    assert parse_gps({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (1.0, 0.0, 0.0)}) is None
    assert parse_gps({}) is None


@pytest.mark.parametrize(
    ("make", "model", "expected"),
    [
        ("Canon", "Canon EOS 5D Mark II", "Canon EOS 5D Mark II"),
        ("NIKON CORPORATION", "NIKON D3S", "NIKON D3S"),
        ("Apple", "iPhone 11 Pro Max", "Apple iPhone 11 Pro Max"),
        (None, "DSC-HX5V", "DSC-HX5V"),
        ("SONY", None, "SONY"),
        (None, None, None),
    ],
)
def test_camera_name(make: str | None, model: str | None, expected: str | None) -> None:
    assert camera_name(make, model) == expected


# The dates ../shared/testdata/README.md lists, typed in from it.
README_DATES = {
    "faces/id00/img1.jpg": "2019-07-20",
    "faces/id04/img14.jpg": "2016-08-05",
    "faces/id08/img39.jpg": "2012-01-29",
    "scenes/kite.jpg": "2010-06-06",
    "scenes/dog.jpg": "2014-09-19",
    "edge_cases/obama.jpg": "2012-12-06",
    "edge_cases/obama2.jpg": "2009-09-09",
}


@pytest.mark.parametrize(("name", "day"), sorted(README_DATES.items()))
def test_readme_dates_from_real_photos(name: str, day: str) -> None:
    with Image.open(TESTDATA / name) as image:
        meta = read_meta(image)
    assert meta.taken_at is not None
    assert meta.taken_at.date().isoformat() == day


def _manifest() -> list[dict[str, str]]:
    with open(TESTDATA / "places" / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("row", _manifest(), ids=lambda r: r["file"].split("/")[-1])
def test_places_manifest_gps_and_date(row: dict[str, str]) -> None:
    """Every photo under places/ against the manifest's independent reading of its EXIF."""
    with Image.open(TESTDATA / "places" / row["file"]) as image:
        meta = read_meta(image)
    assert meta.lat == pytest.approx(float(row["gps_lat"]), abs=1e-5)
    assert meta.lon == pytest.approx(float(row["gps_lon"]), abs=1e-5)
    expected = datetime.strptime(row["DateTimeOriginal"], "%Y:%m:%d %H:%M:%S")
    assert meta.taken_at is not None
    assert meta.taken_at.replace(tzinfo=None, microsecond=0) == expected
