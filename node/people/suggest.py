"""The distance rules, the first scorer (`node.people.scoring`): this device's confirmed faces.

For each face the user has not confirmed, the candidate is the named person with the nearest
confirmed face (never one the face was rejected for; never a pet), and its confidence is an
estimate of the probability that the match is right, calibrated on lfw_dev
(docs/ARCHITECTURE.md):

- If the face's cluster holds confirmed faces of that subject and of no other, and the face is
  within 0.60 of one of them, the confidence is 0.999: in the calibration every such face
  (1,893 of 1,893, at 1 and 3 labels per person, with half the people left unnamed) was right.
- Otherwise it follows the distance to the nearest confirmed face: 1 / (1 + exp(40 (d − 0.526))),
  the logistic fit of the same calibration (0.99 at d = 0.41, 0.5 at 0.526, 0.25 at 0.553).

A good-quality face at confidence ≥ 0.99 whose runner-up subject is below 0.5 is assigned
without asking (status "clustered"); one at ≥ 0.25 is suggested, to be confirmed or rejected.
The bars sit where suggestions stay few: a wrong automatic assignment is worse than a question.

The same rules serve any embedding space whose distances stand for identity; only the numbers
(`DistanceRules`) and the kind of subject proposed change. Pets' bodies are scored by them with
their own calibration (`node.pets.place`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from node.people.clusters import squared_distances
from node.people.faces import FaceSet
from node.people.scoring import FaceBatch, Thresholds
from protocol.labels import Kind, Labels

CLUSTER_CONFIDENCE = 0.999
_DISTANCES_AT_ONCE = 1 << 23  # face × confirmed face distances in one product (64 MB float64)


@dataclass(frozen=True)
class DistanceRules:
    """What distances mean in one embedding space: the logistic fit of distance to P(right),
    how far a face may be from its cluster's confirmed faces to inherit them, and the bars."""

    name: str
    thresholds: Thresholds
    slope: float
    midpoint: float
    cluster_reach: float

    @property
    def reach(self) -> float:
        """The farthest a confirmed face can be from a face and still matter to how it is
        placed: beyond, a subject's confidence is under every threshold and the cluster rule
        cannot apply. Plus a thousandth, for float32 distances computed in other orders."""
        assert self.slope > 0, "confidence must fall with distance"
        t = self.thresholds
        lowest = min(t.suggest, t.ambiguous, t.auto)
        at_lowest = self.midpoint + math.log(1.0 / lowest - 1.0) / self.slope
        return max(self.cluster_reach, at_lowest) + 1e-3

    def confidence(self, distance: np.ndarray) -> np.ndarray:
        """P(the match is right) for faces this far from the subject's nearest confirmed one."""
        return 1.0 / (1.0 + np.exp(np.minimum(self.slope * (distance - self.midpoint), 700.0)))


FACES = DistanceRules(
    "distance rules",
    Thresholds(auto=0.99, suggest=0.25, ambiguous=0.5),
    slope=40.0,
    midpoint=0.526,
    cluster_reach=0.60,
)


class DistanceScorer:
    """Nearest confirmed face per subject, turned into P(right) by the space's calibration."""

    def __init__(
        self,
        refs: np.ndarray,
        ref_subjects: Sequence[str],
        evidence: dict[str, set[str]],
        rules: DistanceRules = FACES,
    ) -> None:
        self._rules = rules
        self._subjects = sorted(set(ref_subjects))
        code = {s: n for n, s in enumerate(self._subjects)}
        order = sorted(range(len(ref_subjects)), key=lambda i: code[ref_subjects[i]])
        # In float64: a float32 product's last bits depend on how many faces are scored at
        # once, and the logistic's slope turns them into a visible difference, while placing
        # a few faces again must give exactly what placing all of them gives.
        self._refs = refs[order].astype(np.float64)
        self._ref_norms = (self._refs * self._refs).sum(1)  # once, not per batch
        self._starts = np.searchsorted(
            [code[ref_subjects[i]] for i in order], np.arange(len(self._subjects))
        )
        self._evidence = evidence

    @classmethod
    def from_faces(
        cls,
        faces: FaceSet,
        clusters: dict[str, str | None],
        labels: Labels,
        *,
        kind: Kind = Kind.PERSON,
        rules: DistanceRules = FACES,
    ) -> DistanceScorer:
        """Compare against the confirmed faces of subjects of `kind` on this device.

        The face detector and embedder are human-face models: nearness to the few "faces" a
        user put in a pet says nothing about who a face is, so only people are proposed for
        faces. Pets are proposed for their bodies, in the bodies' own space (`node.pets.place`).
        """
        where = faces.index()
        kinds = labels.subjects
        people = {
            f: s for f, s in labels.confirmed().items() if f in where and kinds[s].kind == kind
        }
        refs = sorted(people)
        evidence: dict[str, set[str]] = {}
        for face in refs:
            cluster = clusters.get(face)
            if cluster is not None:
                evidence.setdefault(cluster, set()).add(people[face])
        vectors = faces.vectors[[where[f] for f in refs]] if refs else faces.vectors[:0]
        return cls(vectors, [people[f] for f in refs], evidence, rules)

    @property
    def name(self) -> str:
        return self._rules.name

    @property
    def thresholds(self) -> Thresholds:
        return self._rules.thresholds

    @property
    def rules(self) -> DistanceRules:
        """What distances mean here: also how far an edit's effect can reach
        (`node.people.incremental`)."""
        return self._rules

    @property
    def subjects(self) -> list[str]:
        return self._subjects

    def confidences(self, batch: FaceBatch, excluded: np.ndarray) -> np.ndarray:
        nearest = self._nearest(batch.vectors.astype(np.float64))
        nearest[excluded] = np.inf
        sure = self._rules.confidence(nearest)
        best = np.argmin(nearest, axis=1)
        reach = self._rules.cluster_reach
        for row, cluster in enumerate(batch.clusters):
            subject = self._subjects[best[row]]
            distance = nearest[row, best[row]]
            if self._evidence.get(cluster or "") == {subject} and distance <= reach:
                sure[row, best[row]] = CLUSTER_CONFIDENCE
        return sure

    def _nearest(self, vectors: np.ndarray) -> np.ndarray:
        """(faces, subjects): the distance to each subject's nearest confirmed face, a few
        faces at a time, so that a family's tens of thousands of confirmed faces do not make
        a batch's distance matrix gigabytes."""
        step = max(1, _DISTANCES_AT_ONCE // max(1, len(self._refs)))
        parts = [
            np.minimum.reduceat(
                squared_distances(vectors[begin : begin + step], self._refs, self._ref_norms),
                self._starts,
                axis=1,
            )
            for begin in range(0, len(vectors), step)
        ]
        # The root of the nearest, not the nearest root: the same number (the root is
        # monotonic), taken of faces × subjects values instead of faces × confirmed faces.
        squared = np.concatenate(parts) if parts else np.zeros((0, len(self._subjects)))
        nearest: np.ndarray = np.sqrt(np.maximum(squared, 0.0))
        return nearest
