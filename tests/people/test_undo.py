"""Undo on real faces: an edit taken back leaves everything it named as if it had never been
made, and edits made since to anything else stand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from node.library.store import Library
from node.people import edits
from node.people.clusters import read_clusters
from node.people.events import EventLog
from node.people.state import read_state
from tests.albums import Album, copy_home

# id06 and id07 of faces/: two different people, and the closest such pair there, so naming
# id06 leaves id07's face suggested for them.
FRANK, STRANGER = "faces/id06/img30.jpg", "faces/id07/img35.jpg"


@pytest.fixture
def library(album: Album, tmp_path: Path) -> Library:
    return Library.open(copy_home(album, tmp_path / "home") / "library")


def labels_seen(library: Library) -> dict[str, Any]:
    """Everything a user can see of the labels, by name (a new subject gets a new id)."""
    state = read_state(library)
    names = {s.id: s.name for s in state.labels.subjects.values()}
    rows = state.rows.sort_by("face").to_pylist()
    return {
        "faces": [
            (r["face"], r["cluster"], names.get(r["subject"]), r["status"], r["confidence"])
            for r in rows
        ],
        "subjects": [(s.name or s.id, s.kind, s.faces, s.suggested) for s in state.subjects()],
        "rejected": {
            face: sorted(names[s] for s in subjects)
            for face, subjects in sorted(state.labels.rejected().items())
        },
    }


def cluster_of(library: Library, face: str) -> str:
    cluster = read_clusters(library)[face]
    assert cluster is not None
    return cluster


def test_naming_a_cluster_is_taken_back_and_later_names_stay(
    album: Album, library: Library
) -> None:
    before = labels_seen(library)
    alice = edits.name(library, cluster_of(library, album.face_of("faces/id00/img1.jpg")), "Alice")
    bob = edits.name(library, cluster_of(library, album.face_of("faces/id04/img13.jpg")), "Bob")
    change = edits.undo(library, alice.events)
    assert change.subjects == [] and {r.status for r in change.faces} == {"clustered"}
    edits.undo(library, bob.events)
    assert labels_seen(library) == before
    assert read_state(library).labels.subjects == {}


def test_a_later_edit_to_someone_else_stands(album: Album, library: Library) -> None:
    alice = edits.name(library, cluster_of(library, album.face_of("faces/id00/img1.jpg")), "Alice")
    edits.name(library, cluster_of(library, album.face_of("faces/id04/img13.jpg")), "Bob")
    edits.undo(library, alice.events)
    state = read_state(library)
    assert [(s.name, s.faces) for s in state.subjects() if s.name] == [("Bob", 5)]


def test_naming_with_an_existing_name_is_taken_back(album: Album, library: Library) -> None:
    edits.name(library, cluster_of(library, album.face_of("faces/id03/img3.jpg")), "Carl")
    before = labels_seen(library)
    joined = edits.name(library, album.face_of("faces/id03/img12.jpg"), "carl")
    assert [(s.name, s.faces) for s in joined.subjects] == [("Carl", 6)]
    edits.undo(library, joined.events)
    assert labels_seen(library) == before


def test_a_rejection_that_naming_dropped_comes_back(album: Album, library: Library) -> None:
    eve = cluster_of(library, album.face_of("faces/id05/img16.jpg"))
    edits.name(library, eve, "Eve")
    face = album.face_of("faces/id05/img17.jpg")
    edits.split(library, [face])
    before = labels_seen(library)
    assert before["rejected"] == {face: ["Eve"]}
    again = edits.name(library, face, "Eve")  # an explicit assign drops the rejection
    assert face not in read_state(library).labels.rejected()
    edits.undo(library, again.events)
    assert labels_seen(library) == before


def test_a_split_is_taken_back_without_confirming_automatic_faces(
    album: Album, library: Library
) -> None:
    named = album.face_of("faces/id02/img8.jpg")
    edits.name(library, named, "Dora")  # the rest of id02's cluster follows automatically
    state = read_state(library)
    dora = state.labels.by_name("Dora")
    assert dora is not None
    automatic = next(r.face for r in state.faces_page(dora.id) if r.status == "clustered")
    before = labels_seen(library)
    split = edits.split(library, [named, automatic], new_name="Dorothy")
    assert {r.status for r in split.faces} == {"confirmed"}
    edits.undo(library, split.events)
    assert labels_seen(library) == before
    row = read_state(library).face(automatic)
    assert row is not None and row.status == "clustered"


def test_answers_to_a_suggestion_are_taken_back(album: Album, library: Library) -> None:
    edits.name(library, album.face_of(FRANK), "Frank")
    stranger = album.face_of(STRANGER)
    before = labels_seen(library)
    answers: list[Callable[[], edits.Change]] = [
        lambda: edits.reject(library, stranger, "Frank"),
        lambda: edits.confirm(library, [stranger]),
    ]
    for answer in answers:
        change = answer()
        assert labels_seen(library) != before
        edits.undo(library, change.events)
        assert labels_seen(library) == before
        assert [r.face for r in read_state(library).suggestions()] == [stranger]


def test_a_rename_is_taken_back(album: Album, library: Library) -> None:
    edits.name(library, album.face_of(FRANK), "Frank")
    before = labels_seen(library)
    edits.undo(library, edits.rename(library, "Frank", "Francis").events)
    assert labels_seen(library) == before


def test_an_edit_after_an_undone_one_is_taken_back_with_the_pair(
    album: Album, library: Library
) -> None:
    edits.name(library, album.face_of(FRANK), "Frank")
    stranger = album.face_of(STRANGER)
    before = labels_seen(library)
    confirmed = edits.confirm(library, [stranger])
    split = edits.split(library, [stranger])
    split_undone = edits.undo(library, split.events)
    # Alone, the split and its undo reassert the confirmation: nothing would change.
    with pytest.raises(edits.LabelError, match="no effect left"):
        edits.undo(library, confirmed.events)
    edits.undo(library, [*confirmed.events, *split.events, *split_undone.events])
    assert labels_seen(library) == before


def test_merges_and_forgets_are_final(album: Album, library: Library) -> None:
    edits.name(library, album.face_of("faces/id04/img13.jpg"), "Bob")
    edits.name(library, album.face_of("faces/id01/img26.jpg"), "Robert")
    merged = edits.merge(library, ["Robert"], into="Bob")
    forgotten = edits.forget(library, "Bob")
    version = EventLog(library).version
    with pytest.raises(edits.LabelError, match="cannot be undone"):
        edits.undo(library, merged.events)
    with pytest.raises(edits.LabelError, match="cannot be undone"):
        edits.undo(library, forgotten.events)
    with pytest.raises(edits.LabelError, match="not in this library"):
        edits.undo(library, ["no-such-event"])
    assert EventLog(library).version == version


def test_an_undo_is_one_commit(album: Album, library: Library) -> None:
    edits.name(library, album.face_of(FRANK), "Frank")
    change = edits.confirm(library, [album.face_of(STRANGER)])
    version = EventLog(library).version
    undone = edits.undo(library, change.events)
    assert EventLog(library).version == version + 1 and undone.events
