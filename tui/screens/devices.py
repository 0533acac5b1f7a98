"""The family's devices as this one knows them, and this device's index: what a family search
will reach, and how much of this device's library is labelled."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from node.family import FamilyError
from node.peer.status import Heard
from node.status import Family
from tui.data import FamilyModel, Overview
from tui.screens.base import RoostScreen
from tui.widgets.status import count


class DevicesScreen(RoostScreen):
    SUB_TITLE = "Devices and index"
    HELP = """
    The family devices this one has paired with or greeted over the family channel (`roost
    node start` keeps greeting them), when names and labels were last synced with each and
    whether it answered the last search, and this device's index.
    """
    DEFAULT_CSS = """
    DevicesScreen VerticalScroll { padding: 1 2; }
    DevicesScreen VerticalScroll > Static { margin-bottom: 1; }
    """

    def body(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="family")
            yield Static(id="index")

    async def on_mount(self) -> None:
        await self.show()

    async def show(self) -> None:
        try:
            family: RenderableType = _family(self.roost.family(), self.roost.now())
        except FamilyError as exc:
            family = Text(str(exc))
        self.query_one("#family", Static).update(family)
        self.query_one("#index", Static).update(
            _index(self.roost.overview(), self.roost.family_model(self.roost.state().labels))
        )


def _family(family: Family | None, now: datetime) -> RenderableType:
    if family is None:
        return Text.assemble(
            ("No family yet.\n", "bold"),
            "Make one with `roost family create NAME` on the first device, then "
            "`roost family invite` there and `roost family join CODE` on each other device.",
        )
    this = family.this_device
    title = Text.assemble(
        (f"Family {family.name}", "bold"),
        f" · this device: {this.name} ({this.id[:8]}…)",
        ", the family's admin" if family.is_admin else "",
    )
    if not family.others:
        return Group(title, Text("No other device has joined yet."))
    table = Table(
        "device", "id", "last seen", "last sync", "last search", "addresses",
        box=None, padding=(0, 2, 0, 0),
    )  # fmt: skip
    for device in family.others:
        seen = "revoked" if device.revoked else ago(device.last_seen, now)
        table.add_row(
            device.name,
            f"{device.id[:8]}…",
            seen,
            _heard(device.sync, now),
            _heard(device.search, now),
            ", ".join(device.addresses) or "-",
        )
    return Group(title, table)


def _heard(heard: Heard | None, now: datetime) -> str:
    """When this device last asked, and whether the other answered."""
    if heard is None:
        return "never"
    when = ago(datetime.fromisoformat(heard.at), now)
    return when if heard.answered else f"no answer ({when})"


def _index(overview: Overview, model: FamilyModel | None) -> RenderableType:
    o = overview
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_row("photos", str(o.photos))
    table.add_row("faces", str(o.faces))
    table.add_row("named", f"{count(o.people, 'person', 'people')}, {count(o.pets, 'pet')}")
    table.add_row("unnamed clusters", str(o.clusters))
    table.add_row("suggestions waiting", str(o.suggestions))
    table.add_row("indexing", o.writer or "not now")
    table.add_row("node", f"running, listening on {o.node}" if o.node else "not running")
    table.add_row("face model", _model(model))
    return Group(Text("This device's index", style="bold"), table)


def _model(model: FamilyModel | None) -> str:
    if model is None:
        return "none yet: names come from this device's labels"
    return (
        f"family model v{model.version}, round {model.round}, "
        f"{count(model.participants, 'device')}, {count(len(model.people), 'person', 'people')}"
    )


def ago(moment: datetime | None, now: datetime) -> str:
    """How long ago, in the largest whole unit: "never", "just now", "3 hours ago"."""
    if moment is None:
        return "never"
    seconds = (now.astimezone() - moment.astimezone()).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return f"{count(int(seconds // size), unit)} ago"
    return "just now"
