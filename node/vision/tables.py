"""The rows the vision stage writes, each kind in a table of its own beside the index.

- `objects`: one row per detected object or animal (`<hash16>-o<idx>`): COCO label, score and
  box in upright original pixels.
- `scene_labels`: one row per photo (content hash): its top ImageNet classes and scores.
- `bodies`: one row per dog or cat, and per person whose face could not be found
  (`<hash16>-b<idx>`, deterministic like face ids, so the same on every device): box, score,
  species, appearance vector and a thumbnail. Bodies live in their own embedding space and are
  never compared with faces; pets are clustered and suggested in it (`node.pets`), people's
  figures are only named by hand (clothes are no identity).
- `clip_images`: one CLIP image embedding per photo, when the user installed such a model.

Which model made a photo's rows is in the registry's done markers, one stage per table
(`node.vision.stages`).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from node.library.schema import key_field
from node.library.store import Library
from node.vision.classify import FEATURES_DIM

BODY_MARK = "-b"
OBJECTS_TABLE, SCENE_LABELS_TABLE, BODIES_TABLE, CLIP_TABLE = (
    "objects", "scene_labels", "bodies", "clip_images"
)  # fmt: skip

OBJECTS = pa.schema(
    [
        key_field("id"),
        pa.field("media_hash", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("score", pa.float32(), nullable=False),
        pa.field("box", pa.list_(pa.float32(), 4), nullable=False),
    ]
)

SCENE_LABELS = pa.schema(
    [
        key_field("hash"),
        pa.field("labels", pa.list_(pa.int32()), nullable=False),
        pa.field("scores", pa.list_(pa.float32()), nullable=False),
    ]
)

BODIES = pa.schema(
    [
        key_field("id"),
        pa.field("media_hash", pa.string(), nullable=False),
        pa.field("idx", pa.int32(), nullable=False),
        pa.field("species", pa.string(), nullable=False),  # the COCO label: dog, cat, person
        pa.field("box", pa.list_(pa.float32(), 4), nullable=False),
        pa.field("score", pa.float32(), nullable=False),
        pa.field("sharpness", pa.float32(), nullable=False),
        pa.field("embedder", pa.string(), nullable=False),
        pa.field("embedding", pa.list_(pa.float32(), FEATURES_DIM), nullable=False),
        pa.field("thumbnail", pa.binary(), nullable=False),
    ]
)

CLIP_IMAGES = pa.schema(
    [
        key_field("hash"),
        pa.field("model", pa.string(), nullable=False),
        pa.field("embedding", pa.list_(pa.float32()), nullable=False),
    ]
)


def body_id(media_hash: str, idx: int) -> str:
    return f"{media_hash[:16]}{BODY_MARK}{idx}"


def is_body(crop_id: str) -> bool:
    """Body ids carry `-b`; face ids are `<hash16>-<digits>`."""
    return BODY_MARK in crop_id


def objects_table(library: Library) -> Any:
    return library.table(OBJECTS_TABLE, OBJECTS)


def labels_table(library: Library) -> Any:
    return library.table(SCENE_LABELS_TABLE, SCENE_LABELS)


def bodies_table(library: Library) -> Any:
    return library.table(BODIES_TABLE, BODIES)


def clip_table(library: Library) -> Any:
    return library.table(CLIP_TABLE, CLIP_IMAGES)


def body_ids_of(library: Library, media_hash: str) -> list[str]:
    query = bodies_table(library).search().where(f"media_hash = '{media_hash}'").select(["id"])
    ids: list[str] = sorted(query.limit(None).to_arrow().column("id").to_pylist())
    return ids


def bodies_of(library: Library, media_hash: str, names: dict[str, str]) -> list[dict[str, Any]]:
    """The `roost show --json` record of a photo's bodies: id, species, box, score, name."""
    query = bodies_table(library).search().where(f"media_hash = '{media_hash}'")
    rows = query.select(["id", "species", "box", "score"]).limit(None).to_arrow().to_pylist()
    return [
        {"id": r["id"], "species": r["species"], "box": [round(v, 1) for v in r["box"]],
         "score": round(r["score"], 4), "name": names.get(r["id"])}
        for r in sorted(rows, key=lambda r: r["id"])
    ]  # fmt: skip
