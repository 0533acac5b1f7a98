"""The Roost TUI: one app, a screen per task, switched with the number keys.

Each task is a Textual mode with its own screen stack (people → a cluster's faces → a photo;
search → a photo), so switching tasks keeps where each one was. The image class is chosen by
the caller: the terminal's best (`roost tui`) or half blocks (tests, for stable snapshots).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.widgets import HelpPanel

from node.settings import Home
from tui.data import Roost
from tui.history import History
from tui.screens.base import RoostScreen, Session
from tui.screens.devices import DevicesScreen
from tui.screens.people import PeopleScreen
from tui.screens.review import ReviewScreen
from tui.screens.search import SearchScreen
from tui.widgets.images import ImageClass
from tui.widgets.modes import TASKS

SCREENS: dict[str, Callable[[Session], RoostScreen]] = {
    "people": PeopleScreen,
    "review": ReviewScreen,
    "search": SearchScreen,
    "devices": DevicesScreen,
}


class RoostApp(App[None]):
    TITLE = "Roost"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"switch_mode('{mode}')", label, show=False) for key, mode, label in TASKS),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        home: Home,
        *,
        image_class: ImageClass,
        now: Callable[[], datetime] = datetime.now,
        status_every: float | None = 5.0,
    ) -> None:
        super().__init__()
        roost = Roost(home, now)
        self.session = Session(roost, image_class, History(roost), status_every)
        for _, mode, _ in TASKS:
            self.add_mode(mode, partial(SCREENS[mode], self.session))

    async def on_mount(self) -> None:
        await self.switch_mode("people")

    def action_help(self) -> None:
        """Show or hide the panel that explains the screen and lists its keys."""
        try:
            self.screen.query_one(HelpPanel).remove()
        except NoMatches:
            self.screen.mount(HelpPanel())
