"""The TUI's search reaches the family: another device's hits show with their thumbnails and
that device's name, open on a photo view that fetches the original, and the devices screen
says when each device last answered. The other device is real: the album's index served over
mutual TLS on loopback, in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Label

from node.library.store import Library
from node.peer.device import Device
from node.peer.originals import Sharing, set_sharing
from node.peer.server import serve_peers
from node.people import edits
from node.settings import Home
from tests.albums import Album, copy_home
from tests.family.families import add_member, new_family
from tests.peer.devices import make_device, owner_services
from tests.tui.conftest import drive, text_of, type_text
from tui.screens.remote import RemotePhotoScreen
from tui.screens.search import SearchScreen
from tui.widgets.cards import HitCard


@pytest.fixture
def asker(album: Album, tmp_path: Path) -> Iterator[tuple[Home, Device]]:
    """A device with an empty library, in a family with one that holds the album."""
    owner_home = copy_home(album, tmp_path / "owner")
    admin = new_family(tmp_path, admin="owner")
    asker = make_device(add_member(admin, tmp_path, "tablet").directory.parent)
    owner = Device.load(Home(owner_home))
    with edits.editing(owner.home) as library:
        edits.name(library, album.face_of("faces/id00/img1.jpg", owner_home), "Alice")
    set_sharing(owner.home, Sharing.FAMILY)
    server, greeter = serve_peers(
        "127.0.0.1:0", owner.identity, owner.revocations, owner.directory, owner_services(owner)
    )
    asker.directory.record(owner.identity.member, address=f"127.0.0.1:{greeter.listen_port}")
    try:
        yield asker.home, owner
    finally:
        server.stop(None)


def test_remote_hits_show_their_thumbnails_and_fetch_their_originals(
    album: Album, asker: tuple[Home, Device], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, owner = asker
    downloads = tmp_path / "downloads"
    monkeypatch.setattr("platformdirs.user_downloads_dir", lambda: str(downloads))
    cards: list[tuple[str, list[str], bool]] = []
    opened: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await type_text(pilot, "Alice in Paris")
        await pilot.press("enter")
        screen = pilot.app.screen
        assert isinstance(screen, SearchScreen)
        for card in screen.query(HitCard):
            lines = [text_of(label) for label in card.query(Label)]
            cards.append((card.key, lines, bool(card.query(".image").exclude(".missing"))))
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, RemotePhotoScreen)
        opened.extend(text_of(label) for label in pilot.app.screen.query(Label))
        await pilot.press("f")
        await pilot.pause()

    drive(home, scenario)
    paris = Library.open(owner.home.library)
    expected = {
        f"{owner.id}:{paris.file(str(album.path(p)))['hash']}"  # type: ignore[index]
        for p in ("faces/id00/img2.jpg", "faces/id00/img4.jpg")
    }
    assert {key for key, _, _ in cards} == expected
    for _, lines, has_image in cards:
        assert lines[0].endswith("· owner") and lines[2] == "Alice"
        assert has_image, "a remote hit shows the thumbnail its answer carried"
    assert opened[0].startswith("on owner ·") and "Paris" in opened[1]
    (saved,) = downloads.iterdir()
    media = cards[0][0].split(":")[1]
    assert saved.name == f"{media[:16]}.jpg"
    assert saved.read_bytes() == Path(paris.paths_of(media)[0]).read_bytes()
