"""The bar across the top: the app's tasks with their number keys, the current one marked, so
that switching is learnt by looking rather than by reading the help."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

# (key, mode, label), in key order; the app binds the keys and makes one mode of each.
TASKS = (
    ("1", "people", "People"),
    ("2", "review", "Review"),
    ("3", "search", "Search"),
    ("4", "devices", "Devices"),
)


class ModeBar(Widget):
    DEFAULT_CSS = """
    ModeBar { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title

    def render(self) -> Text:
        bar = Text.assemble(("Roost", "bold"), "  ")
        for key, mode, label in TASKS:
            style = "reverse bold" if mode == self.app.current_mode else ""
            bar.append(f" {key} {label} ", style=style)
            bar.append(" ")
        return bar.append(f"  {self._title}", style="italic")
