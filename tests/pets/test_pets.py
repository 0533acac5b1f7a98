"""Pets by name on the real library of tests/scenery.py (the album, pets/ and scenes/): naming,
suggestions, corrections and undo through the label log, search by a pet's and a faceless
person's names, and the TUI's pet key.

Truth: the breed folders of pets/ (one dog or cat per photo, checked by eye); in
scenes/person.jpg a person rides a horse beside a dog, face turned away (no face is found).
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from node.library.store import Library
from node.model.local import labeled_faces
from node.models.store import ModelStore
from node.people import edits
from node.people.state import State, read_state
from node.search.run import parse, search
from node.settings import Home
from node.vision.tables import bodies_of, is_body
from tests.conftest import TESTDATA, roost, roost_json
from tests.scenery import MODELS, Seen
from tests.tui.conftest import cursor_to, drive, subject_index, type_text

# The library of tests/scenery.py takes minutes to index (more on a busy machine): the first
# test pays for it in its set-up, which the default 600 s timeout would cut short.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

NOW = datetime(2025, 3, 10, 14, 30)
PERSON = TESTDATA / "scenes" / "person.jpg"


@pytest.fixture
def home(seen: Seen, tmp_path: Path) -> Path:
    shutil.copytree(seen.home, tmp_path / "home")
    return tmp_path / "home"


def state(home: Path) -> State:
    return read_state(Library.open(home / "library"))


def bodies(home: Path, photo: Path, species: str) -> list[str]:
    library = Library.open(home / "library")
    record = library.file(str(photo))
    assert record is not None
    return [b["id"] for b in bodies_of(library, record["hash"], {}) if b["species"] == species]


def breed_of(seen: Seen, body: str, home: Path) -> str:
    library = Library.open(home / "library")
    row = state(home).face(body)
    assert row is not None
    return Path(library.paths_of(row.media_hash)[0]).parent.name


def test_pet_clusters_are_listed_and_one_of_a_breed(seen: Seen) -> None:
    rows = [r for r in state(seen.home).subjects() if r.name is None and is_body(r.id)]
    assert len(rows) >= 10  # 10 breeds, some split over clusters
    for row in rows:
        members = {breed_of(seen, f.face, seen.home) for f in state(seen.home).faces_page(row.id)}
        assert len(members) == 1, (row.id, members)
    listed = roost("people", home=seen.home).stdout
    assert rows[0].id in listed


def test_naming_a_pet_cluster_assigns_its_breed_and_suggests_more(seen: Seen, home: Path) -> None:
    cluster = max(
        (r for r in state(home).subjects() if is_body(r.id) and r.name is None),
        key=lambda r: r.faces,
    )
    breed = breed_of(seen, state(home).faces_page(cluster.id)[0].face, home)
    change = roost_json("name", cluster.id, "Scooby", "--pet", home=home)
    assert change["subjects"][0]["kind"] == "pet"
    scooby = state(home).subject("Scooby")
    assert scooby is not None
    rows = state(home).faces_page(scooby.id)
    assigned = [r for r in rows if r.assigned]
    assert len(assigned) >= cluster.faces
    assert all(breed_of(seen, r.face, home) == breed for r in assigned)
    assert all(is_body(r.face) for r in rows)  # never a human face for a pet
    hits = roost_json("search", "Scooby", home=home, env={"ROOST_MODELS": str(MODELS)})["hits"]
    assert {Path(h["path"]).parent.name for h in hits} == {breed}


def test_rejecting_and_undoing_for_pets(seen: Seen, home: Path) -> None:
    library = Library.open(home / "library")
    samoyed = sorted((TESTDATA / "pets" / "dogs" / "samoyed").glob("*.jpg"))
    (first,) = bodies(home, samoyed[0], "dog")
    snow = edits.name(library, first, "Snow", pet=True).subjects[0].id
    others = [b for p in samoyed[1:] for b in bodies(home, p, "dog")]
    placed = {b: state(home).face(b) for b in others}
    matched = [b for b, row in placed.items() if row is not None and row.subject == snow]
    assert matched, "no other samoyed was assigned or suggested"
    target = matched[0]
    before = placed[target]
    rejected = edits.reject(library, target, "Snow")
    after = state(home).face(target)
    assert after is not None and after.subject != snow  # and never proposed for Snow again
    assert target not in {r.face for r in state(home).suggestions() if r.subject == snow}
    edits.undo(library, rejected.events)
    assert state(home).face(target) == before


def test_a_pet_cluster_is_not_named_as_a_person(seen: Seen, home: Path) -> None:
    cluster = next(r for r in state(home).subjects() if is_body(r.id) and r.name is None)
    result = roost("name", cluster.id, "Scooby", home=home, check=False)
    assert result.returncode == 2 and "--pet" in result.stderr
    assert state(home).subject("Scooby") is None


def test_a_pet_and_a_person_do_not_merge(seen: Seen, home: Path) -> None:
    library = Library.open(home / "library")
    (dog,) = bodies(home, PERSON, "dog")
    edits.name(library, dog, "Scooby", pet=True)
    alice = seen.album.face_of("faces/id00/img1.jpg", home)
    edits.name(library, alice, "Alice")
    with pytest.raises(edits.LabelError, match="is a pet and Alice a person"):
        edits.merge(library, ["Scooby"], into="Alice")


def test_the_whole_sentence(seen: Seen, home: Path) -> None:
    """Name the faceless rider and the dog of scenes/person.jpg (2013-04-13), then search."""
    (rider,) = bodies(home, PERSON, "person")
    (dog,) = bodies(home, PERSON, "dog")
    roost("name", rider, "Alice", home=home)
    roost("name", dog, "Scooby", "--pet", home=home)
    shown = roost_json("show", PERSON, home=home)
    assert {b["name"] for b in shown["bodies"]} >= {"Alice", "Scooby"}

    library = Library.open(home / "library")
    models = ModelStore(MODELS)

    def paths(text: str) -> set[str]:
        answer = search(library, parse(library, text, NOW), models=models)
        return {hit.path for hit in answer.hits}

    whole = paths("Alice with Scooby in 2013")
    assert str(PERSON) in whole
    for part in ("Alice", "Scooby", "Alice with Scooby", "2013", "horse", "Scooby with a horse"):
        assert str(PERSON) in paths(part), part
    assert str(PERSON) not in paths("Alice with Scooby in 2012")  # the year
    assert str(PERSON) not in paths("Alice with Scooby at the beach")  # the scene
    twelve = paths("Alice with Scooby 12 years ago")  # 2013 from 2025: "ten years ago" style
    assert str(PERSON) in twelve
    cli = roost_json("search", "Alice with Scooby in 2013", home=home,
                     env={"ROOST_MODELS": str(MODELS)})  # fmt: skip
    assert str(PERSON) in {h["path"] for h in cli["hits"]}
    hit = next(h for h in cli["hits"] if h["path"] == str(PERSON))
    assert hit["people"] == ["Alice", "Scooby"]


def test_a_named_figure_is_no_face_the_family_model_learns_from(seen: Seen, home: Path) -> None:
    (rider,) = bodies(home, PERSON, "person")
    with edits.editing(Home(home)) as library:
        edits.name(library, rider, "Alice")
        edits.name(library, seen.album.face_of("faces/id00/img1.jpg", home), "Alice")
    learned = labeled_faces(Library.open(home / "library"))
    alice = state(home).labels.by_name("Alice")
    assert alice is not None and learned.subjects == [alice.id]  # the face, not the figure
    assert learned.vectors.shape == (1, 128)


def test_a_person_whose_face_was_found_gets_no_figure(seen: Seen) -> None:
    """Figures are for people without a face: the portraits of faces/id00 have none."""
    for photo in sorted((seen.album.photos / "faces" / "id00").glob("*.jpg")):
        assert bodies(seen.home, photo, "person") == [], photo.name


def test_the_tui_pet_key_names_a_pet_cluster(seen: Seen, home: Path) -> None:
    cluster = next(r for r in state(home).subjects() if is_body(r.id) and r.name is None)
    index = subject_index(Home(home), cluster.id)

    async def scenario(pilot: Pilot[None]) -> None:
        await cursor_to(pilot, index)
        await pilot.press("p")
        await type_text(pilot, "Rex")
        await pilot.press("enter")

    drive(Home(home), scenario)
    rex = state(home).labels.by_name("Rex")
    assert rex is not None and rex.kind == "pet"
    assert {r.face for r in state(home).faces_page(rex.id) if r.status == "confirmed"} == {
        f.face for f in state(seen.home).faces_page(cluster.id)
    }
