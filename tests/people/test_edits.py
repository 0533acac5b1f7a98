"""Naming and correcting on real faces: every edit as the CLI and the TUI make it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from node.library.store import Library
from node.people import edits
from node.people.clusters import read_clusters
from node.people.events import EventLog
from node.people.state import State, read_state
from tests.albums import Album, copy_home
from tests.conftest import REPO

# id06 and id07 are the two different people of faces/ who look most alike (dlib distance 0.52
# between img30 and img35, the closest pair of two identities there).
ID06_FACE, ID07_FACE = "faces/id06/img30.jpg", "faces/id07/img35.jpg"


@pytest.fixture
def library(album: Album, tmp_path: Path) -> Library:
    return Library.open(copy_home(album, tmp_path / "home") / "library")


def person_of(state: State, face: str) -> str | None:
    row = state.face(face)
    assert row is not None
    return state.labels.subjects[row.subject].name if row.assigned and row.subject else None


def cluster_of(library: Library, face: str) -> str:
    cluster = read_clusters(library)[face]
    assert cluster is not None
    return cluster


def test_naming_a_cluster_confirms_its_faces(album: Album, library: Library) -> None:
    face = album.face_of("faces/id00/img1.jpg")
    change = edits.name(library, cluster_of(library, face), "Alice")
    (alice,) = change.subjects
    assert (alice.name, alice.kind) == ("Alice", "person")
    # id00's 8 photos, and couple.jpg, whose left face is the same actress (checked by eye)
    assert alice.faces == 9
    statuses = {row.face: row.status for row in change.faces}
    assert len(statuses) == 9 and set(statuses.values()) == {"confirmed"}
    assert album.face_of("multi_face/couple.jpg") in statuses
    state = read_state(library)
    assert all(person_of(state, album.face_of(p)) == "Alice" for p in _photos(album, "id00"))


def test_a_second_cluster_named_alike_joins_the_first(album: Album, library: Library) -> None:
    edits.name(library, album.face_of("faces/id03/img12.jpg"), "Carl")  # alone in its cluster
    edits.name(library, cluster_of(library, album.face_of("faces/id03/img3.jpg")), "carl")
    state = read_state(library)
    carls = [s for s in state.subjects() if s.name is not None and s.name.casefold() == "carl"]
    assert [(s.name, s.faces) for s in carls] == [("Carl", 6)]


def test_one_named_face_brings_its_cluster_along_unasked(album: Album, library: Library) -> None:
    edits.name(library, album.face_of("faces/id02/img8.jpg"), "Dora")
    state = read_state(library)
    for photo in _photos(album, "id02"):
        row = state.face(album.face_of(photo))
        assert row is not None and person_of(state, row.face) == "Dora"
        assert row.status == ("confirmed" if photo.endswith("img8.jpg") else "clustered")
        assert row.confidence >= 0.99


def test_look_alikes_are_asked_about_and_a_rejection_is_final(
    album: Album, library: Library
) -> None:
    edits.name(library, album.face_of(ID06_FACE), "Frank")
    stranger = album.face_of(ID07_FACE)
    state = read_state(library)
    row = state.face(stranger)
    assert row is not None and row.status == "suggested" and not row.assigned
    assert [r.face for r in state.suggestions()] == [stranger]
    frank = state.labels.by_name("Frank")
    assert frank is not None and row.subject == frank.id

    change = edits.reject(library, stranger, "Frank")
    assert [(r.face, r.subject) for r in change.faces] == [(stranger, None)]
    state = read_state(library)
    assert state.suggestions() == []
    # More of Frank's faces confirmed: the stranger is still never proposed for him.
    edits.confirm(library, [album.face_of(p) for p in _photos(album, "id06")])
    assert all(r.face != stranger for r in read_state(library).suggestions())
    assert person_of(read_state(library), stranger) is None


def test_split_takes_faces_out_and_remembers_they_are_not_that_person(
    album: Album, library: Library
) -> None:
    edits.name(library, cluster_of(library, album.face_of("faces/id05/img16.jpg")), "Eve")
    out = [album.face_of("faces/id05/img17.jpg"), album.face_of("faces/id05/img59.jpg")]
    edits.split(library, out)
    state = read_state(library)
    assert [person_of(state, f) for f in out] == [None, None]
    assert all(r.face not in out for r in state.suggestions())
    eve = state.labels.by_name("Eve")
    assert eve is not None and all(eve.id in state.labels.rejected()[f] for f in out)
    # Split into a named person: they move there.
    edits.split(library, [album.face_of("faces/id05/img61.jpg")], new_name="Eva")
    state = read_state(library)
    assert person_of(state, album.face_of("faces/id05/img61.jpg")) == "Eva"
    assert [s.faces for s in state.subjects() if s.name == "Eve"] == [2]


def test_merge_rename_and_forget(album: Album, library: Library) -> None:
    edits.name(library, cluster_of(library, album.face_of("faces/id04/img13.jpg")), "Bob")
    edits.name(library, album.face_of("faces/id01/img26.jpg"), "Robert")
    with pytest.raises(edits.LabelError, match="already exists"):
        edits.rename(library, "Robert", "bob")
    change = edits.merge(library, ["Robert"], into="Bob")
    assert [(s.name, s.faces) for s in change.subjects] == [("Bob", 5 + 8)]
    assert read_state(library).subject("Robert") is None
    edits.rename(library, "Bob", "Uncle Bob")
    state = read_state(library)
    assert person_of(state, album.face_of("faces/id01/img42.jpg")) == "Uncle Bob"
    edits.forget(library, "Uncle Bob")
    state = read_state(library)
    assert state.labels.subjects == {}
    assert person_of(state, album.face_of("faces/id04/img13.jpg")) is None
    cluster = cluster_of(library, album.face_of("faces/id04/img13.jpg"))
    assert len(state.faces_page(cluster)) == 5  # back in their unnamed cluster


def test_pets_are_named_like_people(album: Album, library: Library) -> None:
    dog = album.face_of("pets/dogs/shiba_inu/shiba_inu_147.jpg")
    (scooby,) = edits.name(library, dog, "Scooby", pet=True).subjects
    assert (scooby.name, scooby.kind, scooby.faces) == ("Scooby", "pet", 1)
    with pytest.raises(edits.LabelError, match="is a pet, not a person"):
        edits.name(library, album.face_of("faces/id00/img1.jpg"), "Scooby")


def test_confirm_accepts_a_suggestion(album: Album, library: Library) -> None:
    edits.name(library, album.face_of(ID06_FACE), "Frank")
    stranger = album.face_of(ID07_FACE)
    (row,) = edits.confirm(library, [stranger]).faces
    assert (row.face, row.status) == (stranger, "confirmed")
    with pytest.raises(edits.LabelError, match="no suggestion"):
        edits.confirm(library, [album.face_of("faces/id09/img18.jpg")])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda lib: edits.name(lib, "nosuchid-0", "Alice"), "no face or cluster"),
        (lambda lib: edits.rename(lib, "Nobody", "Alice"), "no person or pet"),
        (lambda lib: edits.reject(lib, "nosuchid-0", "Nobody"), "no face or cluster"),
        (lambda lib: edits.merge(lib, ["Nobody"], into="Nobody"), "no person or pet"),
        (lambda lib: edits.split(lib, ["nosuchid-0"]), "no face or cluster"),
        (lambda lib: edits.forget(lib, "Nobody"), "no person or pet"),
    ],
)
def test_bad_arguments_are_refused_and_change_nothing(
    library: Library, call: object, message: str
) -> None:
    before = EventLog(library).version
    with pytest.raises(edits.LabelError, match=message):
        call(library)  # type: ignore[operator]
    assert EventLog(library).version == before


@pytest.mark.parametrize("bad", ["", "   ", '"Al"', "Al:ice", "1234", "x" * 81])
def test_names_must_be_searchable(album: Album, library: Library, bad: str) -> None:
    with pytest.raises(edits.LabelError, match="cannot be a name"):
        edits.name(library, album.face_of("faces/id00/img1.jpg"), bad)


def test_one_edit_is_one_commit(album: Album, library: Library) -> None:
    before, rows = EventLog(library).version, len(EventLog(library).read())
    edits.name(library, album.face_of("faces/id00/img1.jpg"), "Alice")  # create + assign
    after = EventLog(library)
    assert (after.version - before, len(after.read()) - rows) == (1, 2)


@pytest.mark.parametrize("stage", ["append", "refresh"])
def test_an_edit_killed_midway_is_all_or_nothing(
    album: Album, library: Library, stage: str
) -> None:
    """kill -9 just before the events are written, or just after (before the state refresh)."""
    face = album.face_of("faces/id00/img1.jpg")
    die = "lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)"
    patch = f"edits.EventLog.append = {die}" if stage == "append" else f"edits.refresh = {die}"
    script = f"""
import os, signal
from pathlib import Path
from node.library.store import Library
from node.people import edits
{patch}
edits.name(Library.open(Path({str(library.root)!r})), {face!r}, "Alice")
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, check=False)
    assert result.returncode == -9
    state = read_state(library)
    assert person_of(state, face) == ("Alice" if stage == "refresh" else None)
    assert [s.name for s in state.subjects() if s.name] == (["Alice"] if stage == "refresh" else [])


def _photos(album: Album, identity: str) -> list[str]:
    return sorted(album.relative(str(p)) for p in (album.photos / "faces" / identity).iterdir())
