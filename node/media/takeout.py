"""Google Takeout's JSON sidecars: the date, place, description and people Google Photos knew.

Takeout writes one JSON beside each photo, and its naming is irregular (`find` below). The
photo's own metadata wins where it has any: Takeout fills what the file lacks (Google Photos
often stripped the file's EXIF position, or the file never had one). The `people` list names
who Google Photos recognised in the photo, but not where: those names become suggestions for
the photo's faces (`node.media.hints`), never labels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from node.media.dates import DateCandidate, DateSource, Tag
from protocol.errors import RoostError

MAX_JSON = 1 << 20  # bytes; a real one is under 2 KB
_OLD_LIMIT = 46  # older exports cut the name before ".json" to this many characters
_SUPPLEMENTAL = ".supplemental-metadata"
# The suffix Google Photos gives an edited copy, in the languages it writes it.
EDITED_SUFFIXES = ("-edited", "-bearbeitet", "-modifié", "-editado", "-modificato", "-bewerkt")
_COPY = re.compile(r"^(?P<stem>.*)\((?P<n>\d+)\)$")


class TakeoutError(RoostError):
    """The JSON sidecar is unusable; the message says why."""


@dataclass(frozen=True)
class TakeoutMeta:
    taken: DateCandidate | None
    lat: float | None
    lon: float | None
    description: str | None
    people: tuple[str, ...]


def find(photo: Path, names: Collection[str]) -> Path | None:
    """The Takeout JSON for `photo` among the file names `names` of its folder.

    In order: `IMG.jpg.json`; `IMG.jpg.supplemental-metadata.json` and its cuts
    (`IMG.jpg.supplemental-me.json`, `IMG.jpg.supp.json`); the same for the original of an
    edited copy (`IMG-edited.jpg` → `IMG.jpg.json`); for a duplicate `IMG(1).jpg`, the counter moved
    behind the name (`IMG.jpg(1).json`, `IMG.jpg.supplemental-metadata(1).json`); last
    `IMG.json`.
    """
    stem, suffix = photo.stem, photo.suffix
    copy, counter = _COPY.match(stem), ""
    if copy:
        stem, counter = copy.group("stem"), f"({copy.group('n')})"
    stems = [stem] + [stem[: -len(s)] for s in EDITED_SUFFIXES if stem.endswith(s)]
    for base in stems:
        for name in _candidates(base + suffix, counter):
            if name in names:
                return photo.with_name(name)
    if not counter and f"{photo.stem}.json" in names:
        return photo.with_name(f"{photo.stem}.json")
    return None


def _candidates(media_name: str, counter: str) -> list[str]:
    """Sidecar names for `media_name`: plain, supplemental and every cut of it (Takeout cuts
    long names at a length that has changed over the years), then the old 46-character cut."""
    tail = f"{counter}.json"
    full = media_name + _SUPPLEMENTAL
    found = [media_name + tail]
    found += [full[:cut] + tail for cut in range(len(full), len(media_name) + 1, -1)]
    if len(media_name) > _OLD_LIMIT:
        found.append(media_name[:_OLD_LIMIT] + tail)
    return found


def read(path: Path) -> TakeoutMeta:
    """Parse one Takeout JSON sidecar; refuse anything that is not one."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_JSON + 1)
    except OSError as exc:
        raise TakeoutError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    if len(data) > MAX_JSON:
        raise TakeoutError(f"{path.name} is over {MAX_JSON} bytes: not a Takeout sidecar")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise TakeoutError(f"{path.name} is not valid JSON") from exc
    if not isinstance(doc, dict) or not ({"photoTakenTime", "geoData", "title"} & doc.keys()):
        raise TakeoutError(f"{path.name} is not a Google Takeout sidecar")
    lat_lon = _position(doc.get("geoData")) or _position(doc.get("geoDataExif"))
    return TakeoutMeta(
        taken=_taken(doc.get("photoTakenTime")),
        lat=lat_lon[0] if lat_lon else None,
        lon=lat_lon[1] if lat_lon else None,
        description=_text(doc.get("description")),
        people=_people(doc.get("people")),
    )


def _taken(value: Any) -> DateCandidate | None:
    if not isinstance(value, dict):
        return None
    try:
        seconds = int(str(value.get("timestamp", "")).strip())
        taken = datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    if seconds <= 0:  # 0 is what Takeout writes when it does not know
        return None
    return DateCandidate(Tag.PHOTO_TAKEN_TIME, taken, DateSource.TAKEOUT)


def _position(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, dict):
        return None
    lat, lon = value.get("latitude"), value.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    if (lat == 0 and lon == 0) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None  # 0/0 is Takeout's "no position"
    return round(float(lat), 7), round(float(lon), 7)


def _people(value: Any) -> tuple[str, ...]:
    names: dict[str, str] = {}
    for person in value if isinstance(value, list) else []:
        name = _text(person.get("name")) if isinstance(person, dict) else None
        if name:
            names.setdefault(name.casefold(), name[:80])
    return tuple(names.values())


def _text(value: Any) -> str | None:
    return " ".join(value.split()) or None if isinstance(value, str) else None
