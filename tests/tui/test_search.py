"""Search in the TUI answers as `roost search` does (the same node.search.run functions), and a
result opens on the photo with its faces named."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Label

from node.library.store import Library
from node.search.run import parse, search
from node.settings import Home
from tests.albums import Album
from tests.tui.conftest import NOW, drive, label, name_cluster, text_of, type_text
from tui.screens.photo import PhotoScreen
from tui.screens.search import SearchScreen
from tui.widgets.cards import HitCard


def test_search_and_open_a_result(album: Album, home: Home) -> None:
    label(home, name_cluster(home, album, "faces/id00/img1.jpg", "Alice"))
    query = "Alice in Paris"
    library = Library.open(home.library)
    expected = [hit.path for hit in search(library, parse(library, query, NOW)).hits]
    assert sorted(map(album.relative, expected)) == ["faces/id00/img2.jpg", "faces/id00/img4.jpg"]
    shown: list[str] = []
    opened: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await type_text(pilot, query)
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, SearchScreen)
        shown.extend(card.key for card in pilot.app.screen.query(HitCard))
        await pilot.press("right", "enter")
        assert isinstance(pilot.app.screen, PhotoScreen)
        opened.extend(str(label.content) for label in pilot.app.screen.query(Label))

    drive(home, scenario)
    assert shown == expected
    assert opened == [expected[1], "2023-06-15 12:00 · Paris, Ile-de-France, France", "■ Alice"]


def test_a_query_that_cannot_be_read_says_why(home: Home) -> None:
    answers: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await type_text(pilot, "Alice or Bob")
        await pilot.press("enter")
        answers.append(text_of(pilot.app.screen.query_one(".answer")))

    drive(home, scenario)
    assert answers[0].startswith("cannot read the query")
