"""The vision stages of `roost index`: objects, scene labels, bodies and CLIP image embeddings.

Each is a stage of the registry (`node.index.stage`), with the registry's done markers: a stage
whose model is installed later, or whose version changes, runs alone over an existing library,
and a stage whose model is not installed is skipped with a note that says how to install it;
nothing runs on random weights.

They read the photo the run decoded for every stage. The detector and the pets' calibration
were measured on a copy 640 px long (`WORK_SIDE`); that copy is made once per photo from the
shared image (`Decoded.at_most`) and shared by all four, so a photo is decoded once whatever
stages it needs. Boxes are stored in upright original pixels, like faces'.

Bodies read the rows of two earlier stages: the objects found (a dog, a cat, a person) and the
faces (a person whose face was found is named through the face, so gets no figure). Each comes
from this run when that stage ran on the photo now, else from its table, so the same photo gives
the same bodies, with the same ids, whichever stages ran together.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, ClassVar

import pyarrow as pa
from PIL import Image

from node.faces.crop import sharpness, thumbnail
from node.index.faces import FaceStage
from node.index.stage import Needs, Stage, Work
from node.library.schema import FaceRecord
from node.library.store import Library, StageRows
from node.models.registry import COCO_SSD, IMAGENET_MOBILENET, ModelSpec, Role
from node.models.store import ModelStore
from node.settings import Home
from node.vision import tables
from node.vision.classify import ImageNetClassifier
from node.vision.clip import ClipModel
from node.vision.detect import CocoDetector
from node.vision.shared import VisionModels

WORK_SIDE = 640
PART_VERSION = 1  # of what a stage makes from its model's output; a change reruns it
SPECIES = ("dog", "cat")
PET_MIN_SCORE = 0.4  # a dog or cat box this sure gets a crop and an appearance vector
FIGURE_MIN_SCORE = 0.6  # a person this sure, with no face found inside, gets a crop to name
MAX_BODIES = 6

Box = tuple[float, float, float, float]


def store_of(library: Library) -> ModelStore:
    """The models a library's home uses (`$ROOST_MODELS` when set)."""
    return ModelStore.for_home(Home(library.root.parent))


def _by(spec: ModelSpec) -> str:
    return f"{spec.name}/{PART_VERSION}"


def _not_installed(store: ModelStore, *specs: ModelSpec) -> str | None:
    for spec in specs:
        if not store.present(spec):
            return f"model {spec.name} is not installed (`roost models fetch {spec.name}`)"
    return None


def _image(work: Work) -> Image.Image:
    assert work.decoded is not None
    return work.decoded.at_most(WORK_SIDE)


def _to_original(work: Work, image: Image.Image) -> float:
    """Original pixels per pixel of `image` (the photo's copy the stage worked on)."""
    assert work.decoded is not None
    return work.decoded.width / image.width


def _scaled(box: Sequence[float], factor: float) -> list[float]:
    return [round(v * factor, 1) for v in box]


class _VisionStage(Stage):
    """A stage on models from the model store, whose weights load on their first photo."""

    needs: ClassVar[Needs] = Needs.IMAGE
    uses: ClassVar[tuple[ModelSpec, ...]] = ()

    def __init__(self, models: VisionModels) -> None:
        super().__init__()
        self._models, self._store = models, models.store

    def unavailable(self) -> str | None:
        return _not_installed(self._store, *self.uses)

    def _loaded(self, spec: ModelSpec) -> None:
        """Count a prediction's load of `spec`'s weights, once per run over all stages."""
        if self._models.first_use(spec):
            self.loaded.append(spec.name)

    def _classifier(self) -> ImageNetClassifier:
        return self._models.get(IMAGENET_MOBILENET, lambda f, t: ImageNetClassifier(f, threads=t))


