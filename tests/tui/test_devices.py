"""The devices screen and the status line: the family as this device knows it (or none), an
index run under way, the running node."""

from __future__ import annotations

import fcntl
import json
import os
from datetime import timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from node.family import identity as identity_files
from node.family.directory import Directory
from node.library.store import Library, write_lock
from node.peer.status import Exchange, PeerStatus
from node.people.state import read_state
from node.settings import Home
from tests.conftest import roost
from tests.family.families import add_member
from tests.tui.conftest import NOW, drive, text_of
from tui.widgets.status import StatusLine


def shown(pilot: Pilot[None]) -> list[str]:
    return [text_of(w) for w in pilot.app.screen.query(Static)]


def test_a_family_and_when_its_devices_were_seen(home: Home, tmp_path: Path) -> None:
    admin = identity_files.create_family(home.identity, "Testers", "laptop")
    phone = add_member(admin, tmp_path / "devices", "phone")
    Directory(home.devices).record(
        phone.member, address="192.168.1.20:47000", seen=(NOW - timedelta(hours=3)).astimezone()
    )
    heard = PeerStatus(home.peer_status)
    heard.record(Exchange.SYNC, {phone.device_id: None}, at=(NOW - timedelta(hours=3)).astimezone())
    heard.record(Exchange.SEARCH, {phone.device_id: "no answer within 3 s"}, at=NOW.astimezone())
    texts: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("4")
        texts.extend(shown(pilot))

    drive(home, scenario)
    family = next(t for t in texts if t.startswith("Family Testers"))
    assert "this device: laptop" in family and "the family's admin" in family
    (phone_row,) = [line for line in family.splitlines() if line.startswith("phone")]
    assert phone_row.split() == ["phone", f"{phone.device_id[:8]}…", "3", "hours", "ago",
                                 "3", "hours", "ago", "no", "answer", "(just", "now)",
                                 "192.168.1.20:47000"]  # fmt: skip
    status = next(t for t in texts if "photos ·" in t)
    assert status.endswith("1 family device")


def test_no_family_yet(home: Home) -> None:
    texts: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("4")
        texts.extend(shown(pilot))
        texts.append(text_of(pilot.app.screen.query_one(StatusLine)))

    drive(home, scenario)
    assert any(t.startswith("No family yet.") for t in texts)
    assert texts[-1] == (
        "63 photos · 67 faces · 0 named · 16 unnamed · 0 to review · node off · no family yet"
    )


def test_roost_tui_without_a_library_says_what_to_do(tmp_path: Path) -> None:
    result = roost("tui", home=tmp_path / "home", check=False)
    assert result.returncode == 1
    assert "roost index" in result.stderr and "Traceback" not in result.stderr


def test_an_index_run_and_the_node_show_and_edits_go_through(home: Home) -> None:
    """`roost index` holds the library's index lock for its whole run, and a running node holds
    node.lock and writes node.json: the status line reads both; an edit meanwhile does not wait
    for the run (it takes only the labels lock) and is in the log."""
    library = Library.open(home.library)
    events = len(read_state(library).events)
    home.node_state.write_text(
        json.dumps({"pid": 1, "hosts": [], "port": 47001, "pairing_port": None})
    )
    statuses: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        with open(home.node_lock, "w") as node, write_lock(home.library_lock):
            fcntl.flock(node, fcntl.LOCK_EX)
            await pilot.press("n", "Z", "enter")  # name the first cluster "Z" while "indexing"
            statuses.append(text_of(pilot.app.screen.query_one(StatusLine)))

    drive(home, scenario)
    assert f"indexing (pid {os.getpid()})" in statuses[0] and "node on :47001" in statuses[0]
    state = read_state(library)
    assert len(state.events) > events and state.labels.by_name("Z") is not None
