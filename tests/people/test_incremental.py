"""The people state kept up to date edit by edit (`node.people.incremental`): on the real album,
after every kind of edit the stored rows equal the full recomputation, and an edit places again
only the faces it can move."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from node.derive import derive
from node.library.schema import face_id
from node.library.store import Library
from node.people import edits, incremental, scoring, state
from node.people.clusters import CLUSTERS, clusters_table, pairwise_distances, read_clusters
from node.people.events import EventLog, new_subject_id
from node.people.faces import FaceSet, load_faces
from node.people.scoring import FaceBatch, Placement, Scorer
from node.people.suggest import FACES
from node.vision.tables import is_body
from protocol.labels import Edit, Kind, Labels, Op, fold
from tests.albums import Album, copy_home

# The closest pair of different people in faces/: naming id06 leaves id07's face suggested.
FRANK, STRANGER = "faces/id06/img30.jpg", "faces/id07/img35.jpg"
_COLUMNS = ["face", "media_hash", "cluster", "subject", "status", "confidence"]


@pytest.fixture
def library(album: Album, tmp_path: Path) -> Library:
    return Library.open(copy_home(album, tmp_path / "home") / "library")


@dataclass
class Computes:
    """The full computation as defined, and how often `refresh` fell back to it."""

    reference: Callable[[Library, Labels], pa.Table]
    calls: int = 0


@pytest.fixture
def full(monkeypatch: pytest.MonkeyPatch) -> Computes:
    computes = Computes(state._compute)

    def counted(library: Library, labels: Labels) -> pa.Table:
        computes.calls += 1
        return computes.reference(library, labels)

    monkeypatch.setattr(state, "_compute", counted)
    return computes


@pytest.fixture
def placed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The faces (not bodies) the scorer is asked to place, in every refresh."""
    faces: list[str] = []
    original = scoring.score_batch

    def counted(scorer: Scorer, batch: FaceBatch, labels: Labels) -> list[Placement | None]:
        faces.extend(f for f in batch.ids if not is_body(f))
        return original(scorer, batch, labels)

    monkeypatch.setattr(scoring, "score_batch", counted)
    return faces


def cluster_of(library: Library, face: str) -> str:
    cluster = read_clusters(library)[face]
    assert cluster is not None
    return cluster


def assert_equals_full(library: Library, reference: Callable[[Library, Labels], pa.Table]) -> None:
    """The stored rows, and the state a reader gets, are what the full computation gives."""
    labels = fold(EventLog(library).read())
    expected = reference(library, labels).sort_by("face")
    stored = library.table("people_state", state.STATE)
    assert state.stored_basis(stored) == state._basis(library, EventLog(library))
    for rows in (stored.search().limit(None).to_arrow(), state.read_state(library).rows):
        got = rows.sort_by("face")
        assert got.select(_COLUMNS).to_pylist() == expected.select(_COLUMNS).to_pylist()


def test_after_every_kind_of_edit_the_state_equals_the_full_recomputation(
    album: Album, library: Library, full: Computes
) -> None:
    face = album.face_of
    state.refresh(library)  # the album's stored state, at the basis of its index run
    full.calls = 0
    steps: list[Callable[[], edits.Change]] = [
        lambda: edits.name(library, face(FRANK), "Frank"),  # one face: its cluster follows
        lambda: edits.reject(library, face(STRANGER), "Frank"),
        lambda: edits.confirm(library, [face("faces/id06/img29.jpg"), face(FRANK)]),
        lambda: edits.name(library, cluster_of(library, face("faces/id04/img13.jpg")), "Bob"),
        lambda: edits.name(library, face("faces/id01/img26.jpg"), "Robert"),
        lambda: edits.merge(library, ["Robert"], into="Bob"),
        lambda: edits.rename(library, "Bob", "Uncle Bob"),
        lambda: edits.split(library, [face("faces/id04/img14.jpg")]),
        lambda: edits.name(library, face("faces/id02/img8.jpg"), "Dora"),
        lambda: edits.forget(library, "Uncle Bob"),
    ]
    changes = []
    for step in steps:
        changes.append(step())
        assert_equals_full(library, full.reference)
    edits.undo(library, changes[0].events)  # Frank, named first, taken back
    assert_equals_full(library, full.reference)
    edits.undo(library, changes[-2].events)  # Dora
    assert_equals_full(library, full.reference)
    assert full.calls == 0  # every refresh took the incremental path