class ObjectStage(_VisionStage):
    """COCO objects and animals, with boxes and scores."""

    name: ClassVar[str] = "objects"
    uses = (COCO_SSD,)

    @property
    def version(self) -> str:
        return _by(COCO_SSD)

    def run(self, work: Work) -> None:
        image = _image(work)
        detector = self._models.get(COCO_SSD, lambda f, t: CocoDetector(f, threads=t))
        found = detector.detect(image)
        self._loaded(COCO_SSD)
        factor = _to_original(work, image)
        work.results[self.name] = [
            {"id": f"{work.hash[:16]}-o{i}", "media_hash": work.hash, "label": f.label,
             "score": round(f.score, 4), "box": _scaled(f.box, factor)}
            for i, f in enumerate(found)
        ]  # fmt: skip

    def rows(self, library: Library, done: Sequence[Work]) -> list[StageRows]:
        data = pa.Table.from_pylist([r for w in done for r in w.results[self.name]], tables.OBJECTS)
        table = tables.objects_table(library)
        return [StageRows(table, "id", data, "media_hash", replace=[w.hash for w in done])]

    def tables(self, library: Library) -> dict[str, str]:
        return {tables.OBJECTS_TABLE: "media_hash"}


class SceneLabelStage(_VisionStage):
    """The photo's top ImageNet classes ("seashore", "sandbar"), for scene words."""

    name: ClassVar[str] = "scene-labels"
    uses = (IMAGENET_MOBILENET,)

    @property
    def version(self) -> str:
        return _by(IMAGENET_MOBILENET)

    def run(self, work: Work) -> None:
        labelled = self._classifier().classify(_image(work))
        self._loaded(IMAGENET_MOBILENET)
        work.results[self.name] = {
            "hash": work.hash, "labels": list(labelled.labels), "scores": list(labelled.scores)
        }  # fmt: skip

    def rows(self, library: Library, done: Sequence[Work]) -> list[StageRows]:
        data = pa.Table.from_pylist([w.results[self.name] for w in done], tables.SCENE_LABELS)
        return [StageRows(tables.labels_table(library), "hash", data, "hash")]

    def tables(self, library: Library) -> dict[str, str]:
        return {tables.SCENE_LABELS_TABLE: "hash"}


class BodyStage(_VisionStage):
    """Dogs and cats, and people whose face was not found: a crop each, and for pets an
    appearance vector (the classifier's penultimate features) they are told apart by."""

    name: ClassVar[str] = "bodies"
    after: ClassVar[tuple[str, ...]] = (FaceStage.name, ObjectStage.name)
    uses = (COCO_SSD, IMAGENET_MOBILENET)

    def __init__(self, library: Library, models: VisionModels) -> None:
        super().__init__(models)
        self._library = library
        self._stored_faces: dict[str, list[Box]] | None = None
        self._reading = threading.Lock()

    @property
    def version(self) -> str:
        return f"{_by(COCO_SSD)}+{_by(IMAGENET_MOBILENET)}"

    def run(self, work: Work) -> None:
        image = _image(work)
        scale = 1.0 / _to_original(work, image)
        faces = [_box(_scaled(b, scale)) for b in self._faces(work)]
        chosen = _bodies(self._objects(work), faces, scale)
        vectors = self._classifier().appearance(image, [box for _, _, box in chosen])
        if chosen:
            self._loaded(IMAGENET_MOBILENET)
        work.results[self.name] = [
            {"id": tables.body_id(work.hash, i), "media_hash": work.hash, "idx": i,
             "species": label, "box": _scaled(box, 1.0 / scale), "score": score,
             "sharpness": sharpness(image, box), "embedder": self.version,
             "embedding": vector.tolist(), "thumbnail": thumbnail(image, box)}
            for i, ((label, score, box), vector) in enumerate(zip(chosen, vectors, strict=True))
        ]  # fmt: skip

    def _objects(self, work: Work) -> list[dict[str, Any]]:
        """What the object stage found in this photo: now, or in an earlier run."""
        if ObjectStage.name in work.pending:
            found: list[dict[str, Any]] = work.results[ObjectStage.name]
            return found
        columns = ["label", "score", "box"]
        return self._library.rows_of(tables.objects_table(self._library), "media_hash",
                                     [work.hash], columns)  # fmt: skip

    def _faces(self, work: Work) -> list[Box]:
        """The boxes (original pixels) of this photo's faces: found now, or in an earlier run,
        from the faces table read once per run (a run over a whole library asks for all)."""
        if FaceStage.name in work.pending:
            records: list[FaceRecord] = work.results[FaceStage.name]
            return [_box(r.box) for r in records]
        with self._reading:
            if self._stored_faces is None:
                self._stored_faces = {}
                query = self._library.faces.search().select(["media_hash", "box"]).limit(None)
                for row in query.to_arrow().to_pylist():
                    self._stored_faces.setdefault(row["media_hash"], []).append(_box(row["box"]))
            return self._stored_faces.get(work.hash, [])

    def rows(self, library: Library, done: Sequence[Work]) -> list[StageRows]:
        data = pa.Table.from_pylist([r for w in done for r in w.results[self.name]], tables.BODIES)
        table = tables.bodies_table(library)
        return [StageRows(table, "id", data, "media_hash", replace=[w.hash for w in done])]

    def tables(self, library: Library) -> dict[str, str]:
        return {tables.BODIES_TABLE: "media_hash"}


