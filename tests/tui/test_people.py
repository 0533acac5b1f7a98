"""Naming, merging by name, splitting, rejecting and undoing on the people screens, each checked
in the index afterwards (through node.people.state, not through the TUI)."""

from __future__ import annotations

from textual.pilot import Pilot

from node.library.store import Library
from node.people.state import State, read_state
from node.settings import Home
from tests.albums import Album
from tests.people.test_undo import labels_seen
from tests.tui.conftest import (
    cluster_of,
    cursor_to,
    drive,
    label,
    name_cluster,
    subject_index,
    type_text,
)
from tui.screens.faces import FacesScreen


def state_of(home: Home) -> State:
    return read_state(Library.open(home.library))


def names_of(home: Home, faces: list[str]) -> list[str | None]:
    found = state_of(home).names_of(faces)
    return [found.get(face) for face in faces]


def named(home: Home) -> list[tuple[str | None, int]]:
    return [(s.name, s.faces) for s in state_of(home).subjects() if s.name is not None]


def test_naming_clusters_one_after_another(home: Home) -> None:
    """n, a name, Enter: the largest cluster is named and the cursor moves on to the next."""
    largest, second = state_of(home).subjects()[:2]
    faces = [row.face for row in state_of(home).faces_page(largest.id)]
    others = [row.face for row in state_of(home).faces_page(second.id)]

    async def scenario(pilot: Pilot[None]) -> None:
        for name in ("Alice", "Bob"):
            await pilot.press("n")
            await type_text(pilot, name)
            await pilot.press("enter")

    drive(home, scenario)
    alice = state_of(home).labels.by_name("Alice")
    assert alice is not None and alice.kind == "person"
    assert names_of(home, faces) == ["Alice"] * 9
    assert names_of(home, others) == ["Bob"] * second.faces
    assert {row.status for row in state_of(home).faces_page(alice.id)} == {"confirmed"}
    assert state_of(home).faces_page(largest.id) == []  # no unnamed face left in the cluster


def test_naming_a_pet(album: Album, home: Home) -> None:
    photo = "pets/dogs/shiba_inu/shiba_inu_147.jpg"
    index = subject_index(home, cluster_of(home, album, photo))

    async def scenario(pilot: Pilot[None]) -> None:
        await cursor_to(pilot, index)
        await pilot.press("p")
        await type_text(pilot, "Scooby")
        await pilot.press("enter")

    drive(home, scenario)
    scooby = state_of(home).labels.by_name("Scooby")
    assert scooby is not None and scooby.kind == "pet"
    assert names_of(home, [album.face_of(photo, home.root)]) == ["Scooby"]


def test_naming_a_cluster_with_an_existing_name_merges_it(album: Album, home: Home) -> None:
    """id03 is split over two clusters; the second, named with completion, joins the first."""
    label(home, name_cluster(home, album, "faces/id03/img3.jpg", "Carl"))
    index = subject_index(home, cluster_of(home, album, "faces/id03/img12.jpg"))

    async def scenario(pilot: Pilot[None]) -> None:
        await cursor_to(pilot, index)
        await pilot.press("n", "c", "a", "tab", "enter")  # "ca" completes to "Carl"

    drive(home, scenario)
    assert named(home) == [("Carl", 6)]
    faces = [album.face_of(f"faces/id03/{p}.jpg", home.root) for p in ("img12", "img3")]
    assert names_of(home, faces) == ["Carl", "Carl"]


