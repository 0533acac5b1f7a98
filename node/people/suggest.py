"""Unconfirmed faces matched to named subjects: assigned, suggested, or left alone.

For each face the user has not confirmed, the candidate is the named person with the nearest
confirmed face (never one the face was rejected for; never a pet: pets are matched in their own
space, by the same function with `kind` pet and their own `Calibration`, in `node.pets.place`),
and its confidence is an estimate of the probability that the match is right, calibrated on
lfw_dev (docs/ARCHITECTURE.md):

- If the face's cluster holds confirmed faces of that subject and of no other, and the face is
  within 0.60 of one of them, the confidence is 0.999: in the calibration every such face
  (1,893 of 1,893, at 1 and 3 labels per person, with half the people left unnamed) was right.
- Otherwise it follows the distance to the nearest confirmed face: 1 / (1 + exp(40 (d − 0.526))),
  the logistic fit of the same calibration (0.99 at d = 0.41, 0.5 at 0.526, 0.25 at 0.553).

A good-quality face at confidence ≥ 0.99 whose runner-up subject is below 0.5 is assigned
without asking (status "clustered"); one at ≥ 0.25 is suggested, to be confirmed or rejected.
The bars sit where suggestions stay few: a wrong automatic assignment is worse than a question.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from node.people.clusters import pairwise_distances
from node.people.faces import FaceSet
from protocol.labels import Kind, Labels

AUTO = 0.99  # assign without asking at or above this confidence (good faces only)
SUGGEST = 0.25  # ask the user at or above this confidence
AMBIGUOUS = 0.5  # a runner-up this confident makes a match a question, however close
CLUSTER_CONFIDENCE = 0.999


@dataclass(frozen=True)
class Calibration:
    """Where one embedding space's distances stand for identity: the logistic fit of distance
    to P(right), and how far a face may be from its cluster's confirmed faces to inherit them.
    Faces' is below; pets have their own (`node.pets.place`)."""

    slope: float
    midpoint: float
    cluster_reach: float

    def confidence(self, distance: float) -> float:
        """P(the match is right) for a face this far from the subject's nearest confirmed one."""
        return 1.0 / (1.0 + math.exp(min(self.slope * (distance - self.midpoint), 700.0)))


FACES = Calibration(slope=40.0, midpoint=0.526, cluster_reach=0.60)

CONFIRMED, CLUSTERED, SUGGESTED, UNCLUSTERED = "confirmed", "clustered", "suggested", "unclustered"
_CHUNK = 2048


@dataclass(frozen=True)
class Placement:
    """Where one face stands: its subject (assigned or suggested), status and confidence."""

    subject: str | None
    status: str
    confidence: float


def confidence(distance: float) -> float:
    """P(the match is right) for a face this far from the subject's nearest confirmed face."""
    return FACES.confidence(distance)


def place_faces(
    faces: FaceSet,
    clusters: dict[str, str | None],
    labels: Labels,
    *,
    kind: Kind = Kind.PERSON,
    calibration: Calibration = FACES,
) -> list[Placement]:
    """The placement of every face in `faces`, in order, proposing only subjects of `kind`."""
    where = faces.index()
    confirmed = {f: s for f, s in labels.confirmed().items() if f in where}
    placements = [
        Placement(confirmed[f], CONFIRMED, 1.0)
        if f in confirmed
        else Placement(None, CLUSTERED if clusters.get(f) else UNCLUSTERED, 0.0)
        for f in faces.ids
    ]
    # The face models are human-face models: nearness to the few "faces" a user put in a pet
    # says nothing about who a face is, so only people are proposed for faces. Pets are
    # proposed in their own space, for their bodies (node.pets).
    kinds = labels.subjects
    people = {f: s for f, s in confirmed.items() if kinds[s].kind == kind}
    subjects = sorted(set(people.values()))
    if not subjects:
        return placements
    code = {s: n for n, s in enumerate(subjects)}
    refs = sorted(people, key=lambda f: (code[people[f]], f))
    ref_vectors = faces.vectors[[where[f] for f in refs]]
    starts = np.searchsorted([code[people[f]] for f in refs], np.arange(len(subjects)))
    evidence = _cluster_evidence(people, clusters)
    rejected = labels.rejected()
    open_faces = [i for i, f in enumerate(faces.ids) if f not in confirmed]
    for begin in range(0, len(open_faces), _CHUNK):
        chunk = open_faces[begin : begin + _CHUNK]
        nearest = np.minimum.reduceat(
            pairwise_distances(faces.vectors[chunk], ref_vectors), starts, axis=1
        )
        for row, i in zip(nearest, chunk, strict=True):
            face = faces.ids[i]
            for subject in rejected.get(face, ()):
                if subject in code:
                    row[code[subject]] = np.inf
            cluster = evidence.get(clusters.get(face) or "")
            placements[i] = (
                _place(row, subjects, cluster, bool(faces.good[i]), calibration) or placements[i]
            )
    return placements


def _place(
    nearest: np.ndarray,
    subjects: list[str],
    cluster_subjects: set[str] | None,
    good: bool,
    calibration: Calibration,
) -> Placement | None:
    """The placement a face's distances to each subject's nearest confirmed face make."""
    order = np.argsort(nearest, kind="stable")
    best, distance = subjects[order[0]], float(nearest[order[0]])
    if not np.isfinite(distance):
        return None  # rejected for everyone named
    if cluster_subjects == {best} and distance <= calibration.cluster_reach:
        sure = CLUSTER_CONFIDENCE
    else:
        sure = calibration.confidence(distance)
    runner_up = calibration.confidence(float(nearest[order[1]])) if len(order) > 1 else 0.0
    if good and sure >= AUTO and runner_up < AMBIGUOUS:
        return Placement(best, CLUSTERED, sure)
    if sure >= SUGGEST:
        return Placement(best, SUGGESTED, sure)
    return None


def _cluster_evidence(
    confirmed: dict[str, str], clusters: dict[str, str | None]
) -> dict[str, set[str]]:
    """Cluster id → the subjects its confirmed faces belong to."""
    evidence: dict[str, set[str]] = {}
    for face, subject in confirmed.items():
        cluster = clusters.get(face)
        if cluster is not None:
            evidence.setdefault(cluster, set()).add(subject)
    return evidence
