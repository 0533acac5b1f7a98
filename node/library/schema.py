"""The on-disk tables the index writes and the records written into them.

Each table is keyed so that writing the same record twice is an upsert, never a duplicate:

- `files`: one row per path (`path` key) → content `hash`, plus `size`/`mtime_ns` to tell
  whether the file changed without reading it.
- `media`: one row per distinct content (`hash` key, SHA-256 of the bytes): date, place,
  camera, size. A row here means the photo was decoded and its metadata read; what the
  indexing stages made of it is recorded in `stages`.
- `stages`: one done marker per (stage, content): the stage's version when it ran. A stage whose
  marker is missing or older runs again for that content; nothing else does.
- `faces`: one row per detected face (`id` = first 16 hex digits of the media hash + index):
  box and landmarks in upright original-image pixels, detection score, sharpness, the
  embedder's id and vector, a small JPEG thumbnail of the face.
- `thumbnails`: one small JPEG per photo (`hash` key), for showing a hit without its original.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa

_PK = {"lance-schema:unenforced-primary-key": "true"}


def key_field(name: str) -> pa.Field:
    """A string key column, marked so that `merge_insert` on it upserts."""
    return pa.field(name, pa.string(), nullable=False, metadata=_PK)


FILES = pa.schema(
    [
        key_field("path"),
        pa.field("hash", pa.string(), nullable=False),
        pa.field("size", pa.int64(), nullable=False),
        pa.field("mtime_ns", pa.int64(), nullable=False),
    ]
)

MEDIA = pa.schema(
    [
        key_field("hash"),
        pa.field("format", pa.string(), nullable=False),
        pa.field("width", pa.int32(), nullable=False),
        pa.field("height", pa.int32(), nullable=False),
        pa.field("taken_at", pa.string(), nullable=False),  # ISO 8601, offset when known
        pa.field("taken_local", pa.timestamp("us"), nullable=False),  # wall clock, for ranges
        pa.field("taken_at_source", pa.string(), nullable=False),  # "exif" | "file"
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("camera", pa.string()),
    ]
)
# Format 1 kept which embedder ran and how many faces it found in `media`; both now belong to
# the face stage (its marker and its rows), and migration drops them.
MEDIA_V1_ONLY = ("embedder", "face_count")

STAGES = pa.schema(
    [
        key_field("id"),  # "<stage>:<media hash>"
        pa.field("stage", pa.string(), nullable=False),
        pa.field("hash", pa.string(), nullable=False),
        pa.field("version", pa.string(), nullable=False),
    ]
)

THUMBNAILS = pa.schema(
    [
        key_field("hash"),
        pa.field("width", pa.int32(), nullable=False),
        pa.field("height", pa.int32(), nullable=False),
        pa.field("jpeg", pa.binary(), nullable=False),
    ]
)


def faces_schema(dim: int) -> pa.Schema:
    return pa.schema(
        [
            key_field("id"),
            pa.field("media_hash", pa.string(), nullable=False),
            pa.field("idx", pa.int32(), nullable=False),
            pa.field("box", pa.list_(pa.float32(), 4), nullable=False),
            pa.field("landmarks", pa.list_(pa.float32(), 10), nullable=False),
            pa.field("score", pa.float32(), nullable=False),
            pa.field("sharpness", pa.float32(), nullable=False),
            pa.field("embedder", pa.string(), nullable=False),
            pa.field("embedding", pa.list_(pa.float32(), dim), nullable=False),
            pa.field("thumbnail", pa.binary(), nullable=False),
        ]
    )


def face_id(media_hash: str, idx: int) -> str:
    """Deterministic, so a re-run or a resumed run writes the same ids (upsert, not duplicate)."""
    return f"{media_hash[:16]}-{idx}"


@dataclass(frozen=True)
class FaceRecord:
    media_hash: str
    idx: int
    box: tuple[float, ...]  # x1, y1, x2, y2
    landmarks: tuple[float, ...]
    score: float
    sharpness: float
    embedder: str
    embedding: np.ndarray
    thumbnail: bytes

    @property
    def id(self) -> str:
        return face_id(self.media_hash, self.idx)

    def row(self) -> dict[str, object]:
        return {
            "id": self.id,
            "media_hash": self.media_hash,
            "idx": self.idx,
            "box": list(self.box),
            "landmarks": list(self.landmarks),
            "score": self.score,
            "sharpness": self.sharpness,
            "embedder": self.embedder,
            "embedding": self.embedding.tolist(),
            "thumbnail": self.thumbnail,
        }


@dataclass(frozen=True)
class PhotoRecord:
    """What decoding a photo tells: its size, format, date, place and camera."""

    hash: str
    format: str
    width: int
    height: int
    taken_at: datetime
    taken_at_source: str
    lat: float | None
    lon: float | None
    camera: str | None

    def media_row(self) -> dict[str, object]:
        return {
            "hash": self.hash,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "taken_at": self.taken_at.isoformat(),
            "taken_local": self.taken_at.replace(tzinfo=None),
            "taken_at_source": self.taken_at_source,
            "lat": self.lat,
            "lon": self.lon,
            "camera": self.camera,
        }


@dataclass(frozen=True)
class Marker:
    """A stage's done marker for one photo's content."""

    stage: str
    hash: str
    version: str

    def row(self) -> dict[str, str]:
        return {
            "id": f"{self.stage}:{self.hash}",
            "stage": self.stage,
            "hash": self.hash,
            "version": self.version,
        }


@dataclass(frozen=True)
class FileRecord:
    path: str
    hash: str
    size: int
    mtime_ns: int
