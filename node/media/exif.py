"""What a photo file says about itself: EXIF, IPTC and embedded XMP, as candidates.

Cameras write surprising values: blank or all-zero dates, sub-seconds glued onto the time
(`2009:09:09 20:27:09.60:04:00`), GPS rationals with zero denominators, `0/0` or NaN positions
when there was no fix. Anything that cannot be trusted is dropped rather than guessed. Every
date found is kept as a `DateCandidate`; `node.media.dates` ranks them against the sidecars'.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PIL import Image, ImageFile, IptcImagePlugin

from node.media import xmp
from node.media.dates import DateCandidate, DateSource, Tag, as_utc, parse_datetime

__all__ = ["PhotoMeta", "camera_name", "parse_datetime", "parse_gps", "read_meta"]

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
TAG_IMAGE_DESCRIPTION = 0x010E
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_ORIENTATION = 0x0112
TAG_DATETIME_ORIGINAL = 0x9003
TAG_DATETIME_DIGITIZED = 0x9004
TAG_OFFSET_TIME_ORIGINAL = 0x9011
TAG_OFFSET_TIME_DIGITIZED = 0x9012
TAG_SUBSEC_TIME_ORIGINAL = 0x9291
TAG_SUBSEC_TIME_DIGITIZED = 0x9292
TAG_MAKER_NOTE = 0x927C
TAG_XMP = 700  # XMP in a TIFF
IPTC_KEYWORDS, IPTC_DATE_CREATED, IPTC_TIME_CREATED, IPTC_CAPTION = (
    (2, 25),
    (2, 55),
    (2, 60),
    (2, 120),
)

# Descriptions cameras fill in by themselves: not something a person wrote.
_CAMERA_DESCRIPTIONS = {"sony dsc", "olympus digital camera", "digital camera", "dcim", "default"}


@dataclass(frozen=True)
class PhotoMeta:
    """What the file says; empty or `None` where it says nothing trustworthy."""

    dates: tuple[DateCandidate, ...]
    lat: float | None
    lon: float | None
    camera: str | None
    orientation: int
    description: str | None = None
    keywords: tuple[str, ...] = ()
    xmp: xmp.Properties = field(default_factory=dict)
    maker_note: bytes | None = None  # for the Live Photo content identifier
    gps_source: DateSource | None = None  # EXIF's GPS block, or the embedded XMP's
    description_source: DateSource | None = None
    keywords_source: DateSource | None = None
    problems: tuple[str, ...] = ()  # metadata that could not be read (the photo still is)

    @property
    def taken_at(self) -> datetime | None:
        """The file's own best date, before sidecars and time zones are considered."""
        from node.media.dates import first

        best = first(self.dates)
        return best.value if best else None


def read_meta(image: Image.Image) -> PhotoMeta:
    """Read metadata from an opened (not necessarily decoded) image."""
    problems: list[str] = []
    try:
        exif = image.getexif()
        sub = exif.get_ifd(EXIF_IFD)
        gps = exif.get_ifd(GPS_IFD)
    except Exception:  # a broken EXIF block must not cost us the photo
        exif, sub, gps = Image.Exif(), {}, {}
        problems.append("unreadable EXIF block")
    props = _embedded_xmp(image, exif, problems)
    iptc = _iptc(image, problems)
    dates = _exif_dates(sub, gps) + _iptc_dates(iptc) + xmp_dates(props, DateSource.XMP)
    lat_lon, gps_source = parse_gps(gps), DateSource.EXIF
    if lat_lon is None:
        lat_lon, gps_source = xmp_gps(props), DateSource.XMP
    description, description_source = xmp_description(props), DateSource.XMP
    if description is None:
        description, description_source = (
            (
                _iptc_text(iptc.get(IPTC_CAPTION))
                or _own_description(_text(exif.get(TAG_IMAGE_DESCRIPTION)))
            ),
            DateSource.EXIF,
        )
    xmp_keywords = xmp.texts(props, "dc:subject")
    keywords = _unique(xmp_keywords + _iptc_list(iptc.get(IPTC_KEYWORDS)))
    orientation = exif.get(TAG_ORIENTATION, 1)
    maker_note = sub.get(TAG_MAKER_NOTE)
    return PhotoMeta(
        dates=tuple(dates),
        lat=lat_lon[0] if lat_lon else None,
        lon=lat_lon[1] if lat_lon else None,
        camera=camera_name(_text(exif.get(TAG_MAKE)), _text(exif.get(TAG_MODEL))),
        orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1,
        description=description,
        keywords=keywords,
        xmp=props,
        maker_note=maker_note if isinstance(maker_note, bytes) else None,
        gps_source=gps_source if lat_lon else None,
        description_source=description_source if description else None,
        keywords_source=(DateSource.XMP if xmp_keywords else DateSource.EXIF) if keywords else None,
        problems=tuple(problems),
    )


def _exif_dates(sub: dict[int, Any], gps: dict[int, Any]) -> list[DateCandidate]:
    found = []
    for tag, value, subsec, offset in (
        (Tag.DATE_TIME_ORIGINAL, TAG_DATETIME_ORIGINAL, TAG_SUBSEC_TIME_ORIGINAL,
         TAG_OFFSET_TIME_ORIGINAL),
        (Tag.CREATE_DATE, TAG_DATETIME_DIGITIZED, TAG_SUBSEC_TIME_DIGITIZED,
         TAG_OFFSET_TIME_DIGITIZED),
    ):  # fmt: skip
        taken = parse_datetime(
            _text(sub.get(value)), subsec=_text(sub.get(subsec)), offset=_text(sub.get(offset))
        )
        if taken is not None:
            found.append(DateCandidate(tag, taken, DateSource.EXIF))
    gps_time = _gps_datetime(gps)
    if gps_time is not None:
        found.append(DateCandidate(Tag.GPS_DATE_TIME, gps_time, DateSource.EXIF))
    return found


