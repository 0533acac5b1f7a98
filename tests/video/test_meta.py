"""When, where and with what: container tags as phones write them, read through FFmpeg.

The expected values are written by hand from the tags each test sets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from node.video.meta import parse_iso6709, read_video_meta
from node.video.read import Video
from tests.video.clips import remux

PARIS = "+48.8566+002.3522/"


def test_an_iphone_movie(tmp_path: Path) -> None:
    """Apple's keys (written as QuickTime `mdta` tags) win over the movie header's UTC time."""
    tags = {
        "creation_time": "2019-07-20T12:03:11.000000Z",
        "com.apple.quicktime.creationdate": "2019-07-20T14:03:11+0200",
        "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
        "com.apple.quicktime.make": "Apple",
        "com.apple.quicktime.model": "iPhone 12",
    }
    path = remux(
        tmp_path / "IMG_0001.MOV",
        container="mov",
        metadata=tags,
        options={"movflags": "use_metadata_tags"},
    )
    with Video(path) as video:
        meta = video.info.meta
    assert meta.taken_at == datetime(2019, 7, 20, 14, 3, 11, tzinfo=timezone(timedelta(hours=2)))
    assert (meta.lat, meta.lon) == (48.8584, 2.2945)
    assert meta.camera == "Apple iPhone 12"


def test_header_time_and_xyz_location(tmp_path: Path) -> None:
    """FFmpeg writes `location` as QuickTime's ©xyz; the header time is UTC."""
    tags = {"creation_time": "2021-12-24T18:30:00.000000Z", "location": PARIS}
    with Video(remux(tmp_path / "clip.mp4", metadata=tags)) as video:
        meta = video.info.meta
    assert meta.taken_at is not None
    assert meta.taken_at == datetime(2021, 12, 24, 18, 30, tzinfo=UTC)
    assert meta.taken_at.utcoffset() == datetime(2021, 12, 24, 18, 30).astimezone().utcoffset()
    assert (meta.lat, meta.lon) == (48.8566, 2.3522)


def test_no_tags() -> None:
    meta = read_video_meta({"major_brand": "isom", "encoder": "Lavf57.56.101"}, {})
    assert (meta.taken_at, meta.lat, meta.lon, meta.camera) == (None, None, None, None)


@pytest.mark.parametrize(
    "value",
    [
        "1904-01-01T00:00:00.000000Z",  # QuickTime's epoch: the clock was never set
        "1970-01-01T00:00:00.000000Z",
        "0000-00-00T00:00:00Z",
        "soon",
        "",
    ],
)
def test_untrustworthy_dates_are_dropped(value: str) -> None:
    assert read_video_meta({"creation_time": value}).taken_at is None


def test_apple_date_without_offset_falls_back_to_the_header() -> None:
    tags = {
        "com.apple.quicktime.creationdate": "junk",
        "creation_time": "2019-07-20T12:03:11Z",
    }
    assert read_video_meta(tags).taken_at == datetime(2019, 7, 20, 12, 3, 11, tzinfo=UTC)


def test_container_tags_win_over_stream_tags_and_language_suffixes_are_ignored() -> None:
    meta = read_video_meta(
        {"location-eng": "+41.8933+012.4829/"}, {"location": PARIS, "make": "GoPro"}
    )
    assert (meta.lat, meta.lon, meta.camera) == (41.8933, 12.4829, "GoPro")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+48.8566+002.3522/", (48.8566, 2.3522)),
        ("-33.8688+151.2093+012.500/", (-33.8688, 151.2093)),
        ("+40.7128-074.0060CRSWGS_84/", (40.7128, -74.006)),
        ("+4851.396+00221.132/", (48.8566, 2.3522)),  # degrees and minutes
        ("+485123.76+0022107.92/", (48.8566, 2.3522)),  # degrees, minutes, seconds
        ("+00.0000+000.0000/", None),  # no fix
        ("+91.0000+000.0000/", None),
        ("+4875.000+00221.132/", None),  # 75 minutes
        ("48.8566,2.3522", None),
        (None, None),
    ],
)
def test_iso6709(value: str | None, expected: tuple[float, float] | None) -> None:
    got = parse_iso6709(value)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-4)
