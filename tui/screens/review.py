"""Review: Roost's suggestions one at a time, the suggested face beside faces of the person it
may be, answered with one key each.

Yes confirms (`edits.confirm`) and the face becomes one more reference for that person; no
rejects (`edits.reject`), which Roost remembers for good, through re-clustering and
re-indexing; skip leaves it for later in this session. Most confident first, so that a run of
yes comes before the hard ones.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label, Static

from node.people import edits
from node.people.state import FaceRow, State
from tui.screens.base import RoostScreen, Session
from tui.screens.photo import PhotoScreen
from tui.widgets.images import face_image

EXAMPLES = 4  # faces of the person shown beside the suggestion


class ReviewScreen(RoostScreen):
    SUB_TITLE = "Review suggestions"
    HELP = """
    A face Roost is unsure about, beside faces of the one it may be. A yes makes it one more
    example of them; a no is remembered for good.
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "yes", "Yes"),
        Binding("n", "no", "No"),
        Binding("s", "skip", "Skip"),
        Binding("o", "photo", "Photo"),
    ]
    DEFAULT_CSS = """
    ReviewScreen #review { height: 1fr; padding: 1 2; }
    ReviewScreen .question { text-style: bold; }
    ReviewScreen .path { color: $text-muted; margin-bottom: 1; }
    ReviewScreen .pair { height: auto; }
    ReviewScreen .suggested { width: 28; height: auto; }
    ReviewScreen .suggested .image { width: 24; height: 12; }
    ReviewScreen .examples { width: 1fr; height: auto; }
    ReviewScreen .examples Label { color: $text-muted; }
    ReviewScreen .examples Horizontal { height: 6; }
    ReviewScreen .examples .image { width: 10; height: 5; margin-right: 1; }
    """

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._skipped: set[str] = set()
        self._pick(self.roost.state())

    def _pick(self, state: State) -> None:
        self._state = state
        waiting = [row for row in state.suggestions() if row.face not in self._skipped]
        self._waiting = len(waiting)
        self._current: FaceRow | None = waiting[0] if waiting else None

    def body(self) -> ComposeResult:
        with Vertical(id="review"):
            yield from self._widgets()

    def _widgets(self) -> list[Widget]:
        row, subjects = self._current, self._state.labels.subjects
        if row is None or row.subject not in subjects:
            skipped = f" ({len(self._skipped)} skipped)" if self._skipped else ""
            return [Static(f"No suggestions wait for an answer{skipped}.", classes="question")]
        subject = subjects[row.subject]
        examples = [
            r.face for r in self._state.faces_page(subject.id, 0, EXAMPLES + 1) if r.assigned
        ][:EXAMPLES]
        thumbnails = self.roost.thumbnails([row.face, *examples])
        image_class = self.session.image_class
        question = (
            f"Is this {subject.name}?   ({self._waiting} waiting · Roost is "
            f"{row.confidence:.0%} sure)"
        )
        paths = self.roost.library.paths_of(row.media_hash)
        return [
            Label(question, classes="question", markup=False),
            Label(paths[0] if paths else "", classes="path", markup=False),
            Horizontal(
                Vertical(face_image(image_class, thumbnails.get(row.face)), classes="suggested"),
                Vertical(
                    Label(f"{subject.name}:", markup=False),
                    Horizontal(*(face_image(image_class, thumbnails.get(f)) for f in examples)),
                    classes="examples",
                ),
                classes="pair",
            ),
        ]

    async def show(self) -> None:
        self._pick(self.roost.state())
        review = self.query_one("#review")
        await review.remove_children()
        await review.mount_all(self._widgets())

    async def action_yes(self) -> None:
        row = self._current
        if row is not None and row.subject is not None:
            name = self._state.labels.subjects[row.subject].name
            face = row.face
            await self.act(f"Yes, {name}", lambda library: edits.confirm(library, [face]))

    async def action_no(self) -> None:
        row = self._current
        if row is not None and row.subject is not None:
            name, face, who = self._state.labels.subjects[row.subject].name, row.face, row.subject
            await self.act(f"Not {name}", lambda library: edits.reject(library, face, who))

    async def action_skip(self) -> None:
        if self._current is not None:
            self._skipped.add(self._current.face)
            await self.show()

    async def action_photo(self) -> None:
        if self._current is not None:
            await self.app.push_screen(PhotoScreen(self.session, self._current.media_hash))
