"""Which faces a label edit can move: the people state is placed again for those only.

At a family library's size (100,000–400,000 faces) placing every face again after each name,
confirm, reject or merge takes seconds, yet an edit can only move the faces it names, their
neighbours and their clusters. When the only thing that changed since the stored state's basis
is the label log (faces, clusters, model, bodies and sources at the same versions),
`node.people.state.refresh` asks `plan` which faces to place again, places those with the same
code as the full computation (`state._compute`, which stays the reference and the fallback) and
upserts their rows; so it does after an index run that only added faces (below).

Why the faces not in the plan keep their placement, exactly (the distance rules,
`node.people.suggest`): a face that is not confirmed is placed from, per person, the distance to
that person's nearest confirmed face, the set of people confirmed in its own cluster (its
evidence), its rejections, and, for a photo a Takeout sidecar names people in, the placements of
its photo's other faces and the subjects' names. So a face can only move if

- it was confirmed, unconfirmed or confirmed as someone else (it is placed as the user said), or
  its rejections changed;
- a confirmed face of a person came or went within reach of it. Farther, a person's confidence
  stays below every threshold (suggest, ambiguous, auto) and the cluster rule (0.999 within
  `cluster_reach`) cannot apply, both before and after, so the person can neither become the
  face's match nor its runner-up (`DistanceRules.reach`, derived from the rules' numbers).
  Nearer, it still keeps its placement if a face confirmed as that person both before and
  after is nearer to it than every face that came or went: that one is its nearest both times
  (`_nearest_moved`);
  Where the person only gained confirmed faces, or only lost some, the face's placement
  before the edit (its row in the state the edit starts from) can show that the change cannot
  move it either (`suggest.can_move`): most faces near a newly named person are placed as
  someone else, or as nobody, far more surely than the new faces could change;
- the evidence of its cluster changed (only a confirmed face moving in or out of the cluster, or
  changing person, changes it, since clusters are at the same version);
- it is in a hinted photo and any face of that photo moves, or any subject's name, kind or
  existence changed (hints are matched by name).

An index run adds faces and clusters them, which may merge clusters; it never confirms one,
but a photo added again brings back faces the labels already confirmed. So when faces were
only added (none gone), the faces that can move are, beyond those above, the new faces and the
faces in another cluster than before, with every confirmed face among them counted as one that
came (its neighbours within reach) and clusters' evidence compared before and after. A face
gone takes its vector with it, and with it the bound: everything is placed again.

A merge or forget changes the resolved subject of the confirmed faces of the subjects involved,
so it is covered by the second and third rules; a kind change (person ↔ pet) too, as only
people's faces are compared against. The family model (`node.model.scorer`) scores every face
against prototypes that move with the confirmed faces of people it does not know yet; no such
bound is shown for it, so with a model `plan` returns None and the caller recomputes everything.

Neighbours are found by float32 matrix products, with bounds that cover their rounding, over
every face's vector held in memory once per version of the faces table (`Corpus`): 128 MB at
250,000 faces of 128 dimensions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Container, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from node.library.store import Library
from node.model.scorer import model_version
from node.people.clusters import (
    clusters_at,
    clusters_table,
    read_clusters,
    rounding_window,
    squared_distances,
)
from node.people.faces import FaceSet, faces_at, load_faces
from node.people.references import Evidence, References, confirmed_of, of_kind
from node.people.scoring import Placement, Scorer
from node.people.suggest import (
    DistanceRules,
    DistanceScorer,
    Prior,
    can_move,
    distances_to,
    placed_after,
)
from protocol.labels import Kind, Labels

_SAMPLE = 64  # kept confirmed faces tried first in `_nearest_moved`
_AT_ONCE = 1 << 22  # distances in one product (16 MB in float32): memory stays flat
_COVER = 0.1  # how near an asked face must be to one that stands for it in `Corpus.within`
_SLACK = 1e-3  # how far `Corpus.within` widens its bound: float32 distances are off by ~1e-5
_CORPORA_KEPT = 2
Placed = tuple[References, DistanceScorer]  # the confirmed people, and their scorer
PlacedBefore = Callable[[Sequence[str]], Mapping[str, Placement]]  # faces → placements before
Told = dict[str, tuple[str, Placement]]  # face → its photo and its placement after an edit
_PLACED_KEPT = 2  # label logs per corpus: the one an edit starts from, and its own


@dataclass
class Corpus:
    """Every face and its cluster as of one version of the faces and clusters tables; and the
    confirmed faces compared against, with their scorer, for the last label logs placed
    from (the log's event ids → both), from which an edit's are made by the faces it changed."""

    faces: FaceSet
    clusters: dict[str, str | None]
    placed: OrderedDict[frozenset[str], Placed] = field(default_factory=OrderedDict)

    def keep(self, log: frozenset[str], references: References, scorer: DistanceScorer) -> None:
        with _lock:
            self.placed[log] = (references, scorer)
            while len(self.placed) > _PLACED_KEPT:
                self.placed.popitem(last=False)

    def placed_at(self, log: frozenset[str]) -> Placed | None:
        with _lock:
            return self.placed.get(log)

    @cached_property
    def where(self) -> dict[str, int]:
        return self.faces.index()

    @cached_property
    def norms(self) -> np.ndarray:
        """Every face's squared norm (float32, as `squared_distances` squares them)."""
        vectors = self.faces.vectors
        squared: np.ndarray = (vectors * vectors).sum(axis=1)
        return squared

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

    def within(
        self, distance: float, rows: Iterable[int], settled: Container[str] = frozenset()
    ) -> set[int]:
        """The rows of `rows` and of every face within `distance` of any of them, and some
        more (never fewer): the faces that can be within it, but for those in `settled` (the
        confirmed ones: no neighbour moves them). The caller measures each one it keeps.

        Naming a cluster asks this for hundreds of faces, mostly near one another. So they
        are first covered by a few of them, the centres (each asked face within `_COVER` of
        one): a face farther than `distance + _COVER` from every centre is within `distance`
        of no asked face (the triangle inequality), and is left out. Float32 rounding is far
        inside `_SLACK`, which widens the bound."""
        queries = sorted(set(rows))
        if not queries:
            return set()
        ids = self.faces.ids
        asked = self.faces.vectors[queries]
        nearest = _min_squared(self.faces.vectors, asked[_cover(asked, _COVER)], self.norms)
        near = np.nonzero(nearest <= (distance + _COVER + _SLACK) ** 2)[0].tolist()
        return set(queries) | {r for r in near if ids[r] not in settled}

    def subset(self, rows: Iterable[int]) -> FaceSet:
        chosen = sorted(set(rows))
        faces = self.faces
        return FaceSet(
            [faces.ids[i] for i in chosen],
            [faces.media[i] for i in chosen],
            faces.vectors[chosen],
            faces.good[chosen],
        )


def _min_squared(a: np.ndarray, b: np.ndarray, a_squared: np.ndarray | None = None) -> np.ndarray:
    """Each row of a's squared distance to the nearest row of b, in blocks of `_AT_ONCE`;
    `a_squared`: a's squared norms, where the caller keeps them."""
    step = max(1, _AT_ONCE // len(b))
    parts = [
        squared_distances(
            a[i : i + step], b, a_squared=None if a_squared is None else a_squared[i : i + step]
        ).min(axis=1)
        for i in range(0, len(a), step)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def _cover(points: np.ndarray, radius: float) -> list[int]:
    """Indices of some of `points` such that every point is within `radius` of one of them
    (greedy: the first point not yet covered is the next centre)."""
    covered = np.zeros(len(points), bool)
    centres = []
    while not covered.all():
        centre = int(np.argmin(covered))
        centres.append(centre)
        covered |= squared_distances(points[[centre]], points)[0] <= radius * radius
    return centres


def corpus(library: Library) -> Corpus:
    """The library's corpus, read once per version of its faces and clusters tables (kept
    only if no index run wrote either while it was read)."""
    key = _versions(library)
    with _lock:
        if (kept := _corpora.get(key)) is not None:
            _corpora.move_to_end(key)
            return kept
    made = Corpus(load_faces(library), read_clusters(library))
    if _versions(library) == key:
        with _lock:
            _corpora[key] = made
            while len(_corpora) > _CORPORA_KEPT:
                _corpora.popitem(last=False)
    return made


def _versions(library: Library) -> tuple[str, str, int, int]:
    faces, clusters = int(library.faces.version), int(clusters_table(library).version)
    return (str(library.root), library.meta.space.faces, faces, clusters)


_corpora: OrderedDict[tuple[str, str, int, int], Corpus] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class Before:
    """The faces and clusters the stored state was placed from (the table versions its basis
    names): what an index run's new faces and regrouped clusters are told apart from."""

    faces: FaceSet
    clusters: Mapping[str, str | None]

    @cached_property
    def ids(self) -> frozenset[str]:
        return frozenset(self.faces.ids)

    def kept_in(self, found: Corpus) -> bool:
        """Whether every face then is still there, with the same vector and quality: faces
        were only added."""
        where = found.where
        if not all(f in where for f in self.faces.ids):
            return False
        rows = [where[f] for f in self.faces.ids]
        return bool(
            np.array_equal(found.faces.vectors[rows], self.faces.vectors)
            and np.array_equal(found.faces.good[rows], self.faces.good)
        )


def before_at(library: Library, faces_version: int, clusters_version: int) -> Before | None:
    """The faces and clusters at those versions; None if either is gone. The corpus a
    process kept at those versions (the one its last edit placed from) is taken as it is:
    after an index run, reading the faces at the older version again cost a second and a
    second copy of every vector."""
    key = (str(library.root), library.meta.space.faces, faces_version, clusters_version)
    with _lock:
        kept = _corpora.get(key)
    if kept is not None:
        return Before(kept.faces, kept.clusters)
    faces = faces_at(library, faces_version)
    clusters = clusters_at(library, clusters_version)
    return None if faces is None or clusters is None else Before(faces, clusters)


@dataclass(frozen=True)
class Plan:
    """The faces to place again, and the scorer (built from every confirmed face) to do it;
    the faces that only moved to another cluster with the same evidence (face → cluster),
    whose placement is kept with the new cluster written in; and the faces whose placement
    after is told from the one before (face → its photo and placement)."""

    faces: FaceSet
    clusters: dict[str, str | None]
    scorer: Scorer
    relabelled: dict[str, str | None] = field(default_factory=dict)
    told: Told = field(default_factory=dict)


def plan(
    library: Library,
    old: Labels,
    new: Labels,
    hints: dict[str, list[str]],
    logs: tuple[frozenset[str], frozenset[str]],
    before: Before | None = None,
    placed_before: PlacedBefore | None = None,
) -> Plan | None:
    """The faces whose placement can differ between `old` and `new` labels (folded from the
    events of `logs`; model, bodies and sources unchanged; faces and clusters too, or as `before`
    says they were); None where no bound is shown: a family model scores, or a face is gone
    (with its vector, the faces it was nearest to cannot be found). `placed_before` reads the
    placements under `old` (and `before`) of the faces asked for, which rule out more."""
    found = corpus(library)
    if model_version(library) != 0 or (before is not None and not before.kept_in(found)):
        return None
    where = found.where
    confirmed = _changed(old.confirmed(), new.confirmed())
    placed = found.placed_at(logs[0]) if before is None else None
    if placed is not None and not _kind_changed(old, new):
        refs_before, was = placed
        moves = _moves(refs_before, confirmed, new, where)
        refs_after = refs_before.moved(moves, found.clusters)
        scorer = was.moved(refs_after, refs_before.touched(moves), found.faces, where)
        changed_refs = set(moves)
    else:
        ids_then = where.keys() if before is None else before.ids
        clusters_then = found.clusters if before is None else before.clusters
        refs_before = References.build(_people(old, ids_then), clusters_then)
        refs_after = References.build(_people(new, where), found.clusters)
        scorer = DistanceScorer.from_references(refs_after, found.faces, where)
        changed_refs = _changed(refs_before.by_face, refs_after.by_face)
    found.keep(logs[1], refs_after, scorer)
    changed = (confirmed, changed_refs)
    moved, relabelled, told = _moved(
        found,
        (before, placed_before),
        old,
        new,
        hints,
        scorer.rules,
        (refs_before, refs_after),
        changed,
    )
    new_clusters = {f: found.clusters.get(f) for f in relabelled}
    return Plan(found.subset(moved), found.clusters, scorer, new_clusters, told)


def _moves(
    references: References, confirmed: set[str], new: Labels, where: Mapping[str, int]
) -> dict[str, str | None]:
    """The faces in the corpus whose person the labels changed (None: no longer a confirmed
    person), from the faces whose confirmation changed; subjects' kinds are the same."""
    after = new.confirmed()
    people = of_kind(new, Kind.PERSON)
    moves: dict[str, str | None] = {}
    for face in confirmed & where.keys():
        subject = after.get(face)
        subject = subject if subject in people else None
        if references.by_face.get(face) != subject:
            moves[face] = subject
    return moves


def _kinds(labels: Labels) -> dict[str, Kind]:
    return {s: subject.kind for s, subject in labels.subjects.items()}


def _kind_changed(old: Labels, new: Labels) -> bool:
    """Whether a subject became a pet or a person: its confirmed faces then come or go from
    the references while their confirmations stay (a new or forgotten subject's faces are
    among the confirmations that changed)."""
    before, after = _kinds(old), _kinds(new)
    return any(after.get(s, kind) != kind for s, kind in before.items())


def _moved(
    found: Corpus,
    starts: tuple[Before | None, PlacedBefore | None],
    old: Labels,
    new: Labels,
    hints: dict[str, list[str]],
    rules: DistanceRules,
    references: tuple[References, References],
    changed: tuple[set[str], set[str]],
) -> tuple[set[int], set[str], Told]:
    """The rows of the faces to place again (the rules in the module's docstring), the
    faces that only changed cluster, and the faces whose placement after is told without
    scoring them (`_nearest_moved`). A face new since `then` is placed again, and so is one
    in another cluster unless both clusters have the same evidence (a face's cluster matters
    to its placement only through that, and through having one at all); a confirmed one of
    those is a confirmed face that came or went, like one the labels changed. `references`:
    the confirmed people before and after; `changed`: the faces whose confirmation changed,
    and those of them whose reference did; `starts`: the faces and clusters before, where an
    index run changed them, and how to read placements before."""
    then, placed_before = starts
    where, clusters = found.where, found.clusters
    clusters_then = clusters if then is None else then.clusters
    before, after = references
    evidence = (before.evidence, after.evidence)
    regrouped: set[str] = set()
    relabelled: set[str] = set()
    if then is not None:
        regrouped = {
            f for f in where if f not in then.ids or clusters_then.get(f) != clusters.get(f)
        }
        relabelled = _same_evidence(regrouped & then.ids, clusters_then, clusters, *evidence)
    rejected = ({f: frozenset(s) for f, s in labels.rejected().items()} for labels in (old, new))
    confirmed, changed_refs = changed
    faces = confirmed | _changed(*rejected) | changed_refs
    rows = {where[f] for f in faces | (regrouped - relabelled) if f in where}
    near = found.within(rules.reach, (where[f] for f in changed_refs), settled=new.confirmed())
    stored = None
    if placed_before is not None:
        rejections = {f: frozenset(s) for f, s in new.rejected().items()}
        stored = Stored(
            found, placed_before, evidence, clusters_then, hints.keys(), rules, rejections
        )
    nearest, told = _nearest_moved(found, near, references, changed_refs, rules.reach, stored)
    rows |= nearest
    evidence_of = changed_refs | (regrouped & (before.by_face.keys() | after.by_face.keys()))
    for cluster in _changed_evidence(clusters_then, clusters, *evidence, evidence_of):
        rows.update(found.members.get(cluster, ()))
    hinted = [m for m in hints if m in found.by_media]
    if old.subjects != new.subjects:
        rows.update(r for m in hinted for r in found.by_media[m])
    touched = {found.faces.media[r] for r in rows}
    rows.update(r for m in hinted if m in touched for r in found.by_media[m])
    told = {r: placed for r, placed in told.items() if r not in rows}
    kept_as_was = {f for f in relabelled if where[f] not in rows and where[f] not in told}
    ids, media = found.faces.ids, found.faces.media
    return rows, kept_as_was, {ids[r]: (media[r], placed) for r, placed in told.items()}


def _same_evidence(
    faces: set[str],
    clusters_before: Mapping[str, str | None],
    clusters_after: Mapping[str, str | None],
    then: Evidence,
    now: Evidence,
) -> set[str]:
    """Of `faces` (each in another cluster now), those in a cluster before and after whose
    confirmed people were the same: what a merge of two clusters of one person leaves."""
    return {
        f
        for f in faces
        if (was := clusters_before.get(f)) is not None
        and (is_now := clusters_after.get(f)) is not None
        and then.get(was, frozenset()) == now.get(is_now, frozenset())
    }


def _nearest_moved(
    found: Corpus,
    near: set[int],
    references: tuple[References, References],
    changed: set[str],
    distance: float,
    stored: Stored | None = None,
) -> tuple[set[int], dict[int, Placement]]:
    """Of the faces `near` the `changed` confirmed faces, those whose distance to some
    person's nearest confirmed face can differ between the references before and after
    within `distance`, and, where `stored` tells their placements before, whose placement can
    then differ.

    For a person whose confirmed faces changed, a face keeps its nearest one if a face
    confirmed both before and after (kept) is nearer to it than every face that came or went:
    then that kept face is the nearest, before and after. A few kept faces nearest to the
    changing ones usually show it at once; the rest are compared with all kept faces.
    Distances are squared float32 products, each with its rounding bound
    (`rounding_window`): a face is kept only where that is shown despite rounding.

    Where a person only gained confirmed faces or only lost some, a face whose placement
    before shows that this cannot move it keeps it too (`suggest.can_move`): naming a person
    placed again every face within reach of theirs, and scored each against every person,
    though few of them change. And where only one person gained faces near a face that can
    move, its placement after is often told by its placement before and its exact distance to
    the faces that came (`suggest.placed_after`), without scoring it against every person:
    those are returned apart, row → placement."""
    where, vectors = found.where, found.faces.vectors
    rows = np.array(sorted(near), np.int64)
    points = vectors[rows]
    moved = np.zeros(len(rows), bool)
    told: dict[int, Placement] = {}
    before, after = references
    for subject in {s for f in changed for s in (before.by_face.get(f), after.by_face.get(f)) if s}:
        was = before.by_subject.get(subject, frozenset())
        now = after.by_subject.get(subject, frozenset())
        changing = vectors[[where[f] for f in sorted(was ^ now)]]
        kept = vectors[[where[f] for f in sorted(was & now)]]
        to_change = _min_squared(points, changing)
        least = to_change - rounding_window(points, (changing * changing).sum(axis=1))
        open_rows = np.nonzero((least <= distance * distance) & ~moved)[0]
        if len(kept) and len(open_rows):
            closest = np.argsort(_min_squared(kept, changing))[:_SAMPLE]
            for among in (kept[closest], kept):
                most = _min_squared(points[open_rows], among) + rounding_window(
                    points[open_rows], (among * among).sum(axis=1)
                )
                open_rows = open_rows[most >= least[open_rows]]
        if stored is not None and (was <= now or now <= was):
            nearer = was <= now
            open_rows = open_rows[
                stored.can_move(rows[open_rows], subject, nearer, least[open_rows])
            ]
            if nearer:
                open_rows = _told(stored, told, rows, points, open_rows, subject, changing)
        for index in open_rows.tolist():
            told.pop(index, None)  # another person can move it too: it is placed again
        moved[open_rows] = True
    return {int(r) for r in rows[moved]}, {int(rows[i]): placed for i, placed in told.items()}


def _told(
    stored: Stored,
    told: dict[int, Placement],
    rows: np.ndarray,
    points: np.ndarray,
    open_rows: np.ndarray,
    subject: str,
    came: np.ndarray,
) -> np.ndarray:
    """Of `open_rows` (indices into `rows`), which `subject`'s faces that `came` can move,
    those whose placement after cannot be told: the rest go into `told`. One another person
    could move as well is not told (it is placed again): so is a face told before."""
    distances = distances_to(came, points[open_rows].astype(np.float64), stored.rules)
    after = stored.placed_after(rows[open_rows], subject, distances)
    untold = []
    for index, placed in zip(open_rows.tolist(), after, strict=True):
        if placed is None or index in told:
            untold.append(index)
        else:
            told[index] = placed
    return np.array(untold, np.int64)


@dataclass(frozen=True)
class Stored:
    """The placements an edit starts from, of the faces it may move, and what else tells
    whether one person's confirmed faces changing can move them (`suggest.can_move`)."""

    found: Corpus
    placed_before: PlacedBefore  # faces → their placements before (those with a row)
    evidence: tuple[Evidence, Evidence]  # the clusters' confirmed people before and after
    clusters_before: Mapping[str, str | None]
    hinted: Container[str]  # photos a Takeout sidecar names people in: their faces move
    rules: DistanceRules
    rejected: Mapping[str, frozenset[str]]  # face → the people it was rejected for, after

    def can_move(
        self, rows: np.ndarray, subject: str, nearer: bool, squared: np.ndarray
    ) -> np.ndarray:
        """Of `rows`, whose nearest confirmed face of `subject` that came (`nearer`) or went is
        at least `squared` (squared distance) away, those whose placement can change."""
        distances = np.sqrt(np.maximum(squared, 0.0)).tolist()
        priors = self._priors(rows)
        return np.array(
            [
                prior is None or can_move(prior, subject, nearer, distance, self.rules)
                for prior, distance in zip(priors, distances, strict=True)
            ],
            bool,
        )

    def placed_after(
        self, rows: np.ndarray, subject: str, distances: np.ndarray
    ) -> list[Placement | None]:
        """The placements of `rows` once `subject` gained confirmed faces, the nearest exactly
        `distances` away, where they can be told from the ones before (`suggest.placed_after`);
        None for the others."""
        ids, good = self.found.faces.ids, self.found.faces.good
        return [
            None
            if prior is None or subject in self.rejected.get(ids[row], ())
            else placed_after(prior, subject, distance, bool(good[row]), self.rules)
            for row, prior, distance in zip(
                rows.tolist(), self._priors(rows), distances.tolist(), strict=True
            )
        ]

    def _priors(self, rows: np.ndarray) -> list[Prior | None]:
        """Each row's placement before and its cluster's people before and after; None for a
        face without a row or in a photo with hints (its placement is not the rules' alone)."""
        faces, clusters = self.found.faces, self.found.clusters
        then, now = self.evidence
        placements = self.placed_before([faces.ids[r] for r in rows.tolist()])
        priors: list[Prior | None] = []
        for row in rows.tolist():
            face = faces.ids[row]
            placed = placements.get(face)
            if placed is None or faces.media[row] in self.hinted:
                priors.append(None)
                continue
            was, cluster = self.clusters_before.get(face), clusters.get(face)
            evidence = then.get(was or "", frozenset()), now.get(cluster or "", frozenset())
            priors.append(Prior(placed, *evidence))
        return priors


def _people(labels: Labels, faces: Collection[str]) -> dict[str, str]:
    """Confirmed face (of `faces`) → person: the faces the distance rules compare against."""
    return confirmed_of(labels, Kind.PERSON, faces)


def _changed(before: Mapping[str, Hashable], after: Mapping[str, Hashable]) -> set[str]:
    """The keys whose value differs (or that only one side has): a set operation over the
    items, at C speed, since at a family's size both sides hold 100,000 confirmed faces."""
    return {key for key, _ in before.items() ^ after.items()}


def _changed_evidence(
    clusters_before: Mapping[str, str | None],
    clusters_after: Mapping[str, str | None],
    then: Evidence,
    now: Evidence,
    changed: set[str],
) -> set[str]:
    """The clusters `changed` faces were or are in whose set of confirmed people differs."""
    touched = {c for f in changed for c in (clusters_before.get(f), clusters_after.get(f)) if c}
    return {c for c in touched if then.get(c, frozenset()) != now.get(c, frozenset())}
