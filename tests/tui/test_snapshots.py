"""What each screen looks like, as SVG snapshots (tests/tui/__snapshots__/), on the album with a
few names given: half-block images, a fixed terminal size and `now`, no timers. Paths of the
album's copies, which lie under pytest's temp folder, are shown as ~/Pictures.

After a deliberate change of the look: `pytest tests/tui/test_snapshots.py --snapshot-update`,
then look at the new SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from node.people import edits
from node.settings import Home
from tests.albums import Album, copy_home
from tests.tui.conftest import SIZE, cluster_of, keys_for, label, make_app, subject_index

Compare = Callable[..., bool]
Keys = Callable[[Album, Home], list[str]]

# id06's face named alone: the face of id07/img35, the closest other person, is then suggested.
FRANK, STRANGER = "faces/id06/img30.jpg", "faces/id07/img35.jpg"


@pytest.fixture(scope="module")
def named(album: Album, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The album with two people named by cluster, one by a single face, and a pet."""
    home = Home(copy_home(album, tmp_path_factory.mktemp("snapshots") / "home"))
    dog = album.face_of("pets/dogs/shiba_inu/shiba_inu_147.jpg", home.root)
    label(
        home,
        lambda lib: edits.name(lib, cluster_of(home, album, "faces/id00/img1.jpg"), "Alice"),
        lambda lib: edits.name(lib, cluster_of(home, album, "faces/id04/img13.jpg"), "Bob"),
        lambda lib: edits.name(lib, album.face_of(FRANK, home.root), "Frank"),
        lambda lib: edits.name(lib, dog, "Scooby", pet=True),
    )
    return home


def _open_cluster_of(photo: str) -> Keys:
    """Keys that open the unnamed cluster a photo's face is in."""

    def keys(album: Album, home: Home) -> list[str]:
        index = subject_index(home, cluster_of(home, album, photo))
        return ["home", *["right"] * index, "enter"]

    return keys


def _keys(*pressed: str) -> Keys:
    return lambda album, home: list(pressed)


SCREENS: dict[str, Keys] = {
    "people": _keys(),
    "person": _keys("home", "enter", "right", "space", "right"),  # Alice, a face selected
    "cluster": _open_cluster_of(STRANGER),  # with the face suggested for Frank
    "name_dialog": _keys("end", "n", *keys_for("Al")),
    "review": _keys("2"),
    "search": _keys("3", *keys_for("Alice in Paris"), "enter"),
    "photo": _keys("3", *keys_for("Alice in Paris"), "enter", "enter"),
    "devices": _keys("4"),
    "help": _keys("question_mark"),
}


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_screen(screen: str, album: Album, named: Home, snap_compare: Compare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press(*SCREENS[screen](album, named))
        await pilot.pause()
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would be on or off by chance
        for widget in pilot.app.screen.query(Static):
            if isinstance(widget.content, str) and str(album.photos) in widget.content:
                widget.update(widget.content.replace(str(album.photos), "~/Pictures"))
        await pilot.pause()

    assert snap_compare(make_app(named), terminal_size=SIZE, run_before=run_before)
