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

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from node.people.clusters import pairwise_distances, rounding_window, squared_distances
from node.people.faces import FaceSet
from node.people.references import Evidence, References, confirmed_of
from node.people.scoring import (
    CLUSTERED,
    CONFIRMED,
    SUGGESTED,
    FaceBatch,
    Placement,
    Thresholds,
    decide,
)
from protocol.labels import Kind, Labels

CLUSTER_CONFIDENCE = 0.999
_MAX_GROUPS = 512  # groups of one subject's confirmed faces, at most
_FACES_AT_ONCE = 4096  # faces compared with every group's centre at once
_MARGIN = 1e-3  # added to the reach where a group's bound decides: float64 rounding is far less
_DISTANCES_AT_ONCE = 1 << 23  # face × confirmed face distances in one product (32 MB float32)
_FACES_TOGETHER = 128  # faces compared with the union of the groups they want, at most
_ROUNDED = 1e-6  # a confidence stored in float32 is this near the one computed, and more


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
        people: Mapping[str, np.ndarray],
        evidence: Evidence,
        rules: DistanceRules = FACES,
    ) -> None:
        """`people`: subject → the vectors of its confirmed faces (at least one each);
        `evidence`: cluster → the subjects confirmed in it."""
        self._rules = rules
        self._subjects = sorted(people)
        self._blocks = {s: _Block.of(people[s]) for s in self._subjects}
        self._evidence = evidence

    @classmethod
    def from_faces(
        cls,
        faces: FaceSet,
        clusters: Mapping[str, str | None],
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
        refs = confirmed_of(labels, kind, where.keys())
        return cls.from_references(References.build(refs, clusters), faces, where, rules)

    @classmethod
    def from_references(
        cls,
        references: References,
        faces: FaceSet,
        where: Mapping[str, int],
        rules: DistanceRules = FACES,
    ) -> DistanceScorer:
        """Compare against `references`, whose faces are rows of `faces` (`where`)."""
        people = {s: _vectors(faces, where, refs) for s, refs in references.by_subject.items()}
        return cls(people, references.evidence, rules)

    def moved(
        self, references: References, subjects: set[str], faces: FaceSet, where: Mapping[str, int]
    ) -> DistanceScorer:
        """This scorer with `references` instead, of which only `subjects`' confirmed faces
        differ: theirs are read again, every other subject's are shared. The same scores as
        `from_references(references, ...)`, at the cost of the faces of `subjects`."""
        moved = copy.copy(self)
        moved._blocks = dict(self._blocks)
        for subject in subjects:
            refs = references.by_subject.get(subject)
            if refs:
                moved._blocks[subject] = _Block.of(_vectors(faces, where, refs))
            else:
                moved._blocks.pop(subject, None)
        moved._subjects = sorted(moved._blocks)
        moved._evidence = references.evidence
        return moved

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
            if self._evidence.get(cluster or "") == frozenset((subject,)) and distance <= reach:
                sure[row, best[row]] = CLUSTER_CONFIDENCE
        return sure

    def _nearest(self, vectors: np.ndarray) -> np.ndarray:
        """(faces, subjects): the distance to each subject's nearest confirmed face where it is
        within the rules' reach, else infinity. Beyond the reach a subject's confidence is
        under every threshold and the cluster rule cannot apply, so it can be neither a
        face's match nor its runner-up: it is no candidate, and a face is compared only with
        the groups of confirmed faces (`_Block`) whose bound lets them be within reach.

        Placing a few faces again must give exactly what placing all of them gives (the
        logistic's slope makes a distance's last bits visible), but a matrix product's last
        bits depend on its shape and on the CPU's kernels. So a float32 product only finds,
        per subject, the confirmed faces within its rounding bound (`rounding_window`) of the
        nearest, and those few are measured again in float64, element by element: the same
        arithmetic for a face however many are scored with it, and the nearest of those is
        the nearest of all, exactly."""
        squared = np.full((len(vectors), len(self._subjects)), np.inf)
        for begin in range(0, len(vectors), _FACES_AT_ONCE):
            part = vectors[begin : begin + _FACES_AT_ONCE]
            for column, subject in enumerate(self._subjects):
                found = self._blocks[subject].nearest(part, self._rules.reach)
                squared[begin : begin + len(part), column] = found
        nearest: np.ndarray = np.sqrt(squared)
        return nearest


@dataclass(frozen=True)
class Prior:
    """A face's placement by these rules before an edit, and its cluster's confirmed people
    before and after it: what tells whether one person's confirmed faces changing can move
    the face (`can_move`)."""

    placed: Placement
    evidence_before: frozenset[str]
    evidence_after: frozenset[str]

    @property
    def by_cluster_rule(self) -> bool:
        """Whether the cluster rule placed the face: its cluster held only that person, and
        the confidence is the rule's (a confidence by distance that high is within the rule's
        reach, where the rule applies)."""
        subject = self.placed.subject
        return (
            subject is not None
            and self.evidence_before == frozenset((subject,))
            and abs(self.placed.confidence - CLUSTER_CONFIDENCE) < _ROUNDED
        )


def can_move(
    prior: Prior, subject: str, nearer: bool, distance: float, rules: DistanceRules = FACES
) -> bool:
    """Whether a face these rules placed as `prior` says can be placed otherwise once
    `subject` gains confirmed faces (`nearer`) or loses some (not `nearer`), the nearest of
    them at least `distance` from it, every other person's confirmed faces staying as they
    were (the cluster rule is covered only for `subject`: a change of the clusters' people
    moves their faces anyway, `node.people.incremental`).

    A placement hangs on the best subject, its confidence, and on whether the runner-up
    reaches `ambiguous`. The faces that came or went are at least `distance` away, so the
    confidence `q` they carry is at most that of `distance`; stored confidences are float32,
    and a small margin covers that rounding and the distance's own.
    - Gained: `subject`'s confidence can only rise, and only where `q` beats it. The face stays
      as it was if it was `subject`'s by the cluster rule (it stays nearest); if it was theirs
      by distance and `q` is under that confidence (its nearest stays); if it was nobody's and
      `q` is under `suggest` and the cluster rule cannot now apply to `subject`; if it was
      someone else's by the cluster rule and `distance` is beyond the rule's reach (they stay
      nearest); if it was suggested as someone else by distance and `q` is under their
      confidence (a runner-up that rises keeps it a question); if it was assigned to someone
      else by distance and `q` is under their confidence and under `ambiguous`.
    - Lost: `subject`'s confidence can only fall, and only where a face that went was its
      nearest. The face stays if it was `subject`'s and that nearest is shown kept as above;
      if it was nobody's and its cluster holds no single person whom the rule could now give
      it; if it was assigned to someone else (its runner-up, under `ambiguous`, stays so); if
      it was suggested as someone else and `q` is under `ambiguous` (`subject` was no
      runner-up that made it a question)."""
    placed = prior.placed
    if placed.status == CONFIRMED:
        return True
    q = float(rules.confidence(np.array(distance)))
    in_rule_reach = distance <= rules.cluster_reach + _MARGIN
    ruled = prior.by_cluster_rule
    if placed.subject == subject:
        if ruled:
            return not nearer and in_rule_reach
        return q >= placed.confidence - _ROUNDED
    assigned = placed.status == CLUSTERED  # by Roost: the runner-up was under `ambiguous`
    if not nearer:
        if placed.subject is None:
            return len(prior.evidence_after) == 1
        return not assigned and q >= rules.thresholds.ambiguous - _ROUNDED
    if prior.evidence_after == frozenset((subject,)) and in_rule_reach:
        return True
    if placed.subject is None:
        return q >= rules.thresholds.suggest - _ROUNDED
    if ruled:
        return in_rule_reach
    bar = min(placed.confidence, rules.thresholds.ambiguous) if assigned else placed.confidence
    return q >= bar - _ROUNDED


def placed_after(
    prior: Prior, subject: str, distance: float, good: bool, rules: DistanceRules = FACES
) -> Placement | None:
    """Where a face placed as `prior` says stands once `subject` gains confirmed faces, the
    nearest of them exactly `distance` away (as the scorer measures it, `distances_to`), while
    every other person's confirmed faces stay as they were and the face is not rejected for
    `subject`; None where that cannot be told without scoring it against everyone.

    With `q` the confidence of `distance`: a face that was nobody's had everyone under
    `suggest`, so where `q` reaches it `subject` is best and nearest, with a runner-up under
    `ambiguous`. A face that was someone else's by distance (confidence `p`) has `subject`
    best and them the runner-up where `q` > `p`; where `q` < `p` they stay best, and a face
    they were assigned becomes a question once `q` reaches `ambiguous`. What stays unknown:
    `subject`'s own faces (its confidence before), faces placed by the cluster rule (their
    distance), a nobody's face that the cluster rule might give to `subject`, and anything
    within the stored confidence's rounding of a bar."""
    placed = prior.placed
    bars = rules.thresholds
    q = float(rules.confidence(np.array([distance]))[0])
    sure = (
        CLUSTER_CONFIDENCE
        if prior.evidence_after == frozenset((subject,)) and distance <= rules.cluster_reach
        else q
    )
    if placed.status == CONFIRMED or placed.subject == subject or prior.by_cluster_rule:
        return None
    if placed.subject is None:
        if q < bars.suggest:
            return None if sure == CLUSTER_CONFIDENCE else placed
        return decide(np.array([sure, 0.0]), [subject, subject], bars, good)
    p = placed.confidence
    if abs(q - p) <= _ROUNDED:
        return None
    if q > p:
        if abs(p - bars.ambiguous) <= _ROUNDED:
            return None
        return decide(np.array([sure, p]), [subject, placed.subject], bars, good)
    if placed.status != CLUSTERED:
        return placed  # a question stays one whatever the runner-up
    if abs(q - bars.ambiguous) <= _ROUNDED:
        return None
    return placed if q < bars.ambiguous else Placement(placed.subject, SUGGESTED, p)


def distances_to(
    vectors: np.ndarray, faces: np.ndarray, rules: DistanceRules = FACES
) -> np.ndarray:
    """Each of `faces`' (float64) distance to the nearest of `vectors` (float32 confirmed faces),
    exactly as the scorer measures it, where within the rules' reach; else infinity."""
    nearest: np.ndarray = np.sqrt(_Block.of(vectors).nearest(faces, rules.reach))
    return nearest


@dataclass(frozen=True)
class _Block:
    """One subject's confirmed faces (float32, as stored) and their squared norms, in groups:
    each group's faces are within its radius of its centre, so that a face far from a group
    is not compared with its faces. About √n centres, spread over the faces in id order, each
    face in its nearest one's group: a bounded cost to build (n × √n distances) however the
    faces spread, and groups that stay tight where a subject's faces are."""

    vectors: np.ndarray  # group by group
    norms: np.ndarray
    centres: np.ndarray  # (groups, dim) float64
    radii: np.ndarray  # (groups,): the farthest a face of the group is from its centre
    starts: np.ndarray  # (groups + 1,): where each group's faces begin in `vectors`

    @classmethod
    def of(cls, vectors: np.ndarray) -> _Block:
        assert len(vectors), "a subject is compared against from one confirmed face on"
        rough = vectors.astype(np.float32)
        count = min(_MAX_GROUPS, math.ceil(math.sqrt(len(rough))))
        centres = rough[:: max(1, len(rough) // count)][:count].astype(np.float64)
        group = np.concatenate(
            [
                squared_distances(rough[begin : begin + _FACES_AT_ONCE], centres).argmin(1)
                for begin in range(0, len(rough), _FACES_AT_ONCE)
            ]
        )
        order = np.argsort(group, kind="stable")
        rough, group = rough[order], group[order]
        to_centre = np.sqrt(np.square(rough.astype(np.float64) - centres[group]).sum(axis=1))
        radii = np.zeros(len(centres))
        np.maximum.at(radii, group, to_centre)
        starts = np.searchsorted(group, np.arange(len(centres) + 1))
        return cls(rough, (rough * rough).sum(1), centres, radii, starts)

    def nearest(self, faces: np.ndarray, reach: float) -> np.ndarray:
        """Each face's squared distance to its nearest face here, exactly, where that is
        within `reach`; else infinity.

        A face is compared only with the groups that can hold its nearest: a group's faces
        are at least its centre's distance less its radius away (the triangle inequality),
        and the nearest is at most as far as the nearest centre, itself a face here, and
        within reach; with a margin for rounding. Faces are taken in the order of their
        nearest centre, a few at a time, so that the faces compared together want much the
        same groups."""
        squared = np.full(len(faces), np.inf)
        to_centres = pairwise_distances(faces, self.centres)
        bound = np.minimum(to_centres.min(axis=1), reach) + _MARGIN
        wanted = to_centres - self.radii <= bound[:, None]
        asking = np.nonzero(wanted.any(axis=1))[0]
        asking = asking[np.argsort(to_centres[asking].argmin(axis=1), kind="stable")]
        rough_faces = faces.astype(np.float32)
        sizes = np.diff(self.starts)
        for rows in _chunks(asking, len(self.vectors)):
            members = np.nonzero(np.repeat(wanted[rows].any(axis=0), sizes))[0]
            refs = self.vectors[members]
            rough = squared_distances(rough_faces[rows], refs, self.norms[members])
            window = rounding_window(faces[rows], self.norms[members])
            squared[rows] = _exact_nearest(faces[rows], refs, rough, window)
        squared[squared > reach * reach] = np.inf
        return squared


def _chunks(rows: np.ndarray, refs: int) -> list[np.ndarray]:
    """`rows` in chunks of at most `_FACES_TOGETHER`, whose products with `refs` faces stay
    under `_DISTANCES_AT_ONCE`."""
    step = max(1, min(_FACES_TOGETHER, _DISTANCES_AT_ONCE // refs))
    return [rows[begin : begin + step] for begin in range(0, len(rows), step)]


def _exact_nearest(
    faces: np.ndarray, refs: np.ndarray, rough: np.ndarray, window: np.ndarray
) -> np.ndarray:
    """Each face's squared distance to its nearest of `refs`, measured element by element in
    float64, from `rough`, the same distances by a float32 product: the nearest by `rough` is
    measured again, and, for the few faces with another within `window` of it, those too."""
    nearest = rough.argmin(axis=1)
    least = rough[np.arange(len(faces)), nearest] + window
    exact: np.ndarray = np.square(faces - refs[nearest].astype(np.float64)).sum(axis=1)
    tied = np.nonzero((rough <= least[:, None]).sum(axis=1) > 1)[0]
    for row in tied.tolist():
        close = refs[np.nonzero(rough[row] <= least[row])[0]].astype(np.float64)
        exact[row] = np.square(faces[row] - close).sum(axis=1).min()
    return exact


def _vectors(faces: FaceSet, where: Mapping[str, int], refs: frozenset[str]) -> np.ndarray:
    """The vectors of `refs`, in the order of their ids: a subject's block is the same however
    it was arrived at."""
    rows: np.ndarray = faces.vectors[[where[f] for f in sorted(refs)]]
    return rows
