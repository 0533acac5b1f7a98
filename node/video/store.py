"""What only videos have, in two tables beside the index: the video's own facts, and when each
of its face tracks is on screen.

- `videos`: one row per video content (`hash` key): duration, codec, frame rate, rotation,
  how it was sampled, the poster frame's time, and notes on what limited it (a long video
  sampled thinly, packets that did not decode).
- `face_spans`: one row per face track (`face` key, the face id in `faces`): its media hash,
  the time of the frame its crop and descriptor come from, on how many samples it was seen,
  and its spans, `[start, end]` seconds on the player's timeline.

A track's face row in `faces` is an ordinary face, so people, labels, suggestions and sync use
it unchanged; these tables only add time. The video stage (`node.index.video`) writes them as
any stage writes its rows: upserts on their keys, before the media row and marker that mark
the video done, so a kill between commits rewrites the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from node.library.schema import face_id, key_field
from node.library.store import Library, in_clauses
from node.video.analyse import VideoRecord
from node.video.track import Span

VIDEOS = pa.schema(
    [
        key_field("hash"),
        pa.field("duration", pa.float64(), nullable=False),  # seconds
        pa.field("codec", pa.string(), nullable=False),
        pa.field("fps", pa.float64()),
        pa.field("rotation", pa.int32(), nullable=False),  # quarter turns counter-clockwise
        pa.field("samples", pa.int32(), nullable=False),  # frames the face models looked at
        pa.field("every", pa.float64(), nullable=False),  # seconds between periodic samples
        pa.field("poster", pa.float64(), nullable=False),  # seconds: the frame shown for it
        pa.field("notes", pa.list_(pa.string()), nullable=False),
    ]
)

SPAN = pa.struct([pa.field("start", pa.float64()), pa.field("end", pa.float64())])
FACE_SPANS = pa.schema(
    [
        key_field("face"),
        pa.field("media_hash", pa.string(), nullable=False),
        pa.field("best_time", pa.float64(), nullable=False),
        pa.field("sightings", pa.int32(), nullable=False),
        pa.field("spans", pa.list_(SPAN), nullable=False),
    ]
)


@dataclass(frozen=True)
class VideoFacts:
    """A video's row, as search, `roost show` and the TUI read it."""

    hash: str
    duration: float
    codec: str
    fps: float | None
    rotation: int
    samples: int
    every: float
    poster: float
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "duration": self.duration,
            "codec": self.codec,
            "fps": self.fps,
            "rotation": self.rotation * 90,
            "samples": self.samples,
            "sampled_every": self.every,
            "poster": self.poster,
            "notes": list(self.notes),
        }


def videos_table(library: Library) -> Any:
    return library.table("videos", VIDEOS)


def spans_table(library: Library) -> Any:
    return library.table("face_spans", FACE_SPANS)


def video_rows(digest: str, record: VideoRecord) -> tuple[pa.Table, pa.Table]:
    """The `videos` row and the `face_spans` rows of one analysed video."""
    video = {
        "hash": digest,
        "duration": record.duration,
        "codec": record.info.codec,
        "fps": record.info.fps,
        "rotation": record.rotation,
        "samples": record.samples,
        "every": record.every,
        "poster": record.poster,
        "notes": list(record.notes),
    }
    spans = [
        {
            "face": face_id(digest, face.idx),
            "media_hash": digest,
            "best_time": face.best_time,
            "sightings": face.sightings,
            "spans": [{"start": a, "end": b} for a, b in face.spans],
        }
        for face in record.faces
    ]
    return pa.Table.from_pylist([video], VIDEOS), pa.Table.from_pylist(spans, FACE_SPANS)


def videos_of(library: Library, hashes: Iterable[str]) -> dict[str, VideoFacts]:
    """The videos among `hashes` (photos have no row), with their facts."""
    found: dict[str, VideoFacts] = {}
    table = videos_table(library)
    for predicate in in_clauses("hash", sorted(set(hashes))):
        rows = table.search().where(predicate).limit(None).to_arrow().to_pylist()
        for row in rows:
            row["notes"] = tuple(row["notes"])
            found[row["hash"]] = VideoFacts(**row)
    return found


@dataclass(frozen=True)
class OnScreen:
    """When a face track is on screen, and the moment its crop and descriptor come from."""

    spans: tuple[Span, ...]
    best_time: float
    sightings: int


def tracks_of(library: Library, faces: Iterable[str]) -> dict[str, OnScreen]:
    """Face id → when it is on screen, for the faces among `faces` that are video tracks."""
    found: dict[str, OnScreen] = {}
    table = spans_table(library)
    columns = ["face", "spans", "best_time", "sightings"]
    for predicate in in_clauses("face", sorted(set(faces))):
        query = table.search().where(predicate).select(columns).limit(None)
        for row in query.to_arrow().to_pylist():
            spans = tuple((s["start"], s["end"]) for s in row["spans"])
            found[row["face"]] = OnScreen(spans, row["best_time"], row["sightings"])
    return found
