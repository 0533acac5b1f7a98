"""When, where and with what a photo was taken, from its EXIF.

Cameras write surprising values: blank or all-zero dates, sub-seconds glued onto the time
(`2009:09:09 20:27:09.60:04:00`), GPS rationals with zero denominators, `0/0` positions when
there was no fix. Anything that cannot be trusted is dropped rather than guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from PIL import Image

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_ORIENTATION = 0x0112
TAG_DATETIME_ORIGINAL = 0x9003
TAG_OFFSET_TIME_ORIGINAL = 0x9011
TAG_SUBSEC_TIME_ORIGINAL = 0x9291

_DATETIME = re.compile(
    r"^\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})[ T]+(\d{1,2}):(\d{2}):(\d{2})"
    r"(?:[.,](\d{1,9}))?(.*)$"
)
_OFFSET = re.compile(r"^\s*(?:Z|([+-])(\d{2}):?(\d{2}))\s*$")


@dataclass(frozen=True)
class PhotoMeta:
    """What EXIF says; `None` where it says nothing trustworthy."""

    taken_at: datetime | None
    lat: float | None
    lon: float | None
    camera: str | None
    orientation: int


def read_meta(image: Image.Image) -> PhotoMeta:
    """Read metadata from an opened (not necessarily decoded) image."""
    try:
        exif = image.getexif()
        sub = exif.get_ifd(EXIF_IFD)
        gps = exif.get_ifd(GPS_IFD)
    except Exception:  # a broken EXIF block must not cost us the photo
        return PhotoMeta(None, None, None, None, 1)
    taken = parse_datetime(
        _text(sub.get(TAG_DATETIME_ORIGINAL)),
        subsec=_text(sub.get(TAG_SUBSEC_TIME_ORIGINAL)),
        offset=_text(sub.get(TAG_OFFSET_TIME_ORIGINAL)),
    )
    lat_lon = parse_gps(gps)
    orientation = exif.get(TAG_ORIENTATION, 1)
    return PhotoMeta(
        taken_at=taken,
        lat=lat_lon[0] if lat_lon else None,
        lon=lat_lon[1] if lat_lon else None,
        camera=camera_name(_text(exif.get(TAG_MAKE)), _text(exif.get(TAG_MODEL))),
        orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1,
    )


def parse_datetime(
    value: str | None, *, subsec: str | None = None, offset: str | None = None
) -> datetime | None:
    """Parse EXIF DateTimeOriginal with its sub-seconds and UTC offset.

    The result is the photo's wall-clock time: naive when the camera recorded no offset (most
    cameras), aware when it did. Trailing junk after the seconds is ignored, unless it is an
    offset itself.
    """
    if not value:
        return None
    match = _DATETIME.match(value)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, rest = match.group(7), match.group(8)
    if fraction is None and subsec:
        digits = re.match(r"\s*(\d{1,9})", subsec)
        fraction = digits.group(1) if digits else None
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        taken = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:  # 0000:00:00 00:00:00 and friends
        return None
    if year < 1826:  # before the first photograph: a camera's reset clock, not a date
        return None
    tz = _parse_offset(offset) or _parse_offset(rest)
    return taken.replace(tzinfo=tz) if tz else taken


def _parse_offset(value: str | None) -> timezone | None:
    if not value:
        return None
    match = _OFFSET.match(value)
    if not match:
        return None
    if match.group(1) is None:
        return UTC
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3))
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_gps(gps: dict[int, Any]) -> tuple[float, float] | None:
    """Decimal degrees from the GPS IFD, or None when absent, malformed or the 0/0 no-fix mark."""
    try:
        lat = _degrees(gps[2], gps.get(1))
        lon = _degrees(gps[4], gps.get(3))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(dms: Any, ref: Any) -> float:
    parts = [float(x) for x in dms] if isinstance(dms, tuple | list) else [float(dms)]
    if not parts or any(not math.isfinite(p) for p in parts):
        raise ValueError("bad GPS rational")
    value = float(sum(p / 60**i for i, p in enumerate(parts[:3])))
    ref_text = _text(ref) or ""
    return -value if ref_text.strip().upper() in ("S", "W") else value


def camera_name(make: str | None, model: str | None) -> str | None:
    """Make + model without the brand twice: `NIKON CORPORATION` + `NIKON D3S` → `NIKON D3S`."""
    make, model = (make or "").strip(), (model or "").strip()
    if not model:
        return make or None
    brand = make.split()[0] if make else ""
    if not brand or model.lower().startswith(brand.lower()):
        return model
    return f"{make} {model}"


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value or None
