"""The on-disk tables and the records written into them.

Three tables, each keyed so that writing the same record twice is an upsert, never a duplicate:

- `files`: one row per path (`path` key) → content `hash`, plus `size`/`mtime_ns` to tell
  whether the file changed without reading it.
- `media`: one row per distinct content (`hash` key, SHA-256 of the bytes): date, place,
  camera, size, which embedder processed it. A row here means "fully processed".
- `faces`: one row per detected face (`id` = first 16 hex digits of the media hash + index):
  box and landmarks in upright original-image pixels, detection score, sharpness, the
  embedder's id and vector, a small JPEG thumbnail.
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
        pa.field("embedder", pa.string(), nullable=False),
        pa.field("face_count", pa.int32(), nullable=False),
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
    idx: int
    box: tuple[float, ...]  # x1, y1, x2, y2
    landmarks: tuple[float, ...]
    score: float
    sharpness: float
    embedding: np.ndarray
    thumbnail: bytes


@dataclass(frozen=True)
class PhotoRecord:
    hash: str
    format: str
    width: int
    height: int
    taken_at: datetime
    taken_at_source: str
    lat: float | None
    lon: float | None
    camera: str | None
    embedder: str
    faces: tuple[FaceRecord, ...]

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
            "embedder": self.embedder,
            "face_count": len(self.faces),
        }

    def face_rows(self) -> list[dict[str, object]]:
        return [
            {
                "id": face_id(self.hash, f.idx),
                "media_hash": self.hash,
                "idx": f.idx,
                "box": list(f.box),
                "landmarks": list(f.landmarks),
                "score": f.score,
                "sharpness": f.sharpness,
                "embedder": self.embedder,
                "embedding": f.embedding.tolist(),
                "thumbnail": f.thumbnail,
            }
            for f in self.faces
        ]


@dataclass(frozen=True)
class FileRecord:
    path: str
    hash: str
    size: int
    mtime_ns: int
