"""Unnamed faces grouped into clusters, incrementally: a new face joins a cluster, starts one, or
(rarely) bridges two; existing clusters are never recomputed from scratch.

Why this shape (calibrated on lfw_dev, 96 people; docs/ARCHITECTURE.md has the numbers):

- A face joins the cluster whose 3 nearest members are, on average, within 0.50 of it. Averaging
  over a few members instead of taking the single nearest keeps a cluster from creeping, face
  by face, from one person to a look-alike (single linkage at 0.50 put two people in one cluster;
  this rule put none).
- A good face within reach of two clusters merges them only if the clusters' average pairwise
  distance is within 0.55, so one ambiguous face cannot glue two people together.
- A low-quality face (see `quality`) never starts or merges clusters; it only joins one it is
  clearly close to (0.45), and otherwise stays unclustered.

Clustering reads only faces and writes only the `clusters` table (face → cluster id, null for an
unclustered face). It is idempotent and resumable: a face is processed once, when it has no row
yet, and a run's rows go in with one commit, so a kill simply leaves its faces for the next run.
Labels play no part here; the suggestion stage combines clusters with what the user said.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from node.library.schema import key_field
from node.library.store import Library, in_clauses
from node.people.faces import FaceSet, load_faces


@dataclass(frozen=True)
class ClusterRules:
    """The distances of one embedding space's clustering (faces here; pets in `node.pets`)."""

    join: float  # mean distance to a cluster's nearest members for a good item to join it
    nearest: int  # how many nearest members that mean is taken over
    merge: float  # mean pairwise distance under which two clusters an item bridges become one
    low_quality_join: float  # the stricter reach of a low-quality item


FACE_RULES = ClusterRules(join=0.50, nearest=3, merge=0.55, low_quality_join=0.45)

CLUSTERS = pa.schema(
    [
        key_field("face"),
        pa.field("cluster", pa.string()),
    ]
)


def clusters_table(library: Library) -> Any:
    return library.table("clusters", CLUSTERS)


def read_clusters(library: Library) -> dict[str, str | None]:
    """Face id → cluster id (None: processed, but in no cluster)."""
    return _clusters(clusters_table(library))


def clusters_at(library: Library, version: int) -> dict[str, str | None] | None:
    """The clusters as they stood at `version` of their table; None if it is gone."""
    table = library.table_at("clusters", version)
    return None if table is None else _clusters(table)


def _clusters(table: Any) -> dict[str, str | None]:
    rows = table.search().limit(None).to_arrow()
    return dict(zip(rows["face"].to_pylist(), rows["cluster"].to_pylist(), strict=True))


def update_clusters(library: Library) -> int:
    """Cluster the faces that have no cluster row yet; return how many were processed."""
    ids = library.faces.search().select(["id"]).limit(None).to_arrow().column("id").to_pylist()
    return update_groups(clusters_table(library), ids, lambda: load_faces(library), FACE_RULES)


