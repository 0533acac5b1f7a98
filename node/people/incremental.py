"""Which faces a label edit can move: the people state is placed again for those only.

At a family library's size (100,000–400,000 faces) placing every face again after each name,
confirm, reject or merge takes seconds, yet an edit can only move the faces it names, their
neighbours and their clusters. When the only thing that changed since the stored state's basis
is the label log (faces, clusters, model, bodies and sources at the same versions),
`node.people.state.refresh` asks `plan` which faces to place again, places those with the same
code as the full computation (`state._compute`, which stays the reference and the fallback) and
upserts their rows.

Why the faces not in the plan keep their placement, exactly (the distance rules,
`node.people.suggest`): a face that is not confirmed is placed from, per person, the distance to
that person's nearest confirmed face, the set of people confirmed in its own cluster (its
evidence), its rejections, and, for a photo a Takeout sidecar names people in, the placements of
its photo's other faces and the subjects' names. So a face can only move if

- it was confirmed, unconfirmed or confirmed as someone else (it is placed as the user said), or
  its rejections changed;
- a confirmed face of a person came or went within `reach` of it. Farther, a person's confidence
  stays below every threshold (suggest, ambiguous, auto) and the cluster rule (0.999 within
  `cluster_reach`) cannot apply, both before and after, so the person can neither become the
  face's match nor its runner-up; `reach` is derived from the scorer's `DistanceRules`;
- the evidence of its cluster changed (only a confirmed face moving in or out of the cluster, or
  changing person, changes it, since clusters are at the same version);
- it is in a hinted photo and any face of that photo moves, or any subject's name, kind or
  existence changed (hints are matched by name).

A merge or forget changes the resolved subject of the confirmed faces of the subjects involved,
so it is covered by the second and third rules; a kind change (person ↔ pet) too, as only
people's faces are compared against. The family model (`node.model.scorer`) scores every face
against prototypes that move with the confirmed faces of people it does not know yet; no such
bound is shown for it, so with a model `plan` returns None and the caller recomputes everything.

Neighbours are found exactly, by a matrix product over every face's vector held in memory once
per version of the faces table (`Corpus`): 128 MB at 250,000 faces of 128 dimensions.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from node.library.store import Library
from node.model.scorer import current_scorer
from node.people.clusters import clusters_table, read_clusters
from node.people.faces import FaceSet, load_faces
from node.people.scoring import Scorer
from node.people.suggest import DistanceRules, DistanceScorer
from protocol.labels import Kind, Labels

# Added to the reach: distances here and in the scorer are float32 sums that may differ in the
# last bits; a millionth would do, a thousandth costs nothing.
_MARGIN = 1e-3
_QUERY_BLOCK = 64  # faces whose distances to every face are computed at once (64 × n floats)
_CORPORA_KEPT = 2


def reach(rules: DistanceRules) -> float:
    """The farthest a confirmed face can be from a face and still change how it is placed."""
    assert rules.slope > 0, "confidence must fall with distance"
    lowest = min(rules.thresholds.suggest, rules.thresholds.ambiguous, rules.thresholds.auto)
    at_lowest = rules.midpoint + math.log(1.0 / lowest - 1.0) / rules.slope
    return max(rules.cluster_reach, at_lowest) + _MARGIN


@dataclass
class Corpus:
    """Every face and its cluster as of one version of the faces and clusters tables."""

    faces: FaceSet
    clusters: dict[str, str | None]

    @cached_property
    def where(self) -> dict[str, int]:
        return self.faces.index()

    @cached_property
    def _norms(self) -> np.ndarray:
        vectors = self.faces.vectors
        norms: np.ndarray = (vectors * vectors).sum(1)
        return norms

    @cached_property
    def members(self) -> dict[str, list[int]]:
        """Cluster → its faces' rows."""
        found: dict[str, list[int]] = {}
        for face, row in self.where.items():
            cluster = self.clusters.get(face)
            if cluster is not None:
                found.setdefault(cluster, []).append(row)
        return found

    @cached_property
    def by_media(self) -> dict[str, list[int]]:
        """Media hash → its faces' rows."""
        found: dict[str, list[int]] = {}
        for row, media in enumerate(self.faces.media):
            found.setdefault(media, []).append(row)
        return found

    def within(self, distance: float, rows: Iterable[int]) -> set[int]:
        """The rows of every face within `distance` of any face in `rows` (those included)."""
        queries = sorted(set(rows))
        vectors, norms = self.faces.vectors, self._norms
        found: set[int] = set(queries)
        for begin in range(0, len(queries), _QUERY_BLOCK):
            block = queries[begin : begin + _QUERY_BLOCK]
            squared = norms[block][:, None] + norms[None, :] - 2.0 * (vectors[block] @ vectors.T)
            found.update(np.nonzero((squared <= distance * distance).any(axis=0))[0].tolist())
        return found

    def subset(self, rows: Iterable[int]) -> FaceSet:
        chosen = sorted(set(rows))
        faces = self.faces
        return FaceSet(
            [faces.ids[i] for i in chosen],
            [faces.media[i] for i in chosen],
            faces.vectors[chosen],
            faces.good[chosen],
        )


