"""When a photo was taken: every date a file or its sidecars carry, ranked, and its time zone.

A photo can carry a dozen dates (the camera's, the editor's, the GPS receiver's) and they
disagree. The ranking follows the order Immich applies to exiftool's tags, which is the
de-facto standard among photo apps, restricted to the tags Roost reads itself:

1. `DateTimeOriginal` — EXIF, with SubSecTimeOriginal and OffsetTimeOriginal (exiftool's
   SubSecDateTimeOriginal); the XMP `exif:DateTimeOriginal` after the EXIF one
2. `CreateDate` — EXIF DateTimeDigitized with its sub-seconds and offset (SubSecCreateDate)
3. `DateTimeCreated` — IPTC DateCreated + TimeCreated, or XMP `photoshop:DateCreated`
4. `CreationDate` — XMP `pdf:CreationDate`
5. `CreateDate` (XMP) — `xmp:CreateDate`, `exif:DateTimeDigitized`
6. `GPSDateTime` — EXIF GPSDateStamp + GPSTimeStamp, XMP `exif:GPSTimeStamp`: always UTC
7. `SourceImageCreateTime` — XMP `GPano:SourceImageCreateTime` (Insta360)

IPTC TimeCreated alone is a time of day without a day and is ignored, as Immich does. Camera
makernote dates (Sony's DateTime2, Nikon's DateTimeUTC) are not read. Whole sources rank
above this: an XMP sidecar's dates beat the file's own (the sidecar is where Lightroom and
digiKam write a corrected date), and a Google Takeout JSON date comes only after every date
the file itself holds; the file's modification time is the last resort.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo


class DateSource(StrEnum):
    """Where the chosen date came from (`taken_at_source` in the index)."""

    EXIF = "exif"  # the file's EXIF or IPTC
    XMP = "xmp"  # the file's embedded XMP
    SIDECAR = "sidecar"  # an XMP sidecar beside the file
    TAKEOUT = "takeout"  # a Google Takeout JSON beside the file
    FILE = "file"  # the file's modification time


class ZoneSource(StrEnum):
    OFFSET = "offset"  # the date was recorded with its UTC offset
    GPS = "gps"  # looked up offline from the photo's position
    DEVICE = "device"  # the modification time, in this device's zone


class Tag(StrEnum):
    """exiftool's names for the dates Roost reads."""

    DATE_TIME_ORIGINAL = "DateTimeOriginal"
    CREATE_DATE = "CreateDate"
    DATE_TIME_CREATED = "DateTimeCreated"
    CREATION_DATE = "CreationDate"
    GPS_DATE_TIME = "GPSDateTime"
    SOURCE_IMAGE_CREATE_TIME = "SourceImageCreateTime"
    PHOTO_TAKEN_TIME = "photoTakenTime"  # Google Takeout
    MODIFIED = "mtime"


# The ranking above; EXIF's two dates (with their sub-seconds and offsets) come before the
# same names in XMP, as exiftool's SubSec composites do in Immich's list.
_RANKED = (
    (Tag.DATE_TIME_ORIGINAL, True),
    (Tag.CREATE_DATE, True),
    (Tag.DATE_TIME_ORIGINAL, False),
    (Tag.DATE_TIME_CREATED, None),
    (Tag.CREATION_DATE, None),
    (Tag.CREATE_DATE, False),
    (Tag.GPS_DATE_TIME, None),
    (Tag.SOURCE_IMAGE_CREATE_TIME, None),
    (Tag.PHOTO_TAKEN_TIME, None),
)


@dataclass(frozen=True)
class DateCandidate:
    """One date a source holds: naive (wall clock, zone unknown) or aware."""

    tag: Tag
    value: datetime
    origin: DateSource

    @property
    def label(self) -> str:
        """How `roost show` names it: `exif:DateTimeOriginal`, `sidecar:xmp:CreateDate`."""
        return f"{self.origin}:{self.tag}"


@dataclass(frozen=True)
class Taken:
    """The resolved capture time: aware when the zone or offset is known."""

    at: datetime
    source: DateSource
    tag: Tag
    zone: str | None  # an IANA name, or an offset like "+02:00"
    zone_source: ZoneSource | None

    @property
    def label(self) -> str:
        return f"{self.source}:{self.tag}"