def test_splitting_faces_out_to_a_new_name(album: Album, home: Home) -> None:
    label(home, name_cluster(home, album, "faces/id05/img16.jpg", "Eve"))
    eve = state_of(home).labels.by_name("Eve")
    assert eve is not None
    order = [row.face for row in state_of(home).faces_page(eve.id)]
    moved = [album.face_of(f"faces/id05/{p}.jpg", home.root) for p in ("img17", "img59")]

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("home", "enter")  # Eve, the only name, comes first
        assert isinstance(pilot.app.screen, FacesScreen)
        for face in moved:
            await cursor_to(pilot, order.index(face))
            await pilot.press("space")
        await pilot.press("s")
        await type_text(pilot, "Eva")
        await pilot.press("enter")

    drive(home, scenario)
    assert names_of(home, moved) == ["Eva", "Eva"]
    assert named(home) == [("Eva", 2), ("Eve", len(order) - 2)]
    rejected = state_of(home).labels.rejected()
    assert [rejected[face] for face in moved] == [{eve.id}, {eve.id}]  # not suggested for Eve


def test_rejecting_a_face_from_a_person(album: Album, home: Home) -> None:
    label(home, name_cluster(home, album, "faces/id05/img16.jpg", "Eve"))
    eve = state_of(home).labels.by_name("Eve")
    assert eve is not None
    order = [row.face for row in state_of(home).faces_page(eve.id)]
    wrong = album.face_of("faces/id05/img61.jpg", home.root)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("home", "enter")
        await cursor_to(pilot, order.index(wrong))
        await pilot.press("x")  # nothing selected: the face under the cursor

    drive(home, scenario)
    assert names_of(home, [wrong]) == [None]
    assert state_of(home).labels.rejected()[wrong] == {eve.id}
    assert all(row.face != wrong for row in state_of(home).suggestions())
    assert named(home) == [("Eve", len(order) - 1)]


def test_undo_takes_back_each_action_in_turn(home: Home) -> None:
    """Name a cluster, split a face off it, name another; u three times: as it was."""
    before = labels_seen(Library.open(home.library))
    first, second = (row.id for row in state_of(home).subjects()[:2])
    after_split: list[dict[str, object]] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("n")
        await type_text(pilot, "Alice")
        await pilot.press("enter", "home", "enter", "x", "escape")  # open Alice, one face out
        after_split.append(labels_seen(Library.open(home.library)))
        await cursor_to(pilot, subject_index(home, second))
        await pilot.press("n")
        await type_text(pilot, "Bob")
        await pilot.press("enter", "u")
        assert labels_seen(Library.open(home.library)) == after_split[0]
        await pilot.press("u", "u")

    drive(home, scenario)
    assert labels_seen(Library.open(home.library)) == before
    assert state_of(home).labels.subjects == {}
    assert [row.id for row in state_of(home).subjects()[:2]] == [first, second]


def test_moving_faces_of_clusters_to_names_then_undo(album: Album, home: Home) -> None:
    """Two faces of a cluster to a new name (`name` one, `merge` the other), then a face of
    another cluster to an existing name (`merge`): one action each, each undone by one u."""
    label(home, name_cluster(home, album, "faces/id00/img1.jpg", "Alice"))
    before = labels_seen(Library.open(home.library))
    first, second = (cluster_of(home, album, f"faces/{p}.jpg") for p in ("id04/img13", "id02/img8"))
    zed = [row.face for row in state_of(home).faces_page(first)][:2]
    alice = state_of(home).faces_page(second)[0].face
    seen: list[dict[str, object]] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await cursor_to(pilot, subject_index(home, first))
        await pilot.press("enter", "space", "right", "space", "s")
        await type_text(pilot, "Zed")
        await pilot.press("enter", "escape")
        assert names_of(home, zed) == ["Zed", "Zed"]
        seen.append(labels_seen(Library.open(home.library)))
        await cursor_to(pilot, subject_index(home, second))
        await pilot.press("enter", "s")
        await type_text(pilot, "Alice")
        await pilot.press("enter")
        assert names_of(home, [alice]) == ["Alice"]
        await pilot.press("u")
        assert labels_seen(Library.open(home.library)) == seen[0]
        await pilot.press("u")

    drive(home, scenario)
    assert labels_seen(Library.open(home.library)) == before
    rows = [state_of(home).face(face) for face in [*zed, alice]]
    assert [row.status if row else None for row in rows] == ["clustered"] * 3  # unnamed again
