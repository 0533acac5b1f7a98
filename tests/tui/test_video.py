"""Videos in the TUI: a search hit is marked and shows when the people asked for are on
screen; opening it shows its poster frame and each face track's spans, and plays nothing."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Label

from node.library.store import Library
from node.people import edits
from node.settings import Home
from node.video.store import videos_of
from node.video.timeline import clock
from tests.tui.conftest import drive, text_of, type_text
from tests.video.clips import CLIP, LIN_MANUEL
from tests.video.homes import VideoLibrary, video_library
from tui.screens.photo import PhotoScreen
from tui.screens.search import SearchScreen
from tui.widgets.cards import HitCard

__all__ = ["video_library"]


def test_a_video_hit_is_marked_and_opens_on_its_frame(
    video_library: VideoLibrary, tmp_path: Path
) -> None:
    home = Home(video_library.copy_home(tmp_path / "home"))
    face = video_library.largest_face(LIN_MANUEL, home.root)
    with edits.editing(home) as library:
        edits.name(library, face, "Lin-Manuel")
    clip = str(video_library.folder / CLIP.name)
    cards: dict[str, str] = {}
    opened: list[str] = []
    pictures: list[tuple[int, int]] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await type_text(pilot, "Lin-Manuel")
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, SearchScreen)
        for card in pilot.app.screen.query(HitCard):
            cards[card.key] = "\n".join(text_of(label) for label in card.query(Label))
        index = list(cards).index(clip)
        await pilot.press("home", *["right"] * index, "enter")
        assert isinstance(pilot.app.screen, PhotoScreen)
        opened.extend(str(label.content) for label in pilot.app.screen.query(Label))
        roost = pilot.app.screen.roost
        pictures.append(roost.picture(clip, 256).size)

    drive(home, scenario)
    assert set(cards) == {clip, str(video_library.folder / LIN_MANUEL.name)}
    assert "▶ 0:10.0" in cards[clip] and "0:03.6–0:07.9" in cards[clip]
    assert "▶" not in cards[str(video_library.folder / LIN_MANUEL.name)]
    assert opened[0] == clip
    digest = Library.open(home.library).file(clip)
    assert digest is not None
    poster = videos_of(Library.open(home.library), [digest["hash"]])[digest["hash"]].poster
    assert opened[1].endswith(f"▶ video 0:10.0, its frame at {clock(poster)}")
    assert "■ Lin-Manuel\n0:03.6–0:07.9" in opened
    assert pictures == [(256, 144)]  # a frame of the video, not the file decoded as a photo
