"""The dialog that asks for a name, completing the names already given.

Completing matters more than it looks: names are unique, so typing an existing name adds the
faces to that person or pet (the merge), and a typo makes a second person. The dialog lists
the existing names that match what is typed and Tab takes the first of them.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static


class NameDialog(ModalScreen[str | None]):
    DEFAULT_CSS = """
    NameDialog { align: center middle; }
    NameDialog > Vertical {
        width: 64; height: auto; padding: 1 2; border: thick $accent; background: $surface;
    }
    NameDialog .title { text-style: bold; margin-bottom: 1; }
    NameDialog .matches { color: $text-muted; height: 1; }
    NameDialog .keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("tab", "complete", "Complete", priority=True),
    ]

    def __init__(self, title: str, names: list[str]) -> None:
        super().__init__()
        self._title = title
        self._names = sorted(names, key=str.casefold)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="title", markup=False)
            yield Input(
                placeholder="a name",
                suggester=SuggestFromList(self._names, case_sensitive=False),
            )
            yield Static("", classes="matches", markup=False)
            yield Static(
                "Enter: name · Tab: complete · Esc: cancel. An existing name adds these faces "
                "to that person or pet.",
                classes="keys",
            )

    def _matches(self, typed: str) -> list[str]:
        start = " ".join(typed.split()).casefold()
        return [name for name in self._names if start and name.casefold().startswith(start)]

    def on_input_changed(self, event: Input.Changed) -> None:
        matches = self._matches(event.value)
        text = f"existing: {', '.join(matches)}" if matches else ""
        if event.value.strip() and not matches:
            text = "a new name"
        self.query_one(".matches", Static).update(text)

    def action_complete(self) -> None:
        field = self.query_one(Input)
        matches = self._matches(field.value)
        if matches:
            field.value = matches[0]
            field.cursor_position = len(field.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
