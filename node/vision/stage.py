"""The vision pass of `roost index`: objects, scene labels, bodies (pets, and people whose face
cannot be seen) and CLIP embeddings for every photo that lacks them.

It runs after the photos' own indexing and before what is derived from it (clusters), over
every photo in the library whose `vision` marker does not name the installed model for a part,
so installing a model later, or a new part version, runs just that part over an existing
library. A part whose model is not installed is skipped with a note that says how to install
it; nothing runs on random weights.

Each photo is decoded again, at 640 px (JPEG DCT scaling makes that cheap), one thread ahead
of the models. Rows are committed every `BATCH` photos, payload first and markers last, so a
kill costs at most one batch, which the next run redoes with the same ids.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa

from node.faces.crop import sharpness, thumbnail
from node.library.store import Library, in_clauses
from node.media.decode import Decoded, DecodeError, decode
from node.media.scan import Problem
from node.models.registry import COCO_SSD, IMAGENET_MOBILENET, ModelSpec, Role
from node.models.store import ModelStore
from node.vision import tables
from node.vision.classify import ImageNetClassifier
from node.vision.clip import ClipModel
from node.vision.detect import CocoDetector, Found

WORK_SIDE = 640
MAX_PIXELS = 100_000_000  # as the indexer's decode
BATCH = 32
SPECIES = ("dog", "cat")
PET_MIN_SCORE = 0.4  # a dog or cat box this sure gets a crop and an appearance vector
FIGURE_MIN_SCORE = 0.6  # a person this sure, with no face found inside, gets a crop to name
MAX_BODIES = 6
PART_VERSION = 1


@dataclass
class VisionSummary:
    analysed: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # part → why it did not run
    failed: list[Problem] = field(default_factory=list)
    models_loaded: list[str] = field(default_factory=list)


class VisionModels:
    """The installed vision models, each constructed when first asked for (its weights load on
    its first prediction)."""

    def __init__(self, store: ModelStore, threads: int) -> None:
        self.store, self.threads = store, threads

    @cached_property
    def detector(self) -> CocoDetector | None:
        if not self.store.present(COCO_SSD):
            return None
        return CocoDetector(self.store.folder(COCO_SSD.name), threads=self.threads)

    @cached_property
    def classifier(self) -> ImageNetClassifier | None:
        if not self.store.present(IMAGENET_MOBILENET):
            return None
        folder = self.store.folder(IMAGENET_MOBILENET.name)
        return ImageNetClassifier(folder, threads=self.threads)

    @cached_property
    def clip(self) -> ClipModel | None:
        spec = self.store.installed(Role.CLIP)
        if spec is None:
            return None
        return ClipModel(spec, self.store.folder(spec.name), threads=self.threads)

    def parts(self) -> dict[str, str]:
        """Part → the marker value its rows get now, for the parts whose models are here."""
        made = {}
        if self.detector is not None:
            made["objects"] = _by(COCO_SSD)
        if self.classifier is not None:
            made["labels"] = _by(IMAGENET_MOBILENET)
        if self.detector is not None and self.classifier is not None:
            made["bodies"] = f"{_by(COCO_SSD)}+{_by(IMAGENET_MOBILENET)}"
        if self.clip is not None:
            made["clip"] = self.clip.id
        return made

    def skipped(self) -> dict[str, str]:
        """Part → why it is skipped, for want of a model (CLIP is optional and never noted)."""
        missing = {}
        for part, specs in (
            ("objects", (COCO_SSD,)),
            ("labels", (IMAGENET_MOBILENET,)),
            ("bodies", (COCO_SSD, IMAGENET_MOBILENET)),
        ):
            for spec in specs:
                if not self.store.present(spec):
                    missing[f"vision:{part}"] = (
                        f"model {spec.name} is not installed (`roost models fetch {spec.name}`)"
                    )
                    break
        return missing

    def loaded(self) -> list[str]:
        models: list[Any] = [self.detector, self.classifier, self.clip]
        return [m.spec.name for m in models if m is not None and m.loaded]


def _by(spec: ModelSpec) -> str:
    return f"{spec.name}/{PART_VERSION}"


def update_vision(library: Library, store: ModelStore, *, threads: int = 1) -> VisionSummary:
    """Run every installed part over the photos that lack its rows. The caller holds the lock."""
    models = VisionModels(store, threads)
    summary = VisionSummary(skipped=models.skipped())
    markers = tables.read_markers(library)
    present = library.media_hashes()
    _drop(library, sorted(set(markers) - present))
    wanted = models.parts()
    todo = sorted(
        h for h in present if any(markers.get(h, {}).get(p) != by for p, by in wanted.items())
    )
    if todo:
        paths = library.paths_by_hash(todo)
        faces = _face_boxes(library, todo)
        batch = _Batch()
        for digest, decoded, problem in _decode_ahead(todo, paths):
            if decoded is None:
                summary.failed.append(Problem(paths.get(digest, [digest])[0], problem))
                continue
            old = markers.get(digest, {})
            redo = {p: by for p, by in wanted.items() if old.get(p) != by}
            rows = _analyse(models, digest, decoded, redo, faces.get(digest, []))
            batch.add(digest, rows, old, redo)
            summary.analysed += 1
            if len(batch.markers) >= BATCH:
                batch.commit(library)
                batch = _Batch()
        batch.commit(library)
    summary.models_loaded = models.loaded()
    return summary


def _face_boxes(library: Library, hashes: list[str]) -> dict[str, list[tuple[float, ...]]]:
    """Media hash → its faces' boxes (original pixels), a few hundred photos per query."""
    boxes: dict[str, list[tuple[float, ...]]] = {}
    for predicate in in_clauses("media_hash", hashes):
        query = library.faces.search().where(predicate).select(["media_hash", "box"])
        for row in query.limit(None).to_arrow().to_pylist():
            boxes.setdefault(row["media_hash"], []).append(tuple(row["box"]))
    return boxes


