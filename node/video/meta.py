"""When, where and with what a video was recorded, from its container's metadata.

Keys as FFmpeg's demuxers present them. QuickTime and MP4 keep the recording time twice: Apple's
`com.apple.quicktime.creationdate` is the camera's wall clock with its UTC offset (best: it is
what a photo's EXIF date plus offset would be), while `creation_time` (the movie header; also
Matroska's DateUTC) is UTC only, so its wall clock is taken in this device's time zone, as a
file's mtime is. Dates go through the photo parser (`node.media.exif.parse_datetime`), so the
same junk is refused the same way; on top of that the QuickTime and Unix epochs themselves
(1904-01-01 and 1970-01-01 at midnight UTC, what a camera with an unset clock writes) mean "no
date". Places are ISO 6709 strings (`+48.8566+002.3522/`, QuickTime's `©xyz` and Apple's
`com.apple.quicktime.location.ISO6709`), in any of its degree, degree-minute or
degree-minute-second forms; the 0/0 no-fix mark is dropped, as for photos.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from node.media.exif import camera_name, parse_datetime

# Most trustworthy first: a wall clock with its offset, then UTC-only header times.
_LOCAL_DATE_KEYS = ("com.apple.quicktime.creationdate",)
_UTC_DATE_KEYS = ("creation_time",)
_PLACE_KEYS = ("com.apple.quicktime.location.iso6709", "location")
_MAKE_KEYS = ("com.apple.quicktime.make", "make")
_MODEL_KEYS = ("com.apple.quicktime.model", "model")
_EPOCHS = (datetime(1904, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC))

# ±lat±lon[±altitude][CRS…]/ with the integer parts telling the form: 2/3 digits are degrees,
# 4/5 degrees and minutes, 6/7 degrees, minutes and seconds.
_ISO6709 = re.compile(
    r"^\s*([+-])(\d{2}|\d{4}|\d{6})(\.\d+)?([+-])(\d{3}|\d{5}|\d{7})(\.\d+)?"
    r"(?:[+-]\d+(?:\.\d+)?)?(?:CRS[^/]*)?/?\s*$"
)


@dataclass(frozen=True)
class VideoMeta:
    """What the container says; `None` where it says nothing trustworthy."""

    taken_at: datetime | None  # aware: local wall clock with the offset it was recorded at
    lat: float | None
    lon: float | None
    camera: str | None


def read_video_meta(*sources: Mapping[str, str]) -> VideoMeta:
    """Metadata from the container's and then the video stream's tags (earlier sources win)."""
    tags: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            tags.setdefault(_base_key(key), value)
    place = next((p for p in (parse_iso6709(tags.get(k)) for k in _PLACE_KEYS) if p), None)
    return VideoMeta(
        taken_at=recorded_at(tags),
        lat=place[0] if place else None,
        lon=place[1] if place else None,
        camera=camera_name(_first(tags, _MAKE_KEYS), _first(tags, _MODEL_KEYS)),
    )


def recorded_at(tags: Mapping[str, str]) -> datetime | None:
    for key in _LOCAL_DATE_KEYS:
        taken = _trusted(parse_datetime(tags.get(key)))
        if taken is not None and taken.tzinfo is not None:
            return taken
    for key in _UTC_DATE_KEYS:
        taken = _trusted(parse_datetime(tags.get(key)))
        if taken is not None:
            # A header time without an offset is UTC by the format's definition.
            utc = taken if taken.tzinfo is not None else taken.replace(tzinfo=UTC)
            return utc.astimezone()
    return None


def _trusted(taken: datetime | None) -> datetime | None:
    if taken is None:
        return None
    aware = taken if taken.tzinfo is not None else taken.replace(tzinfo=UTC)
    return None if aware in _EPOCHS else taken


def parse_iso6709(value: str | None) -> tuple[float, float] | None:
    """Decimal degrees from an ISO 6709 point, or None when absent, malformed or 0/0."""
    match = _ISO6709.match(value) if value else None
    if not match:
        return None
    lat_sign, lat_int, lat_frac, lon_sign, lon_int, lon_frac = match.groups()
    lat, lon = _degrees(lat_int, lat_frac, 2), _degrees(lon_int, lon_frac, 3)
    if lat is None or lon is None:
        return None
    lat, lon = (-lat if lat_sign == "-" else lat), (-lon if lon_sign == "-" else lon)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(whole: str, fraction: str | None, width: int) -> float | None:
    """`whole` is D…, DM… or DMS… with `width` digits of degrees; the fraction belongs to the
    last unit written. None when minutes or seconds are 60 or more."""
    units = [whole[:width], whole[width : width + 2], whole[width + 2 :]]
    parts = [float(u) for u in units if u]
    parts[-1] += float(fraction) if fraction else 0.0
    if any(p >= 60 for p in parts[1:]):
        return None
    return float(sum(p / 60**i for i, p in enumerate(parts)))


def _base_key(key: str) -> str:
    """Tags may carry a language suffix (`location-eng`); the key is the same tag."""
    key = key.lower()
    return key[:-4] if re.search(r"-[a-z]{3}$", key) else key


def _first(tags: Mapping[str, str], keys: tuple[str, ...]) -> str | None:
    return next((tags[k] for k in keys if tags.get(k)), None)