def corpus(library: Library) -> Corpus:
    """The library's corpus, read once per version of its faces and clusters tables."""
    key = (str(library.root), int(library.faces.version), int(clusters_table(library).version))
    with _lock:
        if (kept := _corpora.get(key)) is not None:
            _corpora.move_to_end(key)
            return kept
    made = Corpus(load_faces(library), read_clusters(library))
    with _lock:
        _corpora[key] = made
        while len(_corpora) > _CORPORA_KEPT:
            _corpora.popitem(last=False)
    return made


_corpora: OrderedDict[tuple[str, int, int], Corpus] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class Plan:
    """The faces to place again, and the scorer (built from every confirmed face) to do it."""

    faces: FaceSet
    clusters: dict[str, str | None]
    scorer: Scorer


def plan(library: Library, old: Labels, new: Labels, hints: dict[str, list[str]]) -> Plan | None:
    """The faces whose placement can differ between `old` and `new` labels (faces, clusters,
    model and sources unchanged); None where no bound is shown (a family model scores)."""
    found = corpus(library)
    people = _people(new, new.confirmed())
    refs = [found.where[f] for f in people if f in found.where]
    scorer = current_scorer(library, found.subset(refs), found.clusters, new)
    if not isinstance(scorer, DistanceScorer):
        return None
    moved = _moved(found, old, new, hints, reach(scorer.rules))
    return Plan(found.subset(moved), found.clusters, scorer)


def _moved(
    found: Corpus, old: Labels, new: Labels, hints: dict[str, list[str]], distance: float
) -> set[int]:
    """The rows of the faces that can move (the rules in the module's docstring)."""
    where = found.where
    before, after = old.confirmed(), new.confirmed()
    refs_before, refs_after = _people(old, before), _people(new, after)
    changed_refs = _changed(refs_before, refs_after) & where.keys()
    faces = _changed(before, after) | _changed(old.rejected(), new.rejected()) | changed_refs
    rows = {where[f] for f in faces if f in where}
    rows |= found.within(distance, (where[f] for f in changed_refs))
    for cluster in _changed_evidence(found.clusters, refs_before, refs_after, changed_refs):
        rows.update(found.members.get(cluster, ()))
    hinted = [m for m in hints if m in found.by_media]
    if old.subjects != new.subjects:
        rows.update(r for m in hinted for r in found.by_media[m])
    touched = {found.faces.media[r] for r in rows}
    rows.update(r for m in hinted if m in touched for r in found.by_media[m])
    return rows


def _people(labels: Labels, confirmed: dict[str, str]) -> dict[str, str]:
    """Confirmed face → person: the faces the distance rules compare against."""
    subjects = labels.subjects
    return {f: s for f, s in confirmed.items() if subjects[s].kind == Kind.PERSON}


def _changed(before: Mapping[str, object], after: Mapping[str, object]) -> set[str]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def _changed_evidence(
    clusters: dict[str, str | None],
    before: dict[str, str],
    after: dict[str, str],
    changed: set[str],
) -> set[str]:
    """The clusters of `changed` faces whose set of confirmed people differs."""
    touched = {c for f in changed if (c := clusters.get(f)) is not None}
    evidence: dict[str, tuple[set[str], set[str]]] = {c: (set(), set()) for c in touched}
    for side, refs in enumerate((before, after)):
        for face, subject in refs.items():
            cluster = clusters.get(face)
            if cluster in evidence:
                evidence[cluster][side].add(subject)
    return {c for c, (was, now) in evidence.items() if was != now}
