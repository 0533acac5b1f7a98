"""Everything known about one photo, from the file and the sidecars beside it, with where each
field came from.

Sources, strongest first, field by field:

- an XMP sidecar (`node.media.sidecars`): what a person set in Lightroom or digiKam
- the file itself: EXIF, IPTC, then embedded XMP (`node.media.exif`)
- a Google Takeout JSON (`node.media.takeout`): fills only what the file lacks
- for the date, the file's modification time

Dates are ranked within each source (`node.media.dates`); the time zone is the one recorded
with the date, else the zone at the photo's position (`node.media.timezones`). Sidecars that
cannot be read are reported in `problems` and ignored; the photo is indexed all the same. Which
sidecars and videos lie beside the photo is `node.media.beside`'s business; a Live Photo still's
video is found among those videos (`node.media.live`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from node.media import sidecars, takeout, xmp
from node.media.beside import Beside
from node.media.dates import DateSource, Taken, resolve
from node.media.exif import PhotoMeta, xmp_dates, xmp_description, xmp_gps
from node.media.live import still_content_id, video_for
from node.media.motion import Clip, embedded_clip
from node.media.regions import FaceRegion, read_regions
from node.media.timezones import zone_at

T = TypeVar("T")


@dataclass(frozen=True)
class PhotoInfo:
    """The resolved metadata of one photo and the source of each field."""

    taken: Taken
    lat: float | None
    lon: float | None
    gps_source: DateSource | None
    description: str | None
    description_source: DateSource | None
    keywords: tuple[str, ...]
    keywords_source: DateSource | None
    regions: tuple[FaceRegion, ...]
    regions_source: DateSource | None
    people: tuple[str, ...]  # names a Takeout sidecar lists for the photo
    sidecars: tuple[str, ...]  # the sidecar files read
    clip: Clip | None  # a motion photo's embedded video
    content_id: str | None  # an Apple Live Photo's content identifier
    live_video: str | None  # the Live Photo's video beside it
    problems: tuple[str, ...]

    @property
    def from_sidecar(self) -> bool:
        """Whether any field came from a sidecar file."""
        side = (DateSource.SIDECAR, DateSource.TAKEOUT)
        fields = (self.taken.source, self.gps_source, self.description_source)
        return any(f in side for f in (*fields, self.keywords_source, self.regions_source)) or (
            bool(self.people)
        )


def describe(
    path: Path,
    meta: PhotoMeta,
    *,
    stored_size: tuple[int, int],
    file_size: int,
    mtime: datetime,
    beside: Beside,
) -> PhotoInfo:
    """Combine the file's metadata with the sidecars and videos `beside` it."""
    problems = list(meta.problems)
    side: xmp.Properties = {}
    used: list[str] = []
    found = beside.xmp
    if found is not None:
        try:
            side = sidecars.read_xmp(found)
            used.append(str(found))
        except xmp.XmpError as exc:
            problems.append(f"sidecar {found.name} ignored: {exc}")
    google = None
    json_path = beside.takeout
    if json_path is not None:
        try:
            google = takeout.read(json_path)
            used.append(str(json_path))
        except takeout.TakeoutError as exc:
            problems.append(f"sidecar {json_path.name} ignored: {exc}")

    gps = _first(
        (xmp_gps(side), DateSource.SIDECAR),
        (_pair(meta.lat, meta.lon), meta.gps_source or DateSource.EXIF),
        (_pair(google.lat, google.lon) if google else None, DateSource.TAKEOUT),
    )
    lat, lon = gps[0] if gps else (None, None)
    dates = (
        xmp_dates(side, DateSource.SIDECAR),
        meta.dates,
        (google.taken,) if google and google.taken else (),
    )
    description = _first(
        (xmp_description(side), DateSource.SIDECAR),
        (meta.description, meta.description_source or DateSource.EXIF),
        (google.description if google else None, DateSource.TAKEOUT),
    )
    keywords = _first(
        (tuple(xmp.texts(side, "dc:subject")) or None, DateSource.SIDECAR),
        (meta.keywords or None, meta.keywords_source or DateSource.EXIF),
    )
    regions = _first(
        (_regions(side, meta, stored_size), DateSource.SIDECAR),
        (_regions(meta.xmp, meta, stored_size), DateSource.XMP),
    )
    content_id = still_content_id(meta.maker_note)
    return PhotoInfo(
        taken=resolve(dates, zone=zone_at(lat, lon), mtime=mtime),
        lat=lat,
        lon=lon,
        gps_source=gps[1] if gps else None,
        description=description[0] if description else None,
        description_source=description[1] if description else None,
        keywords=keywords[0] if keywords else (),
        keywords_source=keywords[1] if keywords else None,
        regions=regions[0] if regions else (),
        regions_source=regions[1] if regions else None,
        people=google.people if google else (),
        sidecars=tuple(used),
        clip=embedded_clip(meta.xmp, path, file_size),
        content_id=content_id,
        live_video=str(video) if (video := video_for(path, content_id, beside.videos)) else None,
        problems=tuple(problems),
    )


def _first(*options: tuple[T | None, DateSource]) -> tuple[T, DateSource] | None:
    for value, origin in options:
        if value:
            return value, origin
    return None


def _pair(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    return (lat, lon) if lat is not None and lon is not None else None


def _regions(
    props: xmp.Properties, meta: PhotoMeta, stored_size: tuple[int, int]
) -> tuple[FaceRegion, ...] | None:
    found = read_regions(props, orientation=meta.orientation, stored_size=stored_size)
    return tuple(found) or None
