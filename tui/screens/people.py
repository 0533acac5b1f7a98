"""The people screen: named people and pets, then unnamed clusters, largest first, each with its
first faces. Naming a cluster here is the one keystroke that does most of the labelling."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from node.people.state import State, SubjectRow
from tui.data import FamilyModel
from tui.screens.base import RoostScreen, Session
from tui.screens.faces import FacesScreen
from tui.widgets.cards import SubjectCard
from tui.widgets.grid import Card, LazyGrid
from tui.widgets.status import count


class PeopleScreen(RoostScreen):
    SUB_TITLE = "People and pets"
    HELP = """
    Named people and pets, then the unnamed clusters, largest first. Naming a cluster names
    all its faces and teaches Roost who to look for; an existing name adds it to that one.
    **Enter** opens one to fix mistakes.
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "name", "Name"),
        Binding("p", "name_pet", "Pet"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._state: State = self.roost.state()
        self._subjects: list[SubjectRow] = self._state.subjects()

    def body(self) -> ComposeResult:
        grid = LazyGrid(
            self._cards,
            len(self._subjects),
            SubjectCard.CELL,
            empty="No faces yet: index some photos with `roost index PATH`.",
        )
        grid.border_title = self._title()
        yield grid

    def _title(self) -> str:
        named = sum(1 for row in self._subjects if row.name is not None)
        clusters = len(self._subjects) - named
        return f"{named} named · {count(clusters, 'unnamed cluster')}"

    def _cards(self, offset: int, limit: int) -> list[Card]:
        """One page of cards: the only thumbnails read are the few faces each card shows."""
        rows = self._subjects[offset : offset + limit]
        shown = {row.id: self._preview(row) for row in rows}
        thumbnails = self.roost.thumbnails([face for faces in shown.values() for face in faces])
        model = self.roost.family_model(self._state.labels)
        return [
            SubjectCard(
                row.id,
                _about(row, model),
                [thumbnails.get(face) for face in shown[row.id]],
                self.session.image_class,
            )
            for row in rows
        ]

    def _preview(self, row: SubjectRow) -> list[str]:
        """A card's faces: a cluster's first ones, or faces that are the person (not those
        merely suggested for them, which may be anyone)."""
        rows = self._state.faces_page(row.id, 0, SubjectCard.FACES)
        return [face.face for face in rows if row.name is None or face.assigned]

    async def show(self) -> None:
        """Fresh data, the cursor on the same card if it is still there, or else on the largest
        unnamed cluster: naming one moves straight on to the next."""
        grid = self.query_one(LazyGrid)
        was = self._subjects[grid.cursor].id if grid.count else None
        self._state = self.roost.state()
        self._subjects = self._state.subjects()
        keys = [row.id for row in self._subjects]
        unnamed = next((n for n, row in enumerate(self._subjects) if row.name is None), 0)
        grid.border_title = self._title()
        await grid.reset(len(keys), cursor=keys.index(was) if was in keys else unnamed)

    async def on_lazy_grid_opened(self, event: LazyGrid.Opened) -> None:
        await self.app.push_screen(FacesScreen(self.session, event.key))

    def action_name(self) -> None:
        self._name_current(pet=False)

    def action_name_pet(self) -> None:
        self._name_current(pet=True)

    def _name_current(self, *, pet: bool) -> None:
        grid = self.query_one(LazyGrid)
        if grid.count:
            row = self._subjects[grid.cursor]
            subject = self._state.labels.subjects.get(row.id)
            self.name_or_rename(row.id, subject, row.faces, pet=pet)


def _about(row: SubjectRow, model: FamilyModel | None) -> list[str]:
    """The lines beside a card's faces; "family model" for a person every device recognises
    through the family's model."""
    if row.name is None:
        return ["Unnamed", count(row.faces, "face")]
    lines = [row.name, f"{row.kind} · {count(row.faces, 'face')}"]
    if model is not None and row.id in model.people:
        lines.append("family model")
    return [*lines, f"+{row.suggested} to review"] if row.suggested else lines
