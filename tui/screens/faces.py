"""One person's, pet's or unnamed cluster's faces, page by page, to fix what Roost got wrong:
select faces and move them to another name, say they are not this person, or confirm them.

Every key is one call of `node.people.edits` (or, for several faces that one call cannot take,
a few calls made as one undoable action); which call fits follows from what the faces are now,
as the edits module's own refusals describe.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from node.people import edits
from node.people.scoring import CLUSTERED, CONFIRMED, SUGGESTED
from node.people.state import FaceRow, State
from tui.data import Edit
from tui.screens.base import RoostScreen, Session
from tui.screens.photo import PhotoScreen
from tui.widgets.cards import FaceCard
from tui.widgets.grid import Card, LazyGrid
from tui.widgets.status import count


class FacesScreen(RoostScreen):
    SUB_TITLE = "Faces"
    HELP = """
    **✓** you said so, **auto** Roost is sure, **?** a suggestion. Keys act on the selected
    faces, else on the one under the cursor. **x** is remembered: those faces are never
    suggested for this person again.
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("n", "name", "Name"),
        Binding("p", "name_pet", "Pet", show=False),
        Binding("s", "split", "Split"),
        Binding("x", "reject", "Not them"),
        Binding("y", "confirm", "Confirm"),
        Binding("o", "photo", "Photo", show=False),
    ]

    def __init__(self, session: Session, key: str) -> None:
        super().__init__(session)
        self.key = key  # a subject id or a cluster id
        self._read(self.roost.state())

    def _read(self, state: State) -> None:
        self._state = state
        self._faces: list[FaceRow] = state.faces_page(self.key)
        self._subject = state.labels.subjects.get(self.key)

    def body(self) -> ComposeResult:
        grid = LazyGrid(
            self._cards,
            len(self._faces),
            FaceCard.CELL,
            empty="No faces left here.",
            selectable=True,
        )
        grid.border_title = self._title()
        yield grid

    def _title(self) -> str:
        faces = count(len(self._faces), "face")
        if self._subject is None:
            return f"Unnamed cluster · {faces}"
        return f"{self._subject.name} · {self._subject.kind} · {faces}"

    def _cards(self, offset: int, limit: int) -> list[Card]:
        rows = self._faces[offset : offset + limit]
        thumbnails = self.roost.thumbnails([row.face for row in rows])
        image_class = self.session.image_class
        return [
            FaceCard(row.face, thumbnails.get(row.face), self._caption(row), image_class)
            for row in rows
        ]

    def _caption(self, row: FaceRow) -> str:
        if row.status == CONFIRMED:
            return "✓"
        if row.status == CLUSTERED and row.subject is not None:
            return f"auto {row.confidence:.0%}"
        if row.status == SUGGESTED and row.subject in self._state.labels.subjects:
            who = "" if self._subject else self._state.labels.subjects[row.subject].name
            return f"{who}? {row.confidence:.0%}".strip()
        return ""

    async def show(self) -> None:
        state = self.roost.state()
        if self._faces and not state.faces_page(self.key, 0, 1):
            self._follow(state, self._faces[0].face)
        self._read(state)
        grid = self.query_one(LazyGrid)
        grid.border_title = self._title()
        await grid.reset(len(self._faces))

    def _follow(self, state: State, face: str) -> None:
        """This cluster was named, or this person's naming undone: show where its faces went."""
        row = state.face(face)
        if row is not None and row.assigned and row.subject is not None:
            self.key = row.subject
        elif row is not None and row.cluster is not None:
            self.key = row.cluster

    # -- actions -------------------------------------------------------------------------------

    def _chosen(self) -> list[FaceRow]:
        """The selected faces, or else the one under the cursor."""
        grid = self.query_one(LazyGrid)
        if grid.selected:
            return [row for row in self._faces if row.face in grid.selected]
        return [self._faces[grid.cursor]] if self._faces else []

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_name(self) -> None:
        self.name_or_rename(self.key, self._subject, len(self._faces), pet=False)

    def action_name_pet(self) -> None:
        self.name_or_rename(self.key, self._subject, len(self._faces), pet=True)

    def action_split(self) -> None:
        rows = self._chosen()
        if rows:
            moved = count(len(rows), "face")
            self.ask_name(
                f"Move {moved} to which person or pet?",
                lambda name: self.act(f"Moved {moved} to {name}", *self._moves(rows, name)),
            )

    def _moves(self, rows: list[FaceRow], name: str) -> list[Edit]:
        """The edits that put faces under `name`: `split` takes a person's own faces out to it;
        faces that are nobody's (or only suggested) join it by `merge`, after `name` has made
        it from one of them if it is new."""
        own = [row.face for row in rows if self._subject is not None and row.assigned]
        loose = [row.face for row in rows if row.face not in own]
        steps = [_split(own, name)] if own else []
        if loose and not own and self.roost.state().labels.by_name(name) is None:
            steps.append(_name(loose[0], name))
            loose = loose[1:]
        return steps + ([_merge(loose, name)] if loose else [])

    async def action_reject(self) -> None:
        rows = self._chosen()
        subject = self._subject
        assigned = [r.face for r in rows if subject is not None and r.assigned]
        asked = [r for r in rows if r.status == SUGGESTED and r.subject is not None]
        if not assigned and not asked:
            self.notify(
                "These faces are nobody's yet, so there is no one to take them from: "
                "s moves them to a name.",
                severity="warning",
            )
            return
        steps = [_split(assigned)] if assigned else []
        steps += [_reject(row.face, row.subject) for row in asked if row.subject is not None]
        names = self._state.labels.subjects
        who = {subject.name} if subject else {names[r.subject].name for r in asked if r.subject}
        faces = count(len(assigned) + len(asked), "face")
        await self.act(f"{faces}: not {', '.join(sorted(who))}", *steps)

    async def action_confirm(self) -> None:
        faces = [r.face for r in self._chosen() if r.subject is not None and r.status != CONFIRMED]
        if not faces:
            self.notify("Nothing here waits for a yes.", severity="warning")
            return
        await self.act(
            f"Confirmed {count(len(faces), 'face')}", lambda library: edits.confirm(library, faces)
        )

    async def on_lazy_grid_opened(self, event: LazyGrid.Opened) -> None:
        await self.action_photo()

    async def action_photo(self) -> None:
        if self._faces:
            row = self._faces[self.query_one(LazyGrid).cursor]
            await self.app.push_screen(PhotoScreen(self.session, row.media_hash))


# One edit each, with its arguments bound now (a lambda in a loop would see the last ones).


def _split(faces: list[str], name: str | None = None) -> Edit:
    return lambda library: edits.split(library, faces, new_name=name)


def _name(face: str, name: str) -> Edit:
    return lambda library: edits.name(library, face, name)


def _merge(faces: list[str], name: str) -> Edit:
    return lambda library: edits.merge(library, faces, into=name)


def _reject(face: str, who: str) -> Edit:
    return lambda library: edits.reject(library, face, who)
