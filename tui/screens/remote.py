"""A photo another family device holds: its small thumbnail, date, place, people and device,
and `f` to fetch the original from that device (`roost fetch`), which its owner must allow."""

from __future__ import annotations

import io
from pathlib import Path
from typing import ClassVar

import platformdirs
from PIL import Image
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label

from node.family import FamilyError
from node.search.family import FamilyHit
from tui.screens.base import RoostScreen, Session
from tui.widgets.images import photo_image


class RemotePhotoScreen(RoostScreen):
    SUB_TITLE = "Photo on another device"
    HELP = """
    A photo found on another family device. Only its small thumbnail came with the answer; `f`
    copies the original from that device into your downloads folder, if its owner allows it
    (`roost originals family` there).
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "fetch", "Fetch original"),
        Binding("escape", "back", "Back"),
    ]
    DEFAULT_CSS = """
    RemotePhotoScreen Label { width: 1fr; padding: 0 1; }
    RemotePhotoScreen .photo .image { width: auto; height: 1fr; }
    """

    def __init__(self, session: Session, hit: FamilyHit, out: Path | None = None) -> None:
        super().__init__(session)
        self.hit = hit
        self.out = out or Path(platformdirs.user_downloads_dir())

    def body(self) -> ComposeResult:
        hit = self.hit
        yield Label(f"on {hit.device} · {hit.media[:16]}…", markup=False)
        when = hit.taken_at[:16].replace("T", " ")
        yield Label(f"{when} · {hit.place or 'no place'}", markup=False)
        yield Label(", ".join(hit.people) or "nobody named", markup=False)
        picture = Image.open(io.BytesIO(hit.thumbnail)) if hit.thumbnail else None
        with Vertical(classes="photo"):
            yield photo_image(self.session.image_class, picture)

    async def show(self) -> None:
        await self.recompose()

    def action_fetch(self) -> None:
        try:
            saved = self.roost.fetch(self.hit, self.out)
        except FamilyError as exc:
            self.notify(str(exc), title="Not fetched", severity="error")
            return
        self.notify(f"Saved {saved}")

    def action_back(self) -> None:
        self.app.pop_screen()
