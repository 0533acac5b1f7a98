"""The faces as clustering and suggestion read them: ids, vectors and quality, no thumbnails.

At 10,000 faces this is 5 MB of vectors, read in one scan; the thumbnails, which are most of the
faces table, stay on disk until someone pages through them.
"""

from __future__ import annotations

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
    return _read(library.faces)


def faces_at(library: Library, version: int) -> FaceSet | None:
    """The faces as they stood at `version` of the faces table; None if it is gone."""
    table = library.table_at(library.meta.space.faces, version)
    return None if table is None else _read(table)


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
    """A fixed-size list column as a float32 matrix, without a Python object per number."""
    values = table.column(column).combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return np.asarray(values, np.float32).reshape(rows, width)
