"""A grid of cards of which only the page on screen exists.

Why pages and not a scrolling list: a library can hold thousands of clusters and a person
thousands of faces, and every card carries images. Building all of them to scroll through
would read every thumbnail in the faces table before the first one is seen. The grid instead
asks `load(offset, limit)` for the cards of the one page the cursor is on, as many as fit the
widget, and builds nothing else; crossing the page's edge loads the next page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static


class Card(Widget):
    """One cell of a `LazyGrid`; `key` names what it shows (a face, a cluster, a photo)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key


Load = Callable[[int, int], Sequence[Card]]


class LazyGrid(Widget, can_focus=True):
    """Cards in rows, one page at a time, with a cursor and (optionally) a selection."""

    DEFAULT_CSS = """
    LazyGrid {
        layout: grid;
        height: 1fr;
        border: round $primary 50%;
        border-title-align: left;
        border-subtitle-align: right;
    }
    LazyGrid:focus { border: round $accent; }
    LazyGrid > .empty { width: 1fr; height: 1fr; content-align: center middle; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Left", show=False),
        Binding("right", "step(1)", "Right", show=False),
        Binding("up", "step_rows(-1)", "Up", show=False),
        Binding("down", "step_rows(1)", "Down", show=False),
        Binding("pageup", "step_pages(-1)", "Previous page", show=False),
        Binding("pagedown", "step_pages(1)", "Next page", show=False),
        Binding("home", "go(0)", "First", show=False),
        Binding("end", "go(-1)", "Last", show=False),
        Binding("enter", "open", "Open"),
        Binding("space", "select", "Select"),
    ]

    class Opened(Message):
        """Enter (or a double click) on the card under the cursor."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(
        self,
        load: Load,
        count: int,
        cell: tuple[int, int],
        *,
        empty: str,
        selectable: bool = False,
    ) -> None:
        super().__init__()
        self._load, self.count, self._cell, self._empty = load, count, cell, empty
        self._selectable = selectable
        self.cursor = 0
        self.selected: set[str] = set()
        self._columns = self._rows = 0
        self._shown: tuple[int, int] | None = None  # (offset, limit) of the cards built

    @property
    def page_size(self) -> int:
        return self._columns * self._rows

    @property
    def cards(self) -> list[Card]:
        return list(self.query_children(Card))

    @property
    def current(self) -> Card | None:
        """The card under the cursor."""
        if self._shown is None or not self.count:
            return None
        cards = self.cards
        index = self.cursor - self._shown[0]
        return cards[index] if 0 <= index < len(cards) else None

    async def reset(self, count: int, *, cursor: int | None = None) -> None:
        """Show fresh data: `count` items now, the cursor where it was (or at `cursor`)."""
        self.count = count
        self.selected.clear()
        await self._go(self.cursor if cursor is None else cursor, reload=True)

    # -- layout --------------------------------------------------------------------------------

    async def on_resize(self, event: events.Resize) -> None:
        columns = max(1, self.size.width // self._cell[0])
        rows = max(1, self.size.height // self._cell[1])
        if (columns, rows) != (self._columns, self._rows):
            self._columns, self._rows = columns, rows
            self.styles.grid_size_columns = columns
            self.styles.grid_columns = str(self._cell[0])
            self.styles.grid_rows = str(self._cell[1])
            await self._go(self.cursor, reload=True)

    async def _go(self, index: int, *, reload: bool = False) -> None:
        if not self.page_size:
            return  # not laid out yet: the first resize shows the page
        self.cursor = min(max(index, 0), max(self.count - 1, 0))
        offset = self.cursor // self.page_size * self.page_size
        wanted = (offset, self.page_size)
        if reload or wanted != self._shown:
            await self.remove_children()
            if self.count:
                await self.mount_all(self._load(*wanted))
            else:
                await self.mount(Static(self._empty, classes="empty"))
            self._shown = wanted
        self._mark()

    def _mark(self) -> None:
        for card in self.cards:
            card.set_class(card is self.current, "-cursor")
            card.set_class(card.key in self.selected, "-selected")
        offset = self._shown[0] if self._shown else 0
        last = min(self.count, offset + self.page_size)
        self.border_subtitle = f"{offset + 1 if self.count else 0}–{last} of {self.count}"

    # -- keys and mouse ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self._selectable or action != "select"

    async def action_step(self, items: int) -> None:
        await self._go(self.cursor + items)

    async def action_step_rows(self, rows: int) -> None:
        await self._go(self.cursor + rows * self._columns)

    async def action_step_pages(self, pages: int) -> None:
        await self._go(self.cursor + pages * self.page_size)

    async def action_go(self, index: int) -> None:
        await self._go(index if index >= 0 else self.count - 1)

    def action_open(self) -> None:
        card = self.current
        if card is not None:
            self.post_message(self.Opened(card.key))

    def action_select(self) -> None:
        card = self.current
        if card is not None:
            self.selected.symmetric_difference_update({card.key})
            self._mark()

    async def on_click(self, event: events.Click) -> None:
        if event.widget is None or self._shown is None:
            return
        card = next((w for w in event.widget.ancestors_with_self if isinstance(w, Card)), None)
        if card is None:
            return
        await self._go(self._shown[0] + self.cards.index(card))
        if event.chain == 2:
            self.action_open()
