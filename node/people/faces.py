"""The faces as clustering and suggestion read them: ids, vectors and quality, no thumbnails.

At 10,000 faces this is 5 MB of vectors, read in one scan; the thumbnails, which are most of the
faces table, stay on disk until someone pages through them. At 250,000 faces it is 128 MB of
vectors, and one index run wanted them three times (clustering, the people state, the plan of
what to place again), each read taking a second and a copy of its own: so the last faces read
are kept, per version of the table, and shared. A kept `FaceSet` is read-only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from node.library.store import Library
from node.people.quality import is_good

_COLUMNS = ["id", "media_hash", "box", "score", "sharpness", "embedding"]


@dataclass(frozen=True)
class FaceSet:
    ids: list[str]
    media: list[str]  # media hash of each face
    vectors: np.ndarray  # (n, dim) float32
    good: np.ndarray  # (n,) bool: passes the quality gate

    def index(self) -> dict[str, int]:
        return {face: i for i, face in enumerate(self.ids)}


def load_faces(library: Library) -> FaceSet:
    """The faces as they stand: the kept ones if the table is at their version, else read
    (and kept only if no index run wrote the table while it was read)."""
    key = _key(library, int(library.faces.version))
    if (kept := _kept_at(key)) is not None:
        return kept
    faces = _read(library.faces)
    if _key(library, int(library.faces.version)) == key:
        _keep(key, faces)
    return faces


def faces_at(library: Library, version: int) -> FaceSet | None:
    """The faces as they stood at `version` of the faces table; None if it is gone."""
    if (kept := _kept_at(_key(library, version))) is not None:
        return kept
    table = library.table_at(library.meta.space.faces, version)
    return None if table is None else _read(table)


_Key = tuple[str, str, int]  # library root, faces table, version
_kept: tuple[_Key, FaceSet] | None = None
_lock = threading.Lock()


def _key(library: Library, version: int) -> _Key:
    return (str(library.root), library.meta.space.faces, version)


def _kept_at(key: _Key) -> FaceSet | None:
    with _lock:
        return _kept[1] if _kept is not None and _kept[0] == key else None


def _keep(key: _Key, faces: FaceSet) -> None:
    global _kept
    faces.vectors.setflags(write=False)
    faces.good.setflags(write=False)
    with _lock:
        _kept = (key, faces)


def _read(faces: Any) -> FaceSet:
    table = faces.search().select(_COLUMNS).limit(None).to_arrow()
    n = table.num_rows
    dim = faces.schema.field("embedding").type.list_size
    vectors = _matrix(table, "embedding", n, dim)
    boxes = _matrix(table, "box", n, 4)
    scores = table.column("score").to_numpy()
    sharpness = table.column("sharpness").to_numpy()
    good = np.array([is_good(b, s, h) for b, s, h in zip(boxes, scores, sharpness, strict=True)])
    return FaceSet(
        table.column("id").to_pylist(),
        table.column("media_hash").to_pylist(),
        vectors,
        good.astype(bool).reshape(n),
    )


def _matrix(table: pa.Table, column: str, rows: int, width: int) -> np.ndarray:
    """A fixed-size list column as a float32 matrix, without a Python object per number,
    copied chunk by chunk into place (combining the chunks first held a second copy)."""
    matrix = np.empty((rows, width), np.float32)
    at = 0
    for chunk in table.column(column).chunks:
        values = chunk.flatten().to_numpy(zero_copy_only=False)
        matrix[at : at + len(chunk)] = np.asarray(values, np.float32).reshape(len(chunk), width)
        at += len(chunk)
    return matrix