def test_an_edit_places_only_the_faces_it_can_move(
    album: Album, library: Library, placed: list[str], full: Computes
) -> None:
    edits.name(library, album.face_of(FRANK), "Frank")
    stranger = album.face_of(STRANGER)
    placed.clear()
    edits.reject(library, stranger, "Frank")
    assert placed == [stranger]  # a rejection moves only the face rejected

    face = album.face_of("faces/id09/img19.jpg")
    placed.clear()
    edits.name(library, face, "Ivy")
    faces = load_faces(library)
    clusters = read_clusters(library)
    where = faces.index()
    distances = pairwise_distances(faces.vectors[[where[face]]], faces.vectors)[0]
    reach = FACES.reach
    near = {f for f, d in zip(faces.ids, distances, strict=True) if d <= reach}
    cluster = {f for f, c in clusters.items() if c is not None and c == clusters.get(face)}
    confirmed = set(fold(EventLog(library).read()).confirmed())
    assert placed and set(placed) <= (near | cluster) - confirmed
    assert len(placed) < len(faces.ids) // 4  # of 69 faces, the few near Ivy's
    assert full.calls == 0


def _is_current(library: Library) -> bool:
    stored = library.table("people_state", state.STATE)
    return state.stored_basis(stored) == state._basis(library, EventLog(library))


def _written_without_refresh(album: Album, library: Library) -> None:
    """Frank named in the log, the process killed before it refreshed the state."""
    log = EventLog(library)
    frank = new_subject_id()
    named = [
        Edit(Op.SUBJECT, frank, name="Frank", kind=Kind.PERSON),
        Edit(Op.ASSIGN, frank, faces=(album.face_of(FRANK),)),
    ]
    log.append(named, log.read())
    assert not _is_current(library)


def _add_photo(library: Library, like: str, photo: str, *, nudge: float = 0.0) -> str:
    """A new photo's face: a copy of face `like`'s row (its vector nudged along its first
    axis), written as an index run writes; its face id."""
    copied = library.faces.search().where(f"id = '{like}'").to_arrow()
    face = face_id(photo, 0)
    copied = copied.set_column(copied.schema.get_field_index("id"), "id", [[face]])
    copied = copied.set_column(copied.schema.get_field_index("media_hash"), "media_hash", [[photo]])
    vector = np.array(copied["embedding"][0].as_py(), np.float32)
    vector[0] += nudge
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(vector), len(vector))
    copied = copied.set_column(copied.schema.get_field_index("embedding"), "embedding", embedding)
    library.faces.add(copied.cast(library.faces.schema))
    return face


