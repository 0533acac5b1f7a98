"""Clusters on real faces (faces/: 13 people, the folder is the identity, the largest face in a
photo is that person; the few others are blurred bystanders)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import lancedb
import numpy as np
import pyarrow as pa
import pytest

from node.library.store import Library
from node.people import clusters, edits
from node.people.clusters import (
    CLUSTERS,
    FACE_RULES,
    Moments,
    clusters_table,
    read_clusters,
    update_clusters,
    update_groups,
)
from node.people.faces import FaceSet, load_faces
from node.people.quality import is_good
from node.people.state import read_state
from tests.albums import Album, copy_home
from tests.conftest import TESTDATA, roost_json

# The bystanders in faces/: blurred faces behind the identity (checked by eye).
BYSTANDER_PHOTOS = {"faces/id03/img54.jpg": 2, "faces/id08/img40.jpg": 1}


def identities_by_cluster(album: Album, home: Path) -> dict[str | None, set[str]]:
    clusters = read_clusters(Library.open(home / "library"))
    found: dict[str | None, set[str]] = defaultdict(set)
    for face, identity in album.identities().items():
        found[clusters[face]].add(identity)
    return found


def test_every_identity_face_is_clustered_and_no_cluster_mixes_two_people(album: Album) -> None:
    found = identities_by_cluster(album, album.home)
    assert None not in found, "an identity face was left out of every cluster"
    assert all(len(identities) == 1 for identities in found.values()), found
    assert {i for identities in found.values() for i in identities} == {
        f"id{n:02d}" for n in range(13)
    }


def test_blurred_bystanders_neither_join_nor_seed_clusters(album: Album) -> None:
    library = Library.open(album.home / "library")
    clusters = read_clusters(library)
    for photo, bystanders in BYSTANDER_PHOTOS.items():
        record = library.file(str(album.path(photo)))
        assert record is not None
        faces = library.faces_of(record["hash"], ["box", "score", "sharpness"])
        identity = album.face_of(photo)
        others = [f for f in faces if f["id"] != identity]
        assert len(others) == bystanders
        for face in others:
            assert not is_good(face["box"], face["score"], face["sharpness"])
            assert clusters[face["id"]] is None


def test_naming_each_cluster_puts_every_face_of_an_identity_in_its_person(
    album: Album, tmp_path: Path
) -> None:
    home = copy_home(album, tmp_path / "home")
    library = Library.open(home / "library")
    for cluster, identities in identities_by_cluster(album, home).items():
        assert cluster is not None
        (identity,) = identities
        edits.name(library, cluster, identity)  # a second cluster of one identity merges
    state = read_state(library)
    truth = album.identities()
    for face, identity in truth.items():
        row = state.face(face)
        assert row is not None and row.assigned, face
        assert state.labels.subjects[str(row.subject)].name == identity
    people: dict[str, set[str]] = defaultdict(set)
    for row in state.assigned():
        if row.face in truth:
            people[str(row.subject)].add(truth[row.face])
    assert len(people) == 13
    assert all(len(identities) == 1 for identities in people.values())


def test_new_faces_join_the_clusters_that_exist(album: Album, tmp_path: Path) -> None:
    home = copy_home(album, tmp_path / "home")
    library = Library.open(home / "library")
    before = read_clusters(library)
    truth = album.identities()
    # One face of every identity with 4 or more comes in "new" (its cluster row is forgotten),
    # one that was not alone in its cluster: a face that was alone has nothing to join.
    latest: dict[str, str] = {}
    for face, identity in sorted(truth.items()):
        size = sum(1 for c in before.values() if c == before[face])
        if size > 1 and sum(1 for i in truth.values() if i == identity) >= 4:
            latest[identity] = face
    for face in latest.values():
        clusters_table(library).delete(f"face = '{face}'")
    assert update_clusters(library) == len(latest)
    after = read_clusters(library)
    for identity, face in latest.items():
        assert after[face] is not None
        mates = {truth[f] for f, c in after.items() if c == after[face] and f in truth}
        assert mates == {identity}
        assert sum(1 for c in after.values() if c == after[face]) > 1, "started a new cluster"
    unchanged = [f for f in before if f not in latest.values()]
    assert all(after[f] == before[f] for f in unchanged)
    assert update_clusters(library) == 0  # idempotent: nothing left to place


def test_an_index_run_clusters_only_the_new_photo_and_keeps_labels(
    album: Album, tmp_path: Path
) -> None:
    home = copy_home(album, tmp_path / "home")
    library = Library.open(home / "library")
    alice = album.face_of("faces/id00/img1.jpg")
    edits.name(library, alice, "Alice")
    before = read_clusters(library)
    newcomer = TESTDATA / "multi_face" / "selfie-many-people.jpg"
    summary = roost_json("index", album.photos, newcomer, home=home)
    assert (summary["indexed"], summary["unchanged"]) == (1, 63)  # 61 faces/ photos + 2 extra
    after = read_clusters(library)
    assert {f: after[f] for f in before} == before
    assert len(after) == len(before) + summary["faces"]
    state = read_state(library)
    row = state.face(alice)
    assert row is not None and row.status == "confirmed"
    assert state.labels.subjects[str(row.subject)].name == "Alice"


def _around(rng: np.random.Generator, centre: dict[int, float], count: int) -> np.ndarray:
    """`count` faces around a point (axis → coordinate), each within about 0.11 of it."""
    point = np.zeros(128, np.float32)
    for axis, value in centre.items():
        point[axis] = value
    return (point + rng.normal(0, 0.01, (count, 128))).astype(np.float32)


def _bridged(
    tmp_path: Path, a: np.ndarray, b: np.ndarray, new: np.ndarray
) -> tuple[dict[str, str | None], int]:
    """Clusters `c-a` and `c-b` of the faces `a` and `b`, and the good faces `new`, clustered
    in order: the clusters after, and how many member-by-member distance products the run
    computed (not counting the new faces' rows to every face)."""
    vectors = np.concatenate([a, b, new])
    ids = [f"a{i:02d}" for i in range(len(a))] + [f"b{i:02d}" for i in range(len(b))]
    ids += [f"new{i:02d}" for i in range(len(new))]
    table = lancedb.connect(str(tmp_path / "db")).create_table("clusters", schema=CLUSTERS)
    known = [{"face": f, "cluster": f"c-{f[0]}"} for f in ids[: len(a) + len(b)]]
    table.add(pa.Table.from_pylist(known, CLUSTERS))
    faces = FaceSet(ids, ids, vectors, np.ones(len(ids), bool))
    products = 0
    measured = clusters.pairwise_distances

    def counted(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        nonlocal products
        products += len(x) > 1 and 1 < len(y) < len(ids)
        return measured(x, y)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clusters, "pairwise_distances", counted)
        update_groups(table, ids, lambda: faces, FACE_RULES)
    return clusters._clusters(table), products


def _halves(rng: np.random.Generator, members: int, new: int) -> tuple[np.ndarray, ...]:
    """Two clusters, each half at ±0.5 on one axis (B's a little off A's), so that the
    distances between their members are 0.17 or 1.0, 0.59 on average: its bounds (0.52 and
    0.72) do not decide a merge. New faces by their + halves are in reach of both."""
    half = members // 2
    a = np.concatenate([_around(rng, {0: 0.5}, half), _around(rng, {0: -0.5}, half)])
    b = np.concatenate(
        [_around(rng, {0: 0.5, 2: 0.05}, half), _around(rng, {0: -0.5, 2: 0.05}, half)]
    )
    return a, b, _around(rng, {0: 0.5, 2: 0.025}, new)


def test_faces_bridging_two_clusters_compare_the_clusters_once(tmp_path: Path) -> None:
    """Every new face of a person split into two clusters is in reach of both, and the mean
    distance between the clusters' members was computed again for each; it is kept and
    brought up to date as faces join."""
    found, products = _bridged(tmp_path, *_halves(np.random.default_rng(3), 30, 12))
    assert {found[f"new{i:02d}"] for i in range(12)} <= {"c-a", "c-b"}
    assert len(set(found.values())) == 2  # 0.59 on average: not merged
    assert products == 1  # the two clusters' members compared once, not once per new face


@pytest.mark.parametrize(("bridges", "merged"), [(12, False), (60, True)])
def test_the_sums_kept_follow_the_faces_that_join_and_merge(bridges: int, merged: bool) -> None:
    """After faces join both clusters (and, with 60 of them, the mean falls under the bar
    and the clusters merge), what is kept of each cluster and pair of clusters equals the
    sums over their members now."""
    a, b, new = _halves(np.random.default_rng(3), 30, bridges)
    vectors = np.concatenate([a, b, new])
    ids = [f"f{i:03d}" for i in range(len(vectors))]
    known: dict[str, str | None] = {
        f: "c-a" if i < len(a) else "c-b" for i, f in enumerate(ids[: len(a) + len(b)])
    }
    grouping = clusters._Grouping(
        FaceSet(ids, ids, vectors, np.ones(len(ids), bool)), known, FACE_RULES
    )
    for i in range(len(a) + len(b), len(ids)):
        grouping.place(i, np.linalg.norm(vectors - vectors[i], axis=1))
    assert (len(grouping.members) == 1) == merged
    assert grouping.linked or merged
    for pair, total in grouping.linked.items():
        one, other = (vectors[grouping.members[c]].astype(np.float64) for c in pair)
        assert total == pytest.approx(np.linalg.norm(one[:, None] - other[None], axis=2).sum())
    assert grouping.moments
    for code, kept in grouping.moments.items():
        members = vectors[grouping.members[code]].astype(np.float64)
        assert kept.count == len(members)
        assert np.allclose(kept.vectors, members.sum(axis=0))
        assert np.allclose(kept.outer, members.T @ members)
        assert kept.fourths == pytest.approx(((members * members).sum(axis=1) ** 2).sum())


def test_clusters_far_apart_on_average_are_told_apart_without_their_distances(
    tmp_path: Path,
) -> None:
    """Clusters 0.8 apart, with new faces halfway: their centroids' distance already shows
    the mean is over the bar."""
    rng = np.random.default_rng(3)
    a, b = _around(rng, {}, 30), _around(rng, {0: 0.8}, 30)
    found, products = _bridged(tmp_path, a, b, _around(rng, {0: 0.4}, 12))
    assert {found[f"new{i:02d}"] for i in range(12)} <= {"c-a", "c-b"}
    assert len(set(found.values())) == 2 and products == 0


def test_the_bounds_on_two_clusters_mean_distance_hold(album: Album) -> None:
    """On real faces (two identities, and one identity split in two), sums kept in parts
    and added: E d ≤ √E d², E d ≥ the centroids' distance and ≥ (E d²)^1.5 / √E d⁴,
    against every pair's distance."""
    library = Library.open(album.home / "library")
    faces = load_faces(library)
    by_identity = defaultdict(list)
    for face, identity in album.identities().items():
        by_identity[identity].append(faces.ids.index(face))
    one, other = (faces.vectors[rows].astype(np.float64) for rows in list(by_identity.values())[:2])
    for a, b in ((one, other), (one[::2], one[1::2])):
        moments = Moments.of(a[:3])
        moments.add(Moments.of(a[3:]))
        lower, upper = moments.mean_distance_bounds(Moments.of(b))
        d = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
        holder = (d**2).mean() ** 1.5 / np.sqrt((d**4).mean())
        assert upper == pytest.approx(np.sqrt((d**2).mean()), rel=1e-9)
        assert lower == pytest.approx(max(holder, np.linalg.norm(a.mean(0) - b.mean(0))), rel=1e-9)
        assert lower <= d.mean() <= upper
