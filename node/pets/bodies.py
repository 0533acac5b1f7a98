"""Bodies as clustering and suggestion read them: ids, vectors and quality, as for faces.

A body is good enough to found or bridge a cluster, or to be assigned unasked, when the detector
was sure of it and it is large enough for its appearance to mean something: a small or doubtful
box is mostly background, and lies near every breed at once.
"""

from __future__ import annotations

import numpy as np

from node.library.store import Library
from node.people.faces import FaceSet
from node.vision import tables
from node.vision.classify import FEATURES_DIM

PET_SPECIES = ("dog", "cat")
FIGURE = "person"
MIN_SCORE = 0.6  # the detector's score
MIN_SIDE = 64.0  # pixels of the box's shorter side, in the original photo


def body_ids(library: Library, species: tuple[str, ...]) -> list[str]:
    kinds = ", ".join(f"'{s}'" for s in species)
    query = tables.bodies_table(library).search().where(f"species IN ({kinds})").select(["id"])
    ids: list[str] = query.limit(None).to_arrow().column("id").to_pylist()
    return ids


def load_bodies(library: Library, species: tuple[str, ...]) -> FaceSet:
    kinds = ", ".join(f"'{s}'" for s in species)
    columns = ["id", "media_hash", "box", "score", "embedding"]
    query = tables.bodies_table(library).search().where(f"species IN ({kinds})").select(columns)
    table = query.limit(None).to_arrow()
    n = table.num_rows
    vectors = np.asarray(
        table["embedding"].combine_chunks().flatten().to_numpy(zero_copy_only=False), np.float32
    ).reshape(n, FEATURES_DIM)
    boxes = np.asarray(
        table["box"].combine_chunks().flatten().to_numpy(zero_copy_only=False), np.float32
    ).reshape(n, 4)
    sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    good = (table["score"].to_numpy() >= MIN_SCORE) & (sides >= MIN_SIDE)
    return FaceSet(table["id"].to_pylist(), table["media_hash"].to_pylist(), vectors, good)
