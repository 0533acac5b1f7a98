"""Search: the query language of `roost search`, answered by the same functions on this device
and every family device that answers in time, with the photos found as a grid of thumbnails
(this device's decoded for the page on screen only; another device's are the small thumbnails
its answer carried), each from another device marked with that device's name."""

from __future__ import annotations

import io
from typing import ClassVar

from PIL import Image
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from node.media.decode import DecodeError
from node.search import QueryError
from node.search.family import FamilyAnswer, FamilyHit
from tui.screens.base import RoostScreen, Session
from tui.screens.photo import PhotoScreen
from tui.screens.remote import RemotePhotoScreen
from tui.widgets.cards import HitCard
from tui.widgets.grid import Card, LazyGrid
from tui.widgets.status import count

_THUMBNAIL = 256  # pixels on the long side of a result's photo


class SearchScreen(RoostScreen):
    SUB_TITLE = "Search"
    HELP = """
    As `roost search`: names ("only Alice": nobody else named), dates ("summer 2015", "10
    years ago"), places, or `person:Alice place:Paris after:2015-01-01`.
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "query", "Query"),
        Binding("escape", "results", "Results", show=False),
    ]
    AUTO_FOCUS = "Input"
    DEFAULT_CSS = """
    SearchScreen Input { margin: 0 1; }
    SearchScreen .answer { height: auto; max-height: 3; padding: 0 2; color: $text-muted; }
    """

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._text = ""
        self._hits: list[FamilyHit] = []

    def body(self) -> ComposeResult:
        yield Input(placeholder="who, when, where: Alice and Scooby in Paris summer 2015")
        yield Static("", classes="answer", markup=False)
        yield LazyGrid(self._cards, 0, HitCard.CELL, empty="Type a query and press Enter.")

    def _cards(self, offset: int, limit: int) -> list[Card]:
        cards: list[Card] = []
        for hit in self._hits[offset : offset + limit]:
            when = hit.taken_at[:10] if hit.path else f"{hit.taken_at[:10]} · {hit.device}"
            lines = [when, hit.place or "no place", ", ".join(hit.people) or "nobody named"]
            key = hit.path or _remote_key(hit)
            cards.append(HitCard(key, self._picture(hit), lines, self.session.image_class))
        return cards

    def _picture(self, hit: FamilyHit) -> Image.Image | None:
        try:
            if hit.path is not None:
                return self.roost.picture(hit.path, _THUMBNAIL)
            return Image.open(io.BytesIO(hit.thumbnail)) if hit.thumbnail else None
        except (DecodeError, OSError):
            return None

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        self._text = event.value.strip()
        await self.show()
        if self._hits:
            self.query_one(LazyGrid).focus()

    async def show(self) -> None:
        """Answer the query (again, after an edit: who is who may have changed)."""
        answer = self._answer()
        grid = self.query_one(LazyGrid)
        self._hits = answer.hits if isinstance(answer, FamilyAnswer) else []
        self.query_one(".answer", Static).update(
            answer if isinstance(answer, str) else _describe(answer)
        )
        await grid.reset(len(self._hits), cursor=0)

    def _answer(self) -> FamilyAnswer | str:
        if not self._text:
            return ""
        try:
            return self.roost.search(self._text)
        except QueryError as exc:
            return f"cannot read the query: {exc}"

    async def on_lazy_grid_opened(self, event: LazyGrid.Opened) -> None:
        remote = next((h for h in self._hits if _remote_key(h) == event.key), None)
        if remote is not None and remote.path is None:
            await self.app.push_screen(RemotePhotoScreen(self.session, remote))
            return
        media_hash = self.roost.media_of(event.key)
        if media_hash is not None:
            await self.app.push_screen(PhotoScreen(self.session, media_hash))

    def action_query(self) -> None:
        self.query_one(Input).focus()

    def action_results(self) -> None:
        self.query_one(LazyGrid).focus()


def _remote_key(hit: FamilyHit) -> str:
    return f"{hit.device_id}:{hit.media}"


def _describe(answer: FamilyAnswer) -> str:
    lines = [f"{count(answer.total, 'photo')} · {answer.query.to_structured_string()}"]
    if len(answer.devices) > 1:
        answered = [d.name for d in answer.devices if d.answered]
        silent = [d.name for d in answer.devices if not d.answered]
        line = f"searched {', '.join(answered)}"
        lines.append(line + (f"; no answer from {', '.join(silent)}" if silent else ""))
    return "\n".join(lines + [f"note: {note}" for note in answer.notes])
