"""The family model in the TUI: which people it recognises, and its round on the devices screen."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Label, Static

from node.model.local import train_here
from node.people import edits
from node.settings import Home
from tests.albums import Album
from tests.tui.conftest import drive, label, name_cluster, text_of
from tui.widgets.cards import SubjectCard


def shown(pilot: Pilot[None]) -> list[str]:
    """Each card's lines joined, then every other text on the screen."""
    cards = [
        " | ".join(text_of(label) for label in card.query(Label))
        for card in pilot.app.screen.query(SubjectCard)
    ]
    return cards + [text_of(w) for w in pilot.app.screen.query(Static)]


def test_people_the_model_knows_are_marked_and_its_round_is_shown(home: Home, album: Album) -> None:
    label(home, name_cluster(home, album, "faces/id03/img3.jpg", "Carl"))
    label(home, name_cluster(home, album, "faces/id05/img16.jpg", "Eve"))
    before: list[str] = []
    after: list[str] = []

    async def look(pilot: Pilot[None], into: list[str]) -> None:
        await pilot.pause()
        into.extend(shown(pilot))
        await pilot.press("4")
        into.extend(shown(pilot))

    drive(home, lambda pilot: look(pilot, before))
    assert not any("family model v" in t for t in before)
    assert any("none yet" in t for t in before)
    assert any(t.startswith("Carl | ") and "family model" not in t for t in before)

    with edits.editing(home) as library:
        assert train_here(library, "laptop") is not None
    label(home, name_cluster(home, album, "faces/id07/img34.jpg", "Ida"))  # after the round
    drive(home, lambda pilot: look(pilot, after))
    assert any(t.startswith("Carl | person · ") and " | family model" in t for t in after), after
    assert any(t.startswith("Eve | ") and " | family model" in t for t in after)
    assert any(t.startswith("Ida | ") and "family model" not in t for t in after)
    (line,) = [t for t in after if "face model" in t]
    assert "family model v1, round 1, 1 device, 2 people" in line