def _gps_datetime(gps: dict[int, Any]) -> datetime | None:
    """GPSDateStamp + GPSTimeStamp (UTC); both are needed, as in exiftool's GPSDateTime."""
    day, time = _text(gps.get(29)), gps.get(7)
    try:
        h, m, s = (float(x) for x in time or ())
        if not all(math.isfinite(v) for v in (h, m, s)):
            return None
        clock = f"{int(h):02d}:{int(m):02d}:{int(s):02d}.{round((s % 1) * 1e6):06d}"
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return as_utc(parse_datetime(f"{day} {clock}")) if day else None


def _iptc(image: Image.Image, problems: list[str]) -> dict[tuple[int, int], Any]:
    if not isinstance(image, ImageFile.ImageFile):
        return {}
    try:
        return IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:  # malformed IPTC must not cost us the photo
        problems.append("unreadable IPTC block")
        return {}


def _iptc_dates(iptc: dict[tuple[int, int], Any]) -> list[DateCandidate]:
    """IPTC DateCreated + TimeCreated (`20100213`, `145531+0100`); a time alone is ignored."""
    day, time = _iptc_text(iptc.get(IPTC_DATE_CREATED)), _iptc_text(iptc.get(IPTC_TIME_CREATED))
    if not day or not time:
        return []
    match = re.match(r"^(\d{4})(\d{2})(\d{2})$", day)
    clock = re.match(r"^(\d{2})(\d{2})(\d{2})([+-]\d{2}\d{2})?$", time)
    if not match or not clock:
        return []
    text = f"{'-'.join(match.groups())}T{':'.join(clock.groups()[:3])}{clock.group(4) or ''}"
    taken = parse_datetime(text)
    return [DateCandidate(Tag.DATE_TIME_CREATED, taken, DateSource.EXIF)] if taken else []


XMP_DATE_TAGS = (
    ("exif:DateTimeOriginal", Tag.DATE_TIME_ORIGINAL),
    ("photoshop:DateCreated", Tag.DATE_TIME_CREATED),
    ("pdf:CreationDate", Tag.CREATION_DATE),
    ("xmp:CreateDate", Tag.CREATE_DATE),
    ("exif:DateTimeDigitized", Tag.CREATE_DATE),
    ("exif:GPSTimeStamp", Tag.GPS_DATE_TIME),
    ("GPano:SourceImageCreateTime", Tag.SOURCE_IMAGE_CREATE_TIME),
)


def xmp_dates(props: xmp.Properties, origin: DateSource) -> list[DateCandidate]:
    """The dates in an XMP packet (embedded or a sidecar)."""
    found = []
    for name, tag in XMP_DATE_TAGS:
        taken = parse_datetime(xmp.text(props, name), date_only=True)
        if tag == Tag.GPS_DATE_TIME:
            taken = as_utc(taken)
        if taken is not None:
            found.append(DateCandidate(tag, taken, origin))
    return found


def xmp_gps(props: xmp.Properties) -> tuple[float, float] | None:
    """`exif:GPSLatitude` as XMP writes it: `40,14.0786450N`, `37,46,29.64N` or decimal."""
    try:
        lat = _xmp_degrees(xmp.text(props, "exif:GPSLatitude"), "SN")
        lon = _xmp_degrees(xmp.text(props, "exif:GPSLongitude"), "WE")
    except ValueError:
        return None
    return _valid_position(lat, lon)


def _xmp_degrees(value: str | None, refs: str) -> float:
    if not value:
        raise ValueError("no coordinate")
    text = value.strip().upper()
    sign = 1.0
    if text and text[-1] in refs:
        sign = -1.0 if text[-1] == refs[0] else 1.0
        text = text[:-1]
    parts = [float(p) for p in text.split(",") if p.strip()]
    if not parts or len(parts) > 3 or any(not math.isfinite(p) for p in parts):
        raise ValueError(f"bad XMP coordinate {value!r}")
    return sign * float(sum(p / 60**i for i, p in enumerate(parts)))


def xmp_description(props: xmp.Properties) -> str | None:
    return _own_description(xmp.text(props, "dc:description"))


def parse_gps(gps: dict[int, Any]) -> tuple[float, float] | None:
    """Decimal degrees from the GPS IFD, or None when absent, malformed or the 0/0 no-fix mark."""
    try:
        lat = _degrees(gps[2], gps.get(1))
        lon = _degrees(gps[4], gps.get(3))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    return _valid_position(lat, lon)


def _valid_position(lat: float, lon: float) -> tuple[float, float] | None:
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


def _embedded_xmp(image: Image.Image, exif: Image.Exif, problems: list[str]) -> xmp.Properties:
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or exif.get(TAG_XMP)
    if not isinstance(packet, bytes | str) or not packet:
        return {}
    try:
        return xmp.parse(packet)
    except xmp.XmpError as exc:
        problems.append(f"embedded XMP ignored: {exc}")
        return {}


def _own_description(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if value and value.casefold() not in _CAMERA_DESCRIPTIONS else None


def _iptc_text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return _text(value)


def _iptc_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [t for t in (_text(v) for v in items) if t]


def _unique(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for v in values:
        seen.setdefault(v.strip().casefold(), v.strip())
    return tuple(seen.values())


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value or None
