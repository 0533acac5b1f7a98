"""Reviewing suggestions: one key per answer, each answer recorded through node.people.edits
and checked in the index; a rejection is remembered, an undo brings the question back."""

from __future__ import annotations

from textual.pilot import Pilot

from node.library.store import Library
from node.people.state import read_state
from node.settings import Home
from tests.albums import Album
from tests.tui.conftest import drive, label, name_face, text_of

# id06 and id07 of faces/: the closest pair of two people there. With id06's face named,
# id07's is suggested for them: the one question the album asks.
FRANK, STRANGER = "faces/id06/img30.jpg", "faces/id07/img35.jpg"


def question(pilot: Pilot[None]) -> str:
    return text_of(pilot.app.screen.query_one(".question"))


def test_no_then_undo_then_yes(album: Album, home: Home) -> None:
    label(home, name_face(home, album, FRANK, "Frank"))
    stranger = album.face_of(STRANGER, home.root)
    library = Library.open(home.library)
    frank = read_state(library).labels.by_name("Frank")
    assert frank is not None
    waiting = [(row.face, row.subject) for row in read_state(library).suggestions()]
    assert waiting == [(stranger, frank.id)]
    asked: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("2")
        asked.append(question(pilot))
        await pilot.press("n")
        state = read_state(library)
        assert state.labels.rejected()[stranger] == {frank.id}
        assert state.suggestions() == []
        asked.append(question(pilot))
        await pilot.press("u")
        assert [row.face for row in read_state(library).suggestions()] == [stranger]
        await pilot.press("y")

    drive(home, scenario)
    assert asked[0].startswith("Is this Frank?")
    assert asked[1] == "No suggestions wait for an answer."
    state = read_state(library)
    row = state.face(stranger)
    assert row is not None and (row.subject, row.status) == (frank.id, "confirmed")
    assert stranger not in state.labels.rejected()


def test_skip_changes_nothing(album: Album, home: Home) -> None:
    label(home, name_face(home, album, FRANK, "Frank"))
    library = Library.open(home.library)
    events = len(read_state(library).events)
    asked: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("2", "s")
        asked.append(question(pilot))

    drive(home, scenario)
    assert asked == ["No suggestions wait for an answer (1 skipped)."]
    assert len(read_state(library).events) == events
    assert len(read_state(library).suggestions()) == 1
