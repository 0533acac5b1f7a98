"""The one door through which suggestion and assignment decide who a face is.

A `Scorer` gives, for a batch of faces, a calibrated confidence that each face is each of the
family's people; `place_faces` turns those into placements with the scorer's own thresholds.
Two scorers exist: the distance rules over this device's confirmed faces (`node.people.suggest`)
and the family's personal model (`node.model.scorer`), which also knows people labeled only on
other devices. Thresholds belong to the scorer because each is calibrated for its own scores: a
distance means something else after the model has moved the descriptors.

A scorer is built once from what it compares against (confirmed faces, or the model) and then
scores any batch of faces, so callers can feed it all faces at once, a chunk at a time, or one
new face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np

from node.people.faces import FaceSet
from protocol.labels import Labels


class Status(StrEnum):
    CONFIRMED = "confirmed"  # the user said so
    CLUSTERED = "clustered"  # placed by Roost: assigned to a subject, or in an unnamed cluster
    SUGGESTED = "suggested"  # a match to confirm or reject
    UNCLUSTERED = "unclustered"  # in no cluster and nobody's


CONFIRMED, CLUSTERED, SUGGESTED, UNCLUSTERED = (
    Status.CONFIRMED,
    Status.CLUSTERED,
    Status.SUGGESTED,
    Status.UNCLUSTERED,
)
_CHUNK = 2048


@dataclass(frozen=True)
class Thresholds:
    """Where a scorer's confidences become decisions."""

    auto: float  # assign without asking at or above this (good faces only)
    suggest: float  # ask the user at or above this
    ambiguous: float  # a runner-up this confident makes a match a question, however close


@dataclass(frozen=True)
class Placement:
    """Where one face stands: its subject (assigned or suggested), status and confidence."""

    subject: str | None
    status: Status
    confidence: float


@dataclass(frozen=True)
class FaceBatch:
    """Faces to score: their ids, descriptors, quality and clusters, row by row."""

    ids: Sequence[str]
    vectors: np.ndarray  # (n, dim) float32
    good: np.ndarray  # (n,) bool
    clusters: Sequence[str | None]


class Scorer(Protocol):
    """Who faces are, as one scorer sees it."""

    @property
    def name(self) -> str:
        """What `roost model status` and the TUI call this scorer."""
        ...

    @property
    def subjects(self) -> Sequence[str]:
        """The people this scorer can name: the columns of `confidences`."""
        ...

    @property
    def thresholds(self) -> Thresholds: ...

    def confidences(self, batch: FaceBatch, excluded: np.ndarray) -> np.ndarray:
        """(n, len(subjects)) calibrated P(face is subject); `excluded` (same shape, bool)
        marks pairs the user rejected, which must score 0."""
        ...


def place_faces(
    faces: FaceSet, clusters: dict[str, str | None], labels: Labels, scorer: Scorer
) -> list[Placement]:
    """The placement of every face in `faces`, in order: confirmed faces as the user said,
    the others as `scorer` scores them, in chunks."""
    confirmed = labels.confirmed()
    placements = [
        Placement(confirmed[f], CONFIRMED, 1.0)
        if f in confirmed
        else Placement(None, CLUSTERED if clusters.get(f) else UNCLUSTERED, 0.0)
        for f in faces.ids
    ]
    subjects = list(scorer.subjects)
    if not subjects:
        return placements
    open_faces = [i for i, f in enumerate(faces.ids) if f not in confirmed]
    for begin in range(0, len(open_faces), _CHUNK):
        rows = open_faces[begin : begin + _CHUNK]
        batch = FaceBatch(
            [faces.ids[i] for i in rows],
            faces.vectors[rows],
            faces.good[rows],
            [clusters.get(faces.ids[i]) for i in rows],
        )
        for i, placement in zip(rows, score_batch(scorer, batch, labels), strict=True):
            placements[i] = placement or placements[i]
    return placements


def score_batch(scorer: Scorer, batch: FaceBatch, labels: Labels) -> list[Placement | None]:
    """The suggestion or assignment each face of `batch` gets (None: nobody we know)."""
    subjects = list(scorer.subjects)
    column = {s: k for k, s in enumerate(subjects)}
    rejected = labels.rejected()
    excluded = np.zeros((len(batch.ids), len(subjects)), bool)
    for row, face in enumerate(batch.ids):
        for subject in rejected.get(face, ()):
            if subject in column:
                excluded[row, column[subject]] = True
    sure = np.where(excluded, 0.0, scorer.confidences(batch, excluded))
    return [
        decide(row, subjects, scorer.thresholds, bool(good))
        for row, good in zip(sure, batch.good, strict=True)
    ]


def decide(
    sure: np.ndarray, subjects: Sequence[str], thresholds: Thresholds, good: bool
) -> Placement | None:
    """The placement of a face whose confidence for each of `subjects` is `sure` (None: nobody
    we know): assigned, suggested, or neither, by the best and the runner-up."""
    order = np.argsort(-sure, kind="stable")
    best = float(sure[order[0]])
    runner_up = float(sure[order[1]]) if len(order) > 1 else 0.0
    if good and best >= thresholds.auto and runner_up < thresholds.ambiguous:
        return Placement(subjects[order[0]], CLUSTERED, best)
    if best >= thresholds.suggest and best > 0.0:
        return Placement(subjects[order[0]], SUGGESTED, best)
    return None