def test_an_index_run_places_only_its_new_faces_and_leaves_a_current_state(
    album: Album,
    library: Library,
    full: Computes,
    placed: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After edits, a run that adds faces places those (and what they can move) only, not
    every face; and it merges the label log's fragments before it stores the state: a merge
    after it would leave the stored state stale for every command until the next edit."""
    edits.name(library, album.face_of(FRANK), "Frank")  # each edit a fragment of the log
    edits.name(library, album.face_of("faces/id02/img8.jpg"), "Dora")
    full.calls = 0
    placed.clear()
    new = _add_photo(library, album.face_of(FRANK), "0" * 64, nudge=0.01)
    read_at: list[int] = []
    monkeypatch.setattr(incremental, "faces_at", lambda _, version: read_at.append(version))
    derive(library)
    assert read_at == []  # the faces before the run are the corpus the edits placed from
    assert new in read_clusters(library)
    assert full.calls == 0 and new in placed and len(placed) < len(load_faces(library).ids) // 4
    assert _is_current(library)
    assert_equals_full(library, full.reference)
    current = state.read_state(library)
    frank = current.labels.by_name("Frank")
    assert frank is not None
    assert new in {r.face for r in current.faces_page(frank.id)}  # a copy of Frank's face
    assert full.calls == 0


def test_a_photo_added_again_brings_its_confirmed_face_back_into_the_state(
    album: Album, library: Library, full: Computes
) -> None:
    """A confirmed face that comes back with its photo counts as a confirmed face that came:
    the faces near it are placed again."""
    frank = album.face_of(FRANK)
    edits.name(library, frank, "Frank")
    row = library.faces.search().where(f"id = '{frank}'").to_arrow()
    library.faces.delete(f"id = '{frank}'")
    clusters_table(library).delete(f"face = '{frank}'")
    state.refresh(library)  # a face gone: everything is placed again
    assert full.calls == 1
    library.faces.add(row)
    derive(library)
    assert full.calls == 1
    assert_equals_full(library, full.reference)


def test_a_face_whose_vector_changed_has_everything_placed_again(
    album: Album, library: Library, full: Computes
) -> None:
    frank = album.face_of(FRANK)
    edits.name(library, frank, "Frank")
    full.calls = 0
    row = library.faces.search().where(f"id = '{frank}'").to_arrow()
    library.faces.delete(f"id = '{frank}'")
    vector = np.array(row["embedding"][0].as_py(), np.float32)
    vector[0] += 0.05
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(vector), len(vector))
    library.faces.add(row.set_column(row.schema.get_field_index("embedding"), "embedding",
                                     embedding).cast(library.faces.schema))  # fmt: skip
    state.refresh(library)
    assert full.calls == 1
    assert_equals_full(library, full.reference)


def test_a_reader_finding_the_state_stale_stores_it_brought_up_to_date(
    album: Album, library: Library, full: Computes
) -> None:
    _written_without_refresh(album, library)
    got = state.read_state(library)
    assert "Frank" in {s.name for s in got.labels.subjects.values()}
    assert_equals_full(library, full.reference)  # stored, so the next command reads it
    assert full.calls == 0  # by the incremental path


def test_while_an_edit_holds_the_labels_a_stale_state_is_computed_and_nothing_written(
    album: Album, library: Library, full: Computes
) -> None:
    _written_without_refresh(album, library)
    with library.labels_lock():
        got = state.read_state(library)
    assert not _is_current(library)
    labels = fold(EventLog(library).read())
    expected = full.reference(library, labels).sort_by("face").select(_COLUMNS).to_pylist()
    assert got.rows.sort_by("face").select(_COLUMNS).to_pylist() == expected


def test_rows_read_while_an_index_run_writes_are_not_stored_under_the_older_basis(
    album: Album, library: Library, full: Computes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index run writes faces without the labels lock. A state computed from faces newer
    than its basis is returned, not stored: stored, it would pass for the faces of the basis,
    and a face of it that is later removed would keep its row for good."""
    added: list[str] = []

    def while_a_run_writes(library: Library, labels: Labels) -> pa.Table:
        if not added:
            added.append(_add_photo(library, album.face_of(STRANGER), "1" * 64))
        return full.reference(library, labels)

    monkeypatch.setattr(state, "_compute", while_a_run_writes)
    got = state.recompute(library)
    assert added[0] in set(got.rows["face"].to_pylist())  # what it read is what it returns
    assert not _is_current(library)
    library.faces.delete(f"id = '{added[0]}'")  # the photo removed again before a derive
    state.refresh(library)
    assert_equals_full(library, full.reference)


def _merge_clusters(library: Library, drop: str, into: str) -> list[str]:
    """What the clustering writes when it merges two clusters: the dropped one's faces with
    the kept one's id. Returns those faces."""
    clusters = read_clusters(library)
    moved = sorted(f for f, c in clusters.items() if c == drop)
    rows = pa.Table.from_pylist([{"face": f, "cluster": into} for f in moved], CLUSTERS)
    Library.upsert(clusters_table(library), "face", rows)
    return moved


def test_a_merge_of_clusters_with_the_same_evidence_rewrites_their_rows_without_placing_them(
    album: Album, library: Library, full: Computes, placed: list[str]
) -> None:
    state.refresh(library)
    confirmed = fold(EventLog(library).read()).confirmed()
    clusters = read_clusters(library)
    unnamed = sorted(
        {c for f, c in clusters.items() if c is not None} - {clusters.get(f) for f in confirmed}
    )
    moved = _merge_clusters(library, unnamed[0], into=unnamed[1])
    placed.clear()
    state.refresh(library)
    assert full.calls == 0 and moved and not set(moved) & set(placed)
    assert_equals_full(library, full.reference)
    assert {
        r.face: r.cluster for r in state.read_state(library).faces_page(unnamed[1])
    }.keys() >= set(moved)


def test_a_merge_that_brings_a_named_face_into_a_cluster_places_that_cluster_again(
    album: Album, library: Library, full: Computes, placed: list[str]
) -> None:
    frank = album.face_of(FRANK)
    edits.name(library, frank, "Frank")
    clusters = read_clusters(library)
    confirmed = fold(EventLog(library).read()).confirmed()
    other = sorted(
        {c for f, c in clusters.items() if c is not None} - {clusters.get(f) for f in confirmed}
    )[0]
    members = [f for f, c in clusters.items() if c == other]
    source = clusters[frank]
    assert source is not None
    _merge_clusters(library, source, into=other)
    full.calls = 0
    placed.clear()
    state.refresh(library)
    assert full.calls == 0 and set(members) <= set(placed)  # their cluster now has Frank
    assert_equals_full(library, full.reference)


def test_an_edit_after_an_edit_reads_only_its_own_events_and_rescans_no_confirmed_face(
    album: Album, library: Library, full: Computes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once this process holds the state an edit left, the next edit folds only its own
    events into the labels it holds and moves the people compared against by the faces it
    changed: the whole log is not read, nor every confirmed face scanned again."""
    edits.name(library, album.face_of(FRANK), "Frank")
    edits.name(library, album.face_of("faces/id09/img19.jpg"), "Ivy")
    work = {"whole log": 0, "every confirmed face": 0}

    def counted(what: str, call: Callable[..., object]) -> Callable[..., object]:
        def count(*args: object) -> object:
            work[what] += 1
            return call(*args)

        return count

    monkeypatch.setattr(EventLog, "read", counted("whole log", EventLog.read))
    monkeypatch.setattr(EventLog, "read_at", counted("whole log", EventLog.read_at))
    monkeypatch.setattr(
        incremental, "_people", counted("every confirmed face", incremental._people)
    )
    edits.confirm(library, [album.face_of("faces/id06/img29.jpg")])
    edits.reject(library, album.face_of(STRANGER), "Frank")
    assert work == {"whole log": 0, "every confirmed face": 0}
    monkeypatch.undo()
    assert_equals_full(library, full.reference)
    assert full.calls == 0


def test_a_state_killed_between_its_upsert_and_its_basis_is_recomputed_at_the_next_refresh(
    album: Album, library: Library, full: Computes
) -> None:
    edits.name(library, album.face_of(FRANK), "Frank")
    stored = library.table("people_state", state.STATE)
    stored.update_field_metadata({"path": "face", "metadata": {"roost.basis": state._PENDING}})
    full.calls = 0
    state.refresh(library)
    assert full.calls == 1
    assert_equals_full(library, full.reference)


def test_within_returns_every_face_in_reach_and_no_settled_one() -> None:
    """`Corpus.within` may return more faces than are within the distance, never fewer, and
    leaves out the settled ones (but for those asked about). Asked faces lie on a line, 0.02
    apart; beside each, faces lie just inside and just outside the distance: those inside
    are farther than it from the faces that stand for the asked ones (`_COVER` apart)."""
    distance, dim = 0.5, 128
    line = np.zeros((51, dim))
    line[:, 0] = np.arange(51) * 0.02
    inside, outside = line.copy(), line.copy()
    inside[:, 1], outside[:, 1] = 0.999 * distance, 1.001 * distance
    far = np.random.default_rng(7).normal(size=(200, dim))
    vectors = np.concatenate([line, inside, outside, far]).astype(np.float32)
    ids = [f"f{i}" for i in range(len(vectors))]
    found = incremental.Corpus(load_faces_of(ids, vectors), {})
    asked = list(range(51))
    settled = {ids[i] for i in range(1, len(ids), 4)}
    got = found.within(distance, asked, settled)
    near = pairwise_distances(vectors[asked], vectors).min(axis=0) <= distance
    expected = {i for i in np.nonzero(near)[0].tolist() if ids[i] not in settled} | set(asked)
    assert len(expected) > 51 + 30  # most of the faces just inside
    assert expected <= got
    assert not {ids[i] for i in got - set(asked)} & settled


def load_faces_of(ids: list[str], vectors: np.ndarray) -> FaceSet:
    return FaceSet(ids, ids, vectors, np.ones(len(ids), bool))


@pytest.mark.parametrize("replaced", [0, 1, 5, 64, 65, 700])
def test_a_patched_state_holds_each_face_once_with_its_new_row(replaced: int) -> None:
    """`state._patched` (slices for a few rows, a filter for many): the same rows as taking
    the replaced faces out and adding the new rows, and a bounded number of chunks however
    many edits patch it."""
    n = 2000
    rng = np.random.default_rng(replaced)

    def rows(faces: list[str], status: str) -> pa.Table:
        return pa.table(
            {
                "face": faces,
                "media_hash": faces,
                "cluster": [None] * len(faces),
                "subject": [None] * len(faces),
                "status": [status] * len(faces),
                "confidence": pa.array([0.5] * len(faces), pa.float32()),
            },
            state.STATE,
        )

    table = rows([f"f{i}" for i in range(n)], "unclustered")
    for _ in range(40):
        chosen = [f"f{i}" for i in rng.choice(n, replaced, replace=False).tolist()]
        patch = rows([*chosen, f"new{rng.integers(1 << 30)}"], "suggested")
        expected = {r["face"]: r for r in table.to_pylist()} | {
            r["face"]: r for r in patch.to_pylist()
        }
        table = state._patched(table, patch)
        got = table.to_pylist()
        assert len(got) == len(expected)
        assert {r["face"]: r for r in got} == expected
        assert table.column("face").num_chunks <= state._MAX_CHUNKS


def test_the_placements_an_edit_starts_from_rule_out_faces_it_cannot_move(
    album: Album, tmp_path: Path, placed: list[str], full: Computes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same edits twice, from the same state: reading the placements before the edit
    (`suggest.can_move`) places fewer faces again, and the state still equals the full
    recomputation after each."""
    counts = []
    for run, read in enumerate((state._placements, lambda rows: lambda faces: {})):
        monkeypatch.setattr(state, "_placements", read)
        library = Library.open(copy_home(album, tmp_path / f"home{run}") / "library")
        state.refresh(library)
        placed.clear()
        clusters = sorted({c for c in read_clusters(library).values() if c is not None})
        for n, cluster in enumerate(clusters):  # the whole family named, cluster by cluster
            edits.name(library, cluster, f"P{n}")
        edits.name(library, album.face_of(STRANGER), "Stranger")
        edits.merge(library, ["Stranger"], into="P0")
        assert_equals_full(library, full.reference)
        counts.append(len(placed))
    with_placements, without = counts
    assert with_placements < without
    assert full.calls == 0
