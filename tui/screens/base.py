"""What every screen shares: the status line and the footer of keys, undo, and acting through
`node.people.edits` with refusals shown rather than raised."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer

from node.people import edits
from protocol.errors import RoostError
from protocol.labels import Subject
from tui.data import Edit, Roost
from tui.history import History
from tui.screens.naming import NameDialog
from tui.widgets.images import ImageClass
from tui.widgets.modes import ModeBar
from tui.widgets.status import StatusLine, count


@dataclass(frozen=True)
class Session:
    """What the screens of one running app share."""

    roost: Roost
    image_class: ImageClass
    history: History
    status_every: float | None  # seconds between status line updates; None: only after edits


class RoostScreen(Screen[None]):
    """A screen of the app: mode bar, its body, status line, footer; undo on every one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("u", "undo", "Undo")]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.roost = session.roost
        self._seen = self.roost.version()

    def compose(self) -> ComposeResult:
        yield ModeBar(self.SUB_TITLE or "")
        yield from self.body()
        yield StatusLine(self.roost, self.session.status_every)
        yield Footer()

    def body(self) -> ComposeResult:
        """The screen's own widgets, between the mode bar and the status line."""
        raise NotImplementedError

    async def show(self) -> None:
        """Read the data afresh and show it."""
        raise NotImplementedError

    async def reload(self) -> None:
        """Show the data as it is now, and remember which versions of the tables that was."""
        self._seen = self.roost.version()
        await self.show()
        self.query_one(StatusLine).show()

    async def on_screen_resume(self) -> None:
        """Back from another screen, or from another process's edit or index run."""
        if self.roost.version() != self._seen:
            await self.reload()

    async def act(self, what: str, *steps: Edit) -> None:
        """Make one undoable action of label edits; say what was done, or why not."""
        try:
            self.session.history.do(what, *steps)
        except RoostError as exc:
            self.notify(str(exc), title="Not done", severity="error")
            self.query_one(StatusLine).show()  # an index run holding the library shows there
            return
        self.notify(what)
        await self.reload()

    def ask_name(self, title: str, then: Callable[[str], Awaitable[object]]) -> None:
        """Ask for a name, completing the names given so far, and go on with it unless the
        user cancels."""
        names = [subject.name for subject in self.roost.state().labels.subjects.values()]

        async def answered(name: str | None) -> None:
            if name:
                await then(name)

        self.app.push_screen(NameDialog(title, names), answered)

    def name_or_rename(self, key: str, subject: Subject | None, faces: int, *, pet: bool) -> None:
        """n and p: name an unnamed cluster (p: as a pet), or rename a person or pet."""
        what = count(faces, "face")
        if subject is None:
            self.ask_name(
                f"Name this {'pet' if pet else 'person'} ({what})",
                lambda name: self.act(
                    f"Named {what} {name}", lambda library: edits.name(library, key, name, pet=pet)
                ),
            )
        elif pet:
            self.notify(f"{subject.name} is named already; u undoes a naming", severity="warning")
        else:
            self.ask_name(
                f"Rename {subject.name}",
                lambda name: self.act(
                    f"Renamed {subject.name} to {name}",
                    lambda library: edits.rename(library, key, name),
                ),
            )

    async def action_undo(self) -> None:
        try:
            what = self.session.history.undo()
        except RoostError as exc:
            self.notify(str(exc), title="Not undone", severity="error")
            return
        self.notify(f"Undone: {what}" if what else "Nothing to undo in this session")
        await self.reload()