def _box(values: Sequence[float]) -> Box:
    x1, y1, x2, y2 = (float(v) for v in values)
    return x1, y1, x2, y2


def _bodies(
    objects: list[dict[str, Any]], faces: list[Box], scale: float
) -> list[tuple[str, float, Box]]:
    """(species, score, box in the copy's pixels) of the dogs and cats, and of the people whose
    box holds no face's centre, most confident first."""
    centres = [((f[0] + f[2]) / 2, (f[1] + f[3]) / 2) for f in faces]

    def faceless(box: Box) -> bool:
        return not any(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in centres)

    chosen = []
    for row in objects:
        label, score, box = row["label"], float(row["score"]), _box(_scaled(row["box"], scale))
        if (label in SPECIES and score >= PET_MIN_SCORE) or (
            label == "person" and score >= FIGURE_MIN_SCORE and faceless(box)
        ):
            chosen.append((label, score, box))
    chosen.sort(key=lambda c: (-c[1], c[2]))  # the same order whichever run found them
    return chosen[:MAX_BODIES]


class ClipStage(_VisionStage):
    """One image embedding per photo from a CLIP-style model the user imported, for words no
    vocabulary covers."""

    name: ClassVar[str] = "clip"

    def __init__(self, models: VisionModels) -> None:
        super().__init__(models)
        self._spec = self._store.installed(Role.CLIP)

    @property
    def version(self) -> str:
        return self._clip().id if self._spec is not None else "none"

    def unavailable(self) -> str | None:
        if self._spec is None:
            return "no CLIP-style model is imported (`roost models import DIR`)"
        return None

    def _clip(self) -> ClipModel:
        spec = self._spec
        assert spec is not None
        return self._models.get(spec, lambda f, t: ClipModel(spec, f, threads=t))

    def run(self, work: Work) -> None:
        model = self._clip()
        vector = model.embed_image(_image(work))
        self._loaded(model.spec)
        work.results[self.name] = {"hash": work.hash, "model": model.id,
                                   "embedding": vector.tolist()}  # fmt: skip

    def rows(self, library: Library, done: Sequence[Work]) -> list[StageRows]:
        data = pa.Table.from_pylist([w.results[self.name] for w in done], tables.CLIP_IMAGES)
        return [StageRows(tables.clip_table(library), "hash", data, "hash")]

    def tables(self, library: Library) -> dict[str, str]:
        return {tables.CLIP_TABLE: "hash"}