def _decode_ahead(
    todo: list[str], paths: dict[str, list[str]]
) -> Iterator[tuple[str, Decoded | None, str]]:
    def load(digest: str) -> tuple[str, Decoded | None, str]:
        problem = "vision stage: no path left"
        for path in paths.get(digest, []):
            try:
                return digest, decode(Path(path), work_side=WORK_SIDE, max_pixels=MAX_PIXELS), ""
            except DecodeError as exc:
                problem = f"vision stage: {exc}"
        return digest, None, problem

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vision-decode") as pool:
        window: deque[Future[tuple[str, Decoded | None, str]]] = deque()
        for digest in todo:
            window.append(pool.submit(load, digest))
            if len(window) >= 3:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


@dataclass
class _Rows:
    objects: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    clip: list[dict[str, Any]] = field(default_factory=list)


def _analyse(
    models: VisionModels,
    digest: str,
    decoded: Decoded,
    redo: dict[str, str],
    faces: list[tuple[float, ...]],
) -> _Rows:
    """The rows of the parts in `redo` for one photo; `faces` are its face boxes (original
    pixels), so that a person is cropped as a figure only when no face of theirs was found."""
    image, to_original = decoded.image, 1.0 / decoded.scale
    rows = _Rows()
    found: list[Found] = []
    if models.detector is not None and ("objects" in redo or "bodies" in redo):
        found = models.detector.detect(image)
    if "objects" in redo:
        rows.objects = [
            {"id": f"{digest[:16]}-o{i}", "media_hash": digest, "label": f.label,
             "score": round(f.score, 4), "box": _scaled(f.box, to_original)}
            for i, f in enumerate(found)
        ]  # fmt: skip
    if "labels" in redo and models.classifier is not None:
        labelled = models.classifier.classify(image)
        rows.labels = [{"hash": digest, "labels": list(labelled.labels),
                        "scores": list(labelled.scores)}]  # fmt: skip
    if "bodies" in redo and models.classifier is not None:
        bodies = _bodies(found, [_scaled(b, decoded.scale) for b in faces])
        vectors = models.classifier.appearance(image, [f.box for f in bodies])
        rows.bodies = [
            {"id": tables.body_id(digest, i), "media_hash": digest, "idx": i,
             "species": f.label, "box": _scaled(f.box, to_original), "score": round(f.score, 4),
             "sharpness": sharpness(image, f.box), "embedder": redo["bodies"],
             "embedding": vector.tolist(), "thumbnail": thumbnail(image, f.box)}
            for i, (f, vector) in enumerate(zip(bodies, vectors, strict=True))
        ]  # fmt: skip
    if "clip" in redo and models.clip is not None:
        vector = models.clip.embed_image(image)
        rows.clip = [{"hash": digest, "model": redo["clip"], "embedding": vector.tolist()}]
    return rows


def _bodies(found: list[Found], faces: list[list[float]]) -> list[Found]:
    """Dogs and cats, and people whose box holds no face's centre, most confident first."""

    def faceless(box: tuple[float, ...]) -> bool:
        centres = [((f[0] + f[2]) / 2, (f[1] + f[3]) / 2) for f in faces]
        return not any(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in centres)

    chosen = [
        f for f in found
        if (f.label in SPECIES and f.score >= PET_MIN_SCORE)
        or (f.label == "person" and f.score >= FIGURE_MIN_SCORE and faceless(f.box))
    ]  # fmt: skip
    return sorted(chosen, key=lambda f: -f.score)[:MAX_BODIES]


def _scaled(box: Sequence[float], factor: float) -> list[float]:
    return [round(v * factor, 1) for v in box]


class _Batch:
    """Rows of a few photos, committed payload first and markers last."""

    def __init__(self) -> None:
        self.rows = _Rows()
        self.redone: dict[str, list[str]] = {part: [] for part in tables.PARTS}
        self.markers: list[dict[str, str | None]] = []

    def add(
        self, digest: str, rows: _Rows, old: dict[str, str | None], redo: dict[str, str]
    ) -> None:
        for part in tables.PARTS:
            getattr(self.rows, part).extend(getattr(rows, part))
            if part in redo:
                self.redone[part].append(digest)
        marker: dict[str, str | None] = {part: old.get(part) for part in tables.PARTS}
        self.markers.append({"hash": digest, **marker, **redo})

    def commit(self, library: Library) -> None:
        if not self.markers:
            return
        for part, table, schema, key in (
            ("objects", tables.objects_table(library), tables.OBJECTS, "media_hash"),
            ("labels", tables.labels_table(library), tables.SCENE_LABELS, "hash"),
            ("bodies", tables.bodies_table(library), tables.BODIES, "media_hash"),
            ("clip", tables.clip_table(library), tables.CLIP_IMAGES, "hash"),
        ):
            for predicate in in_clauses(key, self.redone[part]):
                table.delete(predicate)  # a photo may now have fewer objects than before
            rows = getattr(self.rows, part)
            if rows:
                table.add(pa.Table.from_pylist(rows, schema))
        marks = pa.Table.from_pylist(self.markers, tables.VISION)
        Library.upsert(tables.vision_table(library), "hash", marks)


def _drop(library: Library, gone: list[str]) -> None:
    """Forget the vision rows of photos that left the library."""
    if not gone:
        return
    for table, key in (
        (tables.objects_table(library), "media_hash"),
        (tables.labels_table(library), "hash"),
        (tables.bodies_table(library), "media_hash"),
        (tables.clip_table(library), "hash"),
        (tables.vision_table(library), "hash"),
    ):
        for predicate in in_clauses(key, gone):
            table.delete(predicate)
