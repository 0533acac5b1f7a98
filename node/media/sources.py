"""`photo_sources`: what each indexed photo's metadata came from, beyond the `media` row.

One row per content hash, written by the imports stage (`node.index.imports`) in the batch that
indexes the photo, and again whenever the files beside it change. It is what `roost show
--json` reports as `sources`, the time zone and the sidecars read, and what later stages need
and the `media` table has no column for: a motion photo's embedded clip, a Live Photo's MOV,
face regions other apps named (which face each became, how that face was found, and the label
events that named it), and the people a Takeout sidecar listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pyarrow as pa

from node.library.schema import key_field
from node.library.store import Library, in_clauses
from node.media.metadata import PhotoInfo
from node.media.regions import FaceRegion

TABLE = "photo_sources"

SCHEMA = pa.schema(
    [
        key_field("hash"),
        pa.field("path", pa.string(), nullable=False),  # the copy whose sidecars were read
        pa.field("taken_from", pa.string(), nullable=False),  # e.g. "sidecar:CreateDate"
        pa.field("time_zone", pa.string()),  # IANA name or "+02:00"
        pa.field("time_zone_source", pa.string()),  # "offset" | "gps" | "device"
        pa.field("gps_source", pa.string()),
        pa.field("description", pa.string()),
        pa.field("description_source", pa.string()),
        pa.field("keywords", pa.list_(pa.string()), nullable=False),
        pa.field("keywords_source", pa.string()),
        pa.field("sidecars", pa.list_(pa.string()), nullable=False),
        pa.field("clip_offset", pa.int64()),  # motion photo: the video inside the file
        pa.field("clip_length", pa.int64()),
        pa.field("clip_mime", pa.string()),
        pa.field("content_id", pa.string()),  # Apple Live Photo content identifier
        pa.field("live_video", pa.string()),  # the Live Photo's MOV, when found beside it
        pa.field("regions", pa.string(), nullable=False),  # JSON: named regions and their faces
        pa.field("regions_source", pa.string()),
        pa.field("people", pa.list_(pa.string()), nullable=False),  # Takeout's names: hints
        pa.field("problems", pa.list_(pa.string()), nullable=False),
    ]
)


class FoundBy(StrEnum):
    """How the face a named region became was found."""

    DETECTOR = "detector"  # the face stage found it in the whole photo
    REGION = "region"  # found by looking inside the region (`node.media.regions.search_region`)
    METADATA = "metadata"  # no detector found it: the named region itself is the face


@dataclass(frozen=True)
class RegionFace:
    """A named region, and the face it is (None: no face was found there)."""

    region: FaceRegion
    face: str | None
    found_by: FoundBy | None
    events: tuple[str, ...] = ()  # the label events that named the face

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.region.name,
            "box": [round(v, 6) for v in self.region.box],
            "source": str(self.region.source),
            "face": self.face,
            "found_by": None if self.found_by is None else str(self.found_by),
            "events": list(self.events),
        }


@dataclass(frozen=True)
class SourceRow:
    """One photo's row: its metadata sources, and its named regions as matched to faces."""

    hash: str
    path: str
    info: PhotoInfo
    regions: tuple[RegionFace, ...] = field(default_factory=tuple)

    def row(self) -> dict[str, Any]:
        info, clip = self.info, self.info.clip
        return {
            "hash": self.hash,
            "path": self.path,
            "taken_from": info.taken.label,
            "time_zone": info.taken.zone,
            "time_zone_source": info.taken.zone_source,
            "gps_source": info.gps_source,
            "description": info.description,
            "description_source": info.description_source,
            "keywords": list(info.keywords),
            "keywords_source": info.keywords_source,
            "sidecars": list(info.sidecars),
            "clip_offset": clip.offset if clip else None,
            "clip_length": clip.length if clip else None,
            "clip_mime": clip.mime if clip else None,
            "content_id": info.content_id,
            "live_video": info.live_video,
            "regions": json.dumps([r.to_json() for r in self.regions]),
            "regions_source": info.regions_source,
            "people": list(info.people),
            "problems": list(info.problems),
        }


@dataclass
class ImportCounts:
    """What one index run took from sidecars and other apps' metadata (`roost index` summary)."""

    from_sidecars: int = 0  # photos with a field from an XMP or Takeout sidecar
    names_imported: int = 0  # faces named from other apps' face regions
    names_kept: int = 0  # named regions on faces the user had already labelled
    names_refused: int = 0  # named regions whose name cannot be a name in Roost
    faces_found_in_regions: int = 0  # faces found only by looking inside a named region
    faces_from_regions: int = 0  # named regions made faces themselves: no detector found one
    regions_without_face: int = 0  # named regions where no face was found
    people_hints: int = 0  # photos whose Takeout sidecar lists people
    motion_photos: int = 0
    live_photos: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(vars(self))


def sources_table(library: Library) -> Any:
    return library.table(TABLE, SCHEMA)


def read(library: Library, media_hash: str) -> dict[str, Any] | None:
    return read_many(library, [media_hash]).get(media_hash)


def read_many(library: Library, hashes: list[str]) -> dict[str, dict[str, Any]]:
    table = sources_table(library)
    found: dict[str, dict[str, Any]] = {}
    for predicate in in_clauses("hash", sorted(set(hashes))):
        for row in table.search().where(predicate).limit(None).to_arrow().to_pylist():
            row["regions"] = json.loads(row["regions"])
            found[row["hash"]] = row
    return found


def people_hints(library: Library) -> dict[str, list[str]]:
    """Media hash → the people its Takeout sidecar lists, for every photo that has any."""
    rows = sources_table(library).search().where("array_length(people) > 0")
    table = rows.select(["hash", "people"]).limit(None).to_arrow()
    return dict(zip(table["hash"].to_pylist(), table["people"].to_pylist(), strict=True))
