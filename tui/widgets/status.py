"""The status line under every screen: how big the index is, the running node's indexing as it
goes (or another run writing the index), the node and the family, so that the user knows what
the screens are showing. It rereads all of it every `every` seconds."""

from __future__ import annotations

from textual.widgets import Static

from tui.data import Overview, Roost


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """

    def __init__(self, roost: Roost, every: float | None) -> None:
        super().__init__(markup=False)
        self._roost, self._every = roost, every

    def on_mount(self) -> None:
        self.show()
        if self._every is not None:
            self.set_interval(self._every, self.show)

    def show(self) -> None:
        self.update(describe(self._roost.overview()))


def describe(overview: Overview) -> str:
    o = overview
    parts = [
        count(o.photos, "photo"),
        count(o.faces, "face"),
        f"{o.people + o.pets} named",
        f"{o.clusters} unnamed",
        f"{o.suggestions} to review",
    ]
    if o.indexing is not None:
        parts.append(o.indexing)  # the node's own indexing, live
    if o.writer is not None:
        parts.append(f"indexing ({o.writer})")  # another process: a `roost index`
    parts.append("node off" if o.node is None else f"node on {o.node}".rstrip())
    parts.append("no family yet" if o.devices is None else count(o.devices, "family device"))
    return " · ".join(parts)


def count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
