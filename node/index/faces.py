"""The face stage: detect → embed → crop, into the faces table of one embedding space.

Its version names the detector, the embedder and the faces table, so switching the embedder
(`roost index --reembed`) makes it run again on every photo into a new table. When it runs again
on a photo whose faces the same detector already found, it reuses those boxes and landmarks and
only embeds (the rows earlier runs wrote), and when the detector changed it keeps each face's id
for the new box that overlaps it most, so labels, which name faces by id, stay on their faces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from PIL import Image

from node.faces.crop import sharpness, thumbnail
from node.faces.detect import MTCNN_ID, Detection
from node.faces.models import ModelMissing
from node.index.models import Models, RunModels
from node.index.stage import Needs, Stage, StageFailed, Step, Work
from node.library.schema import FaceRecord
from node.library.store import Library, Space, StageRows

KEEP_ID_IOU = 0.5  # a re-detected box overlapping an old one this much is the same face


@dataclass(frozen=True)
class _Found:
    """One face in working-image pixels, and the id index and crop it will be stored with."""

    detection: Detection
    idx: int
    kept: dict[str, Any] | None = None  # the stored row it reuses (same detector), if any


class FaceStage(Stage):
    name: ClassVar[str] = "faces"
    needs: ClassVar[Needs] = Needs.IMAGE
    required: ClassVar[bool] = True

    def __init__(
        self,
        library: Library,
        space: Space,
        *,
        detect_side: int,
        min_face: int,
        model_threads: int,
        models: Models,
    ) -> None:
        super().__init__()
        self._library, self._space = library, space
        self._models = RunModels(
            models, embedder=space.embedder, detect_side=detect_side, min_face=min_face,
            threads=model_threads,
        )  # fmt: skip
        self.loaded = self._models.loaded

    @property
    def version(self) -> str:
        return version_of(MTCNN_ID, self._space)

    def steps(self) -> tuple[Step, ...]:
        # Detection is the costliest step: two threads, so that it can use both cores while
        # the other steps wait for it (decoding and embedding finish well ahead).
        return (Step(self._detect, workers=2), Step(self._embed))

    # -- step 1: find the faces (or take the ones this detector already found) ---------------

    def _detect(self, work: Work) -> None:
        assert work.decoded is not None
        scale = work.decoded.scale
        before = self._stored(work)
        prior = work.previous(self.name)
        if prior is not None and prior.split("+", 1)[0] == MTCNN_ID:  # also for no faces
            found = [_Found(_detection(row, scale), row["idx"], row) for row in before]
        else:
            try:
                detections = self._models.detector.detect(work.decoded.image)
            except (RuntimeError, ValueError, TypeError) as exc:
                if isinstance(exc, ModelMissing):
                    raise
                raise StageFailed(f"face detection failed: {exc}") from exc
            found = _keep_ids(detections, before, scale)
        work.results[self.name] = found

    def _stored(self, work: Work) -> list[dict[str, Any]]:
        """The faces an earlier run stored for this photo, from the table its marker names."""
        prior = work.previous(self.name)
        if prior is None or "@" not in prior:
            return []
        table = self._library.faces_table_named(prior.rsplit("@", 1)[1])
        if table is None:
            return []
        columns = ["idx", "box", "landmarks", "score", "sharpness", "thumbnail"]
        return sorted(
            self._library.rows_of(table, "media_hash", [work.hash], columns),
            key=lambda r: r["idx"],
        )

    # -- step 2: embed and crop ------------------------------------------------------------

    def _embed(self, work: Work) -> None:
        assert work.decoded is not None
        found: list[_Found] = work.results[self.name]
        image = work.decoded.image
        embedder = self._models.embedder
        try:
            vectors = embedder.embed(image, [f.detection for f in found])
        except (RuntimeError, ValueError, TypeError) as exc:
            raise StageFailed(f"face analysis failed: {exc}") from exc
        to_original = 1.0 / work.decoded.scale
        records = []
        for f, vector in zip(found, vectors, strict=True):
            if f.kept is not None:  # the same detector's face: everything but the vector stays
                kept = f.kept
                box, marks = tuple(kept["box"]), tuple(kept["landmarks"])
                score, sharp, crop = kept["score"], kept["sharpness"], kept["thumbnail"]
                records.append(
                    FaceRecord(work.hash, f.idx, box, marks, score, sharp, self._space.embedder,
                               vector, crop)
                )  # fmt: skip
            else:
                records.append(
                    new_face(work.hash, f.idx, f.detection, image, to_original,
                             self._space.embedder, vector)
                )  # fmt: skip
        work.results[self.name] = records

    # -- writing ---------------------------------------------------------------------------

    def rows(self, library: Library, done: Sequence[Work]) -> list[StageRows]:
        table = library.faces_of_space(self._space)
        records: list[FaceRecord] = [f for w in done for f in w.results[self.name]]
        data = pa.Table.from_pylist([f.row() for f in records], table.schema)
        return [StageRows(table, "id", data, "media_hash", replace=[w.hash for w in done])]

    def faces_in(self, work: Work) -> int:
        return len(work.results.get(self.name, []))

    def tables(self, library: Library) -> dict[str, str]:
        return {self._space.faces: "media_hash"}


def new_face(
    digest: str,
    idx: int,
    d: Detection,
    image: Image.Image,
    to_original: float,
    embedder: str,
    vector: np.ndarray,
) -> FaceRecord:
    """The row of a face found in the working `image`: box and landmarks in original pixels,
    sharpness and crop from the working image."""
    box, marks = _scaled(d.box, to_original), _scaled(d.landmarks, to_original)
    crop, sharp = thumbnail(image, d.box), sharpness(image, d.box)
    return FaceRecord(digest, idx, box, marks, round(d.score, 6), sharp, embedder, vector, crop)


def version_of(detector: str, space: Space) -> str:
    """`<detector>+<embedder>@<faces table>`: what found the faces, what embedded them, and
    where they are."""
    return f"{detector}+{space.embedder}@{space.faces}"


def _detection(row: dict[str, Any], scale: float) -> Detection:
    return Detection(
        box=tuple(float(v) * scale for v in row["box"]),  # type: ignore[arg-type]
        score=float(row["score"]),
        landmarks=tuple(float(v) * scale for v in row["landmarks"]),
    )


def _keep_ids(
    detections: Sequence[Detection], before: Sequence[dict[str, Any]], scale: float
) -> list[_Found]:
    """Number new detections: a box that overlaps a stored face keeps that face's index, the
    others get indexes no stored face had. With nothing stored this is 0, 1, 2… in order."""
    if not before:
        return [_Found(d, i) for i, d in enumerate(detections)]
    old = [_detection(row, scale).box for row in before]
    pairs = sorted(
        ((_iou(d.box, o), i, j) for i, d in enumerate(detections) for j, o in enumerate(old)),
        reverse=True,
    )
    index: dict[int, int] = {}
    taken: set[int] = set()
    for overlap, i, j in pairs:
        if overlap < KEEP_ID_IOU:
            break
        if i not in index and j not in taken:
            index[i] = before[j]["idx"]
            taken.add(j)
    fresh = iter(range(max(int(r["idx"]) for r in before) + 1, 1 << 30))
    return [_Found(d, index[i] if i in index else next(fresh)) for i, d in enumerate(detections)]


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _scaled(values: Iterable[float], factor: float) -> tuple[float, ...]:
    return tuple(round(v * factor, 1) for v in values)