def update_groups(
    table: Any, ids: list[str], load: Callable[[], FaceSet], rules: ClusterRules
) -> int:
    """Cluster the items `ids` that have no row in `table` yet, with `rules`; `load` reads
    their vectors (the same items), only when there is something to do."""
    rows = table.search().limit(None).to_arrow()
    known = dict(zip(rows["face"].to_pylist(), rows["cluster"].to_pylist(), strict=True))
    present = set(ids)
    for predicate in in_clauses("face", sorted(face for face in known if face not in present)):
        table.delete(predicate)
    if present <= known.keys():
        return 0  # the common case after an index run that found nothing new: no vectors read
    faces = load()
    todo = [i for i, face in enumerate(faces.ids) if face not in known]
    grouping = _Grouping(faces, known, rules)
    todo.sort(key=lambda i: (not faces.good[i], faces.ids[i]))  # good faces found clusters first
    step = max(1, min(_BLOCK, _DISTANCES_AT_ONCE // max(1, len(faces.ids))))
    for start in range(0, len(todo), step):
        block = todo[start : start + step]
        distances = pairwise_distances(faces.vectors[block], faces.vectors)
        for i, row in zip(block, distances, strict=True):
            grouping.place(i, row)
    Library.upsert(table, "face", pa.Table.from_pylist(grouping.changed(), CLUSTERS))
    return len(todo)


_MARGIN = 1e-3  # how far a bound on two clusters' mean distance must clear the merge bar
_BLOCK = 512  # new faces whose distances to all faces are computed at once, at most
# Distances computed at once (64 MB of float32, a few times over in the product's temporaries):
# at 250,000 faces, 512 new faces at once held 1.5 GB.
_DISTANCES_AT_ONCE = 1 << 24


def squared_distances(
    a: np.ndarray,
    b: np.ndarray,
    b_squared: np.ndarray | None = None,
    *,
    a_squared: np.ndarray | None = None,
) -> np.ndarray:
    """Squared Euclidean distances between the rows of a and b, through one matrix product:
    |a|² + |b|² − 2a·b, in two arrays of the result's size (each operation into a new one held
    four). `b_squared`, `a_squared`: the squared norms of b's or a's rows, where the caller
    keeps them (for every face of a library, squaring them again cost as much as the product)."""
    norms = (b * b).sum(1) if b_squared is None else b_squared
    own = (a * a).sum(1) if a_squared is None else a_squared
    result: np.ndarray = own[:, None] + norms[None, :]
    products = a @ b.T
    products *= 2.0  # exact: the same numbers as 2.0 * (a @ b.T)
    result -= products
    return result


def rounding_window(faces: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """Per face, twice the most a float32 squared distance (`squared_distances`) to any of the
    faces of `norms` can be off by: |a|² + |b|² − 2a·b, each term rounded over d + 2
    operations, is within (d + 2) u (|a| + |b|)² ≤ 2 (d + 2) u (|a|² + |b|²) of the truth
    (u = 2⁻²⁴)."""
    bound = 4.0 * (faces.shape[1] + 2) * 2.0**-24
    window: np.ndarray = bound * ((faces * faces).sum(axis=1) + float(norms.max()))
    return window


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of a and b, through one matrix product."""
    result = squared_distances(a, b)
    np.maximum(result, 0.0, out=result)
    np.sqrt(result, out=result)
    return result


@dataclass
class Moments:
    """Sums over a cluster's members, in float64, that bound the mean distance between two
    clusters' members: of the vectors x, |x|², |x|⁴, |x|²·x and the outer products x·xᵀ."""

    count: int
    vectors: np.ndarray
    squares: float
    fourths: float
    weighted: np.ndarray
    outer: np.ndarray

    @classmethod
    def of(cls, vectors: np.ndarray) -> Moments:
        wide = vectors.astype(np.float64)
        squares = (wide * wide).sum(axis=1)
        return cls(
            len(wide),
            wide.sum(axis=0),
            float(squares.sum()),
            float((squares * squares).sum()),
            squares @ wide,
            wide.T @ wide,
        )

    def add(self, other: Moments) -> None:
        self.count += other.count
        self.vectors += other.vectors
        self.squares += other.squares
        self.fourths += other.fourths
        self.weighted += other.weighted
        self.outer += other.outer

    def mean_distance_bounds(self, other: Moments) -> tuple[float, float]:
        """Bounds on the mean of |a − b| over a here and b in `other`. For d = |a − b|,
        E d ≤ √E d² (the root is concave), and E d ≥ |E a − E b| (a norm is convex) and
        E d ≥ (E d²)^1.5 / √E d⁴ (Hölder: E d² ≤ (E d)^⅔ (E d⁴)^⅓); E d² and E d⁴ follow
        from the sums, with a and b independent: d² = |a|² + |b|² − 2a·b, and
        E (a·b)² = tr(E aaᵀ · E bbᵀ)."""
        n, m = self.count, other.count
        mean_a, mean_b = self.vectors / n, other.vectors / m
        square_a, square_b = self.squares / n, other.squares / m
        d2 = square_a + square_b - 2.0 * float(mean_a @ mean_b)
        d4 = (
            self.fourths / n
            + other.fourths / m
            + 4.0 * float((self.outer * other.outer).sum()) / (n * m)
            + 2.0 * square_a * square_b
            - 4.0 * float(self.weighted @ mean_b) / n
            - 4.0 * float(mean_a @ other.weighted) / m
        )
        lower = float(np.linalg.norm(mean_a - mean_b))
        if d2 > 0.0 and d4 > 0.0:
            lower = max(lower, d2**1.5 / math.sqrt(d4))
        return lower, math.sqrt(max(d2, 0.0))


class _Grouping:
    """Clusters in memory while one run places its new faces; clusters are small int codes."""

    def __init__(self, faces: FaceSet, known: dict[str, str | None], rules: ClusterRules) -> None:
        self.faces, self.rules = faces, rules
        self.names: list[str] = []  # code → cluster id
        self.code: dict[str, int] = {}
        self.label = np.full(len(faces.ids), -1, np.int64)  # face → code, -1: none (yet)
        self.members: dict[int, list[int]] = {}
        # Two clusters a face bridged → the sum of their members' distances (see `_linkage`).
        self.linked: dict[frozenset[int], float] = {}
        self.moments: dict[int, Moments] = {}  # of the clusters asked about (`_one_person`)
        for i, face in enumerate(faces.ids):
            cluster = known.get(face)
            if cluster is not None:
                self._add(i, self._code_of(cluster))
        self.touched: set[int] = set()

    def _code_of(self, cluster: str) -> int:
        if cluster not in self.code:
            self.code[cluster] = len(self.names)
            self.names.append(cluster)
            self.members[self.code[cluster]] = []
        return self.code[cluster]

    def _add(self, i: int, code: int) -> None:
        for pair in [p for p in self.linked if code in p]:
            (other,) = pair - {code}
            self.linked[pair] += self._distance_sum([i], self.members[other])
        if code in self.moments:
            self.moments[code].add(Moments.of(self.faces.vectors[[i]]))
        self.label[i] = code
        self.members[code].append(i)

    def place(self, i: int, distances: np.ndarray) -> None:
        """Put face i in a cluster (or none), given its distances to every face."""
        self.touched.add(i)
        good = bool(self.faces.good[i])
        near = self._near(distances, self.rules.join if good else self.rules.low_quality_join)
        if not near:
            if good:
                self._add(i, self._code_of(f"c-{self.faces.ids[i]}"))
            return
        best = min(near, key=lambda c: (near[c], self.names[c]))
        if good:
            for other in sorted(near, key=lambda c: self.names[c]):
                if other != best and other in self.members:
                    best = self._maybe_merge(best, other)
        self._add(i, best)

    def _near(self, distances: np.ndarray, reach: float) -> dict[int, float]:
        """Clusters whose nearest members are, on average, within `reach`. A cluster's
        distances are taken by its members' rows, not by comparing every face's label: at
        250,000 faces that was a pass over all of them per candidate cluster."""
        candidates = np.unique(self.label[(distances <= reach) & (self.label >= 0)])
        scores = {}
        for code in candidates.tolist():
            nearest = np.sort(distances[self.members[code]])[: self.rules.nearest]
            score = float(nearest.mean())
            if score <= reach:
                scores[code] = score
        return scores

    def _maybe_merge(self, a: int, b: int) -> int:
        """Merge clusters a and b if they are one person; the larger keeps its id."""
        if not self._one_person(a, b):
            return a
        keep, drop = sorted((a, b), key=lambda c: (-len(self.members[c]), self.names[c]))
        self._merge_links(keep, drop)
        if keep in self.moments:
            self.moments[keep].add(self._moment(drop))
        self.moments.pop(drop, None)
        for j in self.members.pop(drop):
            self.label[j] = keep
            self.members[keep].append(j)
            self.touched.add(j)
        return keep

    def _merge_links(self, keep: int, drop: int) -> None:
        """The kept sums as they stand once `drop`'s members are in `keep`: each of `keep`'s
        pairs takes `drop`'s distances to the other cluster (kept, or computed: `drop` is the
        smaller), and `drop`'s pairs go. A run that merges hundreds of small clusters into a
        person's large one would otherwise compare the large one again after each."""
        merged = {}
        for pair, total in self.linked.items():
            if drop in pair:
                continue
            if keep in pair:
                (other,) = pair - {keep}
                dropped = self.linked.get(frozenset((drop, other)))
                if dropped is None:
                    dropped = self._distance_sum(self.members[drop], self.members[other])
                total += dropped
            merged[pair] = total
        self.linked = merged

    def _one_person(self, a: int, b: int) -> bool:
        """Whether the members of a and b are, on average, within the merge distance. Most
        pairs are decided by bounds on that mean from the clusters' `Moments`, without their
        distances; only where the bar lies between the bounds, or within `_MARGIN` of one,
        is the mean itself taken (`_linkage`): merging the parts of one person's 50,000
        faces took their 50,000 × 2,000 distances for each part."""
        lower, upper = self._moment(a).mean_distance_bounds(self._moment(b))
        if lower > self.rules.merge + _MARGIN:
            return False
        if upper <= self.rules.merge - _MARGIN:
            return True
        return self._linkage(a, b) <= self.rules.merge

    def _moment(self, code: int) -> Moments:
        if code not in self.moments:
            self.moments[code] = Moments.of(self.faces.vectors[self.members[code]])
        return self.moments[code]

    def _linkage(self, a: int, b: int) -> float:
        """The mean distance between the members of clusters a and b, where the bounds do not
        decide. Kept per pair as a sum, which each face joining either adds its distances to:
        every new face of a person split into two clusters bridges the same two, and their
        members' distances were computed again for each."""
        pair = frozenset((a, b))
        if pair not in self.linked:
            self.linked[pair] = self._distance_sum(self.members[a], self.members[b])
        return self.linked[pair] / (len(self.members[a]) * len(self.members[b]))

    def _distance_sum(self, a: list[int], b: list[int]) -> float:
        vectors = self.faces.vectors
        return float(pairwise_distances(vectors[a], vectors[b]).sum(dtype=np.float64))

    def changed(self) -> list[dict[str, str | None]]:
        return [
            {
                "face": self.faces.ids[i],
                "cluster": self.names[self.label[i]] if self.label[i] >= 0 else None,
            }
            for i in sorted(self.touched)
        ]
