"""The personal model as a `node.people.scoring.Scorer`, and which scorer a library uses.

The model knows the family's people by prototype, including people never labeled on this
device. A person labeled here after the model's round (not in it yet) is scored against the
mean of their confirmed faces here, through the same adapter and calibration, so a new label
works at once and the next round makes it family-wide.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from node.library.store import Library
from node.model.personal import PersonalModel
from node.model.store import ModelStore
from node.people.clusters import pairwise_distances
from node.people.faces import FaceSet
from node.people.scoring import FaceBatch, Scorer, Thresholds
from node.people.suggest import DistanceScorer
from protocol.labels import Kind, Labels

THRESHOLDS = Thresholds(auto=0.99, suggest=0.9, ambiguous=0.99)


class ModelScorer:
    """Distance to each person's prototype, after the adapter, read through the calibration."""

    name = "family model"
    thresholds = THRESHOLDS

    def __init__(self, model: PersonalModel, subjects: Sequence[str], raw: np.ndarray) -> None:
        self.model = model
        self._subjects = list(subjects)
        self._prototypes = model.adapter(raw) if len(raw) else raw

    @classmethod
    def build(
        cls, model: PersonalModel, labels: Labels, local: dict[str, np.ndarray]
    ) -> ModelScorer:
        """The model's people as they are now (merged ids resolved, forgotten ones and pets
        dropped), plus people with `local` confirmed descriptors the model does not know."""
        people = {s for s, subject in labels.subjects.items() if subject.kind == Kind.PERSON}
        raw: dict[str, np.ndarray] = {}
        for subject, row in model.known().items():
            live = labels.resolve(subject)
            if live in people and live not in raw:
                raw[live] = model.prototypes[row]
        for subject, vectors in local.items():
            if subject in people and subject not in raw and len(vectors):
                raw[subject] = vectors.mean(axis=0)
        order = sorted(raw)
        matrix = (
            np.stack([raw[s] for s in order]) if order else np.zeros((0, model.dim), np.float32)
        )
        return cls(model, order, matrix)

    @property
    def subjects(self) -> list[str]:
        return self._subjects

    def confidences(self, batch: FaceBatch, excluded: np.ndarray) -> np.ndarray:
        distances = pairwise_distances(self.model.adapter(batch.vectors), self._prototypes)
        sure = self.model.calibration.confidence(distances, len(self._subjects))
        return np.where(excluded, 0.0, sure)


def model_version(library: Library) -> int:
    """The version of the model this library scores with (0: none, the distance rules)."""
    return ModelStore(library.root).current_version()


def current_scorer(
    library: Library, faces: FaceSet, clusters: dict[str, str | None], labels: Labels
) -> Scorer:
    """The family model once this device has one, else the distance rules."""
    model = ModelStore(library.root).current()
    if model is None or model.version == 0:
        return DistanceScorer.from_faces(faces, clusters, labels)
    return ModelScorer.build(model, labels, local_people(faces, labels))


def local_people(faces: FaceSet, labels: Labels) -> dict[str, np.ndarray]:
    """Person id → the descriptors of their confirmed faces on this device."""
    where = faces.index()
    rows: dict[str, list[int]] = {}
    for face, subject in labels.confirmed().items():
        if face in where:
            rows.setdefault(subject, []).append(where[face])
    return {s: faces.vectors[sorted(r)] for s, r in rows.items()}
