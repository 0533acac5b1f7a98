"""Imported names in the label log: their source, undo, the user's word standing, suggestions
from Takeout's names once the library knows one of the people."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from node.index.run import content_hash
from node.library.schema import face_id
from node.library.store import Library
from node.media import sources
from node.people import edits
from node.people.events import EventLog, new_subject_id
from node.people.state import read_state
from protocol.labels import Edit, Kind, Op, Source
from tests.conftest import roost, roost_json
from tests.interop.builders import INTEROP
from tests.interop.conftest import TAKEOUT, Family

# One real `roost index` of the family folder (a few minutes on 2 cores), shared by both
# modules; the models are the real ones.
pytestmark = [pytest.mark.slow, pytest.mark.models, pytest.mark.timeout(1200)]

PORTRAIT = INTEROP / "metadata/faces/portrait.jpg"


@pytest.fixture
def own_copy(family: Family, tmp_path: Path) -> Path:
    """A copy of the family's library that a test may change."""
    home = tmp_path / "home"
    shutil.copytree(family.home, home)
    return home


def test_imported_names_carry_their_source(family: Family) -> None:
    library = Library.open(family.home / "library")
    marie = next(r for r in family.show("immich/portrait.jpg")["regions"] if r["face"])
    events = {e.id: e for e in EventLog(library).read()}
    made = [events[i] for i in marie["events"]]
    assert {e.edit.source for e in made} == {Source.XMP_MWG_REGIONS}
    assert {e.edit.op for e in made} <= {Op.SUBJECT, Op.ASSIGN}
    assert any(marie["face"] in e.edit.faces for e in made)


def test_an_import_is_undone_like_any_edit(family: Family, own_copy: Path) -> None:
    library = Library.open(own_copy / "library")
    shown = family.show("immich/portrait-orientation-6.jpg")
    marie = next(r for r in shown["regions"] if r["face"])
    before = read_state(library).face(marie["face"])
    assert before is not None and before.status == "confirmed"
    edits.undo(library, marie["events"])
    after = read_state(library).face(marie["face"])
    # No longer what anyone said; Roost's own match to the other portrait's Marie Curie (the
    # same face, turned) still places it there, as for any face nobody named.
    assert after is not None and after.status == "clustered"
    assert marie["face"] not in read_state(library).labels.confirmed()


def test_a_name_the_user_gave_is_never_overridden(tmp_path: Path) -> None:
    """The user (here, on another family device, synced before this one indexed the photo)
    called the face someone else: the region's name does not replace it."""
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(PORTRAIT, photos)
    home = tmp_path / "home"
    roost("index", tmp_path / "empty-start", home=home, check=False)  # creates the library
    library = Library.open(home / "library")
    face = face_id(content_hash(str(photos / "portrait.jpg")), 0)
    log = EventLog(library)
    subject = new_subject_id()
    log.append(
        [Edit(Op.SUBJECT, subject, name="Maria Skłodowska", kind=Kind.PERSON),
         Edit(Op.ASSIGN, subject, faces=(face,))],
        log.read(),
    )  # fmt: skip
    summary = roost_json("index", photos, home=home)
    # Marie's face stays the user's; Pierre's region (no one said who it is) is named.
    assert (summary["imported"]["names_imported"], summary["imported"]["names_kept"]) == (1, 1)
    assert read_state(Library.open(home / "library")).names_of([face]) == {face: "Maria Skłodowska"}
    again = roost_json("index", photos, home=home)
    assert again["imported"]["names_imported"] == 0 and again["unchanged"] == 1
    digest = content_hash(str(photos / "portrait.jpg"))
    assert sources.read(Library.open(home / "library"), digest) is not None
    (photos / "portrait.jpg").unlink()
    assert roost_json("index", photos, home=home)["removed"] == 1
    assert sources.read(Library.open(home / "library"), digest) is None  # gone with the photo


def test_takeout_names_are_matched_through_the_library(family: Family, own_copy: Path) -> None:
    """Two faces, two names: once the user says who one face is, the other is suggested as
    the other name."""
    faces = [f["id"] for f in family.show(TAKEOUT / "IMG_0004.jpg")["faces"]]
    roost("name", faces[0], "Ada Lovelace", home=own_copy)
    suggestions = {s["face"]: s for s in roost_json("suggestions", home=own_copy)}
    assert suggestions[faces[1]]["name"] == "Charles Babbage"
    assert suggestions[faces[1]]["confidence"] == pytest.approx(0.75)
    roost("reject", faces[1], "Charles Babbage", home=own_copy)
    assert faces[1] not in {s["face"] for s in roost_json("suggestions", home=own_copy)}
