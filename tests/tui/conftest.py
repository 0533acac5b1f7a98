"""The TUI driven headless on the real album (tests/albums.py): a fixed terminal size, a fixed
`now`, half-block images, and no timers, so that what it shows depends on the index alone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual_image.widget import HalfcellImage

from node.library.store import Library
from node.people import edits
from node.people.clusters import read_clusters
from node.people.state import read_state
from node.settings import Home
from tests.albums import Album, album, copy_home
from tui.app import RoostApp
from tui.data import Edit

__all__ = ["album"]

NOW = datetime(2026, 11, 29, 12, 0)
SIZE = (110, 34)

Scenario = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture
def home(album: Album, tmp_path: Path) -> Home:
    """A private copy of the album's home, for a test that labels through the TUI."""
    return Home(copy_home(album, tmp_path / "home"))


def make_app(home: Home) -> RoostApp:
    return RoostApp(home, image_class=HalfcellImage, now=lambda: NOW, status_every=None)


def drive(home: Home, scenario: Scenario) -> RoostApp:
    """Run the app on `home` in a headless terminal and play `scenario` in it."""
    app = make_app(home)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await scenario(pilot)
            await pilot.pause()

    asyncio.run(run())
    return app


def label(home: Home, *steps: Edit) -> None:
    """Edits made before a test starts, through the same functions the TUI calls."""
    with edits.editing(home) as library:
        for step in steps:
            step(library)


def name_cluster(home: Home, album: Album, photo: str, name: str) -> Edit:
    """The edit that names the cluster of a photo's largest face."""
    cluster = cluster_of(home, album, photo)
    return lambda library: edits.name(library, cluster, name)


def name_face(home: Home, album: Album, photo: str, name: str, *, pet: bool = False) -> Edit:
    """The edit that names a photo's largest face alone (its cluster may follow by itself)."""
    face = album.face_of(photo, home.root)
    return lambda library: edits.name(library, face, name, pet=pet)


def cluster_of(home: Home, album: Album, photo: str) -> str:
    cluster = read_clusters(Library.open(home.library))[album.face_of(photo, home.root)]
    assert cluster is not None
    return cluster


def keys_for(text: str) -> list[str]:
    """The key presses that type `text`."""
    return ["space" if c == " " else c for c in text]


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*keys_for(text))


async def cursor_to(pilot: Pilot[None], index: int) -> None:
    """Move the focused grid's cursor to card `index`, as a user would: from the first card."""
    await pilot.press("home", *["right"] * index)


def subject_index(home: Home, key: str) -> int:
    """Where a person, pet or cluster is on the people screen."""
    rows = read_state(Library.open(home.library)).subjects()
    return [row.id for row in rows].index(key)


def pytest_configure(config: pytest.Config) -> None:
    # textual-image 0.12 calls Pillow's deprecated Image.getdata for every image it draws.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:textual_image._pixeldata")


def text_of(widget: Widget) -> str:
    """What a widget without children shows, as plain text lines."""
    region = Region(0, 0, widget.size.width, widget.size.height)
    return "\n".join(strip.text.rstrip() for strip in widget.render_lines(region)).strip()
