"""The ranking of date sources and the time zone they are shown in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from node.media.dates import DateCandidate, DateSource, Tag, resolve
from node.media.timezones import zone_at

EXIF, XMP, SIDE, TAKEOUT = DateSource.EXIF, DateSource.XMP, DateSource.SIDECAR, DateSource.TAKEOUT
MTIME = datetime(2024, 5, 5, 5, 5, tzinfo=UTC)


def _c(tag: Tag, day: int, origin: DateSource = EXIF, tz: timezone | None = None) -> DateCandidate:
    return DateCandidate(tag, datetime(2020, 1, day, 12, tzinfo=tz), origin)


def test_ranking_within_a_source() -> None:
    file = (
        _c(Tag.GPS_DATE_TIME, 6, tz=UTC),
        _c(Tag.CREATION_DATE, 4, XMP),
        _c(Tag.CREATE_DATE, 2),
        _c(Tag.DATE_TIME_ORIGINAL, 3, XMP),
        _c(Tag.DATE_TIME_ORIGINAL, 1),
    )
    chosen = [resolve([file[: n + 1]], zone=None, mtime=MTIME).at.day for n in range(5)]
    assert chosen == [6, 4, 2, 2, 1]  # EXIF CreateDate outranks XMP DateTimeOriginal


def test_sources_in_order_sidecar_file_takeout_then_mtime() -> None:
    side, file, google = (
        [_c(Tag.CREATE_DATE, 9, SIDE)],
        [_c(Tag.DATE_TIME_ORIGINAL, 1)],
        [_c(Tag.PHOTO_TAKEN_TIME, 5, TAKEOUT, UTC)],
    )
    assert resolve([side, file, google], zone=None, mtime=MTIME).label == "sidecar:CreateDate"
    assert resolve([[], file, google], zone=None, mtime=MTIME).label == "exif:DateTimeOriginal"
    assert resolve([[], [], google], zone=None, mtime=MTIME).label == "takeout:photoTakenTime"
    last = resolve([[], [], []], zone=None, mtime=MTIME)
    assert (last.at, last.source) == (MTIME, DateSource.FILE)


def test_zones() -> None:
    denver = ZoneInfo("America/Denver")
    naive = resolve([[_c(Tag.DATE_TIME_ORIGINAL, 1)]], zone=denver, mtime=MTIME)
    assert naive.at.isoformat() == "2020-01-01T12:00:00-07:00" and naive.zone == "America/Denver"
    utc = resolve([[_c(Tag.GPS_DATE_TIME, 1, tz=UTC)]], zone=denver, mtime=MTIME)
    assert utc.at.isoformat() == "2020-01-01T05:00:00-07:00"
    plus2 = timezone(timedelta(hours=2))
    travelled = resolve([[_c(Tag.DATE_TIME_ORIGINAL, 1, tz=plus2)]], zone=denver, mtime=MTIME)
    assert travelled.at.isoformat() == "2020-01-01T12:00:00+02:00"  # the camera's own offset
    assert (travelled.zone, travelled.zone_source) == ("+02:00", "offset")
    nowhere = resolve([[_c(Tag.DATE_TIME_ORIGINAL, 1)]], zone=None, mtime=MTIME)
    assert nowhere.at.tzinfo is None and nowhere.zone is None


def test_zone_at_positions() -> None:
    assert str(zone_at(37.7749, -122.4194)) == "America/Los_Angeles"
    assert str(zone_at(39.0, -108.0)) == "America/Denver"
    assert str(zone_at(33.45, -112.07)) == "America/Phoenix"
    assert str(zone_at(48.8584, 2.2945)) == "Europe/Paris"
    assert zone_at(0.0, -30.0) is None  # the Atlantic
    assert zone_at(None, 10.0) is None