def first(candidates: Iterable[DateCandidate]) -> DateCandidate | None:
    """The best-ranked candidate; among equals, the one listed first."""
    ranked = sorted(enumerate(candidates), key=lambda c: (rank(c[1]), c[0]))
    return ranked[0][1] if ranked else None


def rank(candidate: DateCandidate) -> int:
    """A candidate's place in the ranking (lower wins)."""
    exif = candidate.origin == DateSource.EXIF
    for n, (tag, from_exif) in enumerate(_RANKED):
        if tag == candidate.tag and from_exif in (None, exif):
            return n
    return len(_RANKED)


def resolve(
    sources: Iterable[Iterable[DateCandidate]], *, zone: ZoneInfo | None, mtime: datetime
) -> Taken:
    """The first source (in the order given) that has any date, its best date, localised.

    `zone` is the zone at the photo's position, if it has one. A wall-clock date with no offset
    takes that zone; a UTC date (GPSDateTime, Takeout) is shown in it; a date recorded with an
    offset keeps that offset (it says what the camera's clock said), and the zone is named only
    when it agrees with it.
    """
    for candidates in sources:
        best = first(candidates)
        if best is not None:
            return _localised(best, zone)
    return Taken(mtime, DateSource.FILE, Tag.MODIFIED, _offset_name(mtime), ZoneSource.DEVICE)


def _localised(best: DateCandidate, zone: ZoneInfo | None) -> Taken:
    value = best.value
    utc_only = best.tag in (Tag.GPS_DATE_TIME, Tag.PHOTO_TAKEN_TIME)
    if value.tzinfo is None:
        if zone is None:
            return Taken(value, best.origin, best.tag, None, None)
        return Taken(value.replace(tzinfo=zone), best.origin, best.tag, zone.key, ZoneSource.GPS)
    if zone is not None and (utc_only or zone.utcoffset(value) == value.utcoffset()):
        return Taken(value.astimezone(zone), best.origin, best.tag, zone.key, ZoneSource.GPS)
    if utc_only:
        return Taken(value, best.origin, best.tag, "UTC", ZoneSource.OFFSET)
    return Taken(value, best.origin, best.tag, _offset_name(value), ZoneSource.OFFSET)


def _offset_name(value: datetime) -> str:
    """`+02:00` for a fixed offset (`UTC` for none)."""
    offset = value.utcoffset()
    if not offset:
        return "UTC"
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# -- parsing the textual forms --------------------------------------------------------------

_DATETIME = re.compile(
    r"^\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:[.,](\d{1,9}))?)?(.*)$"
)
_OFFSET = re.compile(r"^\s*(?:Z|([+-])(\d{2}):?(\d{2}))\s*$")


def parse_datetime(
    value: str | None,
    *,
    subsec: str | None = None,
    offset: str | None = None,
    date_only: bool = False,
) -> datetime | None:
    """Parse an EXIF (`2019:07:20 17:45:22`) or XMP (`2019-07-20T17:45:22.16-07:00`) date.

    The result is naive when no offset is recorded, aware when one is. Trailing junk after the
    seconds is ignored unless it is an offset itself; a date without a time is accepted only
    with `date_only` (XMP allows it; EXIF does not). Impossible and reset-clock dates are None.
    """
    if not value:
        return None
    match = _DATETIME.match(value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups()[:3])
    hour, minute, second, fraction, rest = match.groups()[3:]
    if hour is None and not date_only:
        return None
    if fraction is None and subsec:
        digits = re.match(r"\s*(\d{1,9})", subsec)
        fraction = digits.group(1) if digits else None
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        taken = datetime(
            year, month, day, int(hour or 0), int(minute or 0), int(second or 0), micro
        )
    except ValueError:  # 0000:00:00 00:00:00 and friends
        return None
    if year < 1826:  # before the first photograph: a camera's reset clock, not a date
        return None
    tz = parse_offset(offset) or parse_offset(rest)
    return taken.replace(tzinfo=tz) if tz else taken


def parse_offset(value: str | None) -> timezone | None:
    """`+02:00`, `-0700` or `Z` as a fixed zone; None for anything else or out of range."""
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


def as_utc(value: datetime | None) -> datetime | None:
    """A date that is UTC by definition (GPS time): naive means UTC here."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
