"""`roost status [--json]` and the TUI's status line on the real album: the counts, the folders,
and the running node's indexing as it publishes it."""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from node.family.directory import Directory
from node.peer.status import Exchange, PeerStatus
from node.settings import Home
from node.watch.progress import Publisher, Reason, RunReporter
from protocol.identity import Member
from tests.albums import Album, copy_home
from tests.conftest import roost, roost_json
from tests.family.families import add_member, new_family
from tui.data import Roost
from tui.widgets.status import describe

# The album (tests/albums.py): faces/ (61 photos, 64 faces) + a couple (2) + a dog (1 face).
PHOTOS, FACES = 63, 67


def test_status_json_without_a_node(album: Album, tmp_path: Path) -> None:
    home = copy_home(album, tmp_path / "home")
    report = roost_json("status", home=home)
    assert report["home"] == str(home) and report["config"] == str(home / "config.toml")
    assert report["folders"] == [{"path": str(album.photos), "online": True}]
    assert report["folders_remembered"] is True
    library = report["library"]
    assert (library["photos"], library["videos"], library["faces"]) == (PHOTOS, 0, FACES)
    assert (library["people"], library["pets"]) == (0, 0)
    assert library["clusters"] > 0 and library["suggestions"] == 0
    assert (report["writer"], report["node"], report["family"]) == (None, None, None)
    text = roost("status", home=home).stdout
    assert f"{PHOTOS} photos, 0 videos, {FACES} faces" in text and "not running" in text


def test_the_node_indexing_shows_in_status_and_the_tui(album: Album, tmp_path: Path) -> None:
    """A node holds node.lock and writes node.json and its progress: both readers show it."""
    home = Home(copy_home(album, tmp_path / "home"))
    publisher = Publisher(home.indexing)
    reporter = RunReporter(publisher, Reason.CHANGES, lambda: None)
    reporter.start(40)
    for _ in range(12):
        reporter.advance(1)
    publisher.set(pending=3)
    with open(home.node_lock, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        home.node_state.write_text(
            json.dumps({"pid": os.getpid(), "hosts": [], "port": None, "pairing_port": None})
        )
        report = roost_json("status", home=home.root)
        line = describe(Roost(home).overview())
    indexing = report["node"]["indexing"]
    assert report["node"]["pid"] == os.getpid() and report["node"]["port"] is None
    assert indexing["state"] == "indexing" and indexing["pending"] == 3
    assert (indexing["run"]["done"], indexing["run"]["total"]) == (12, 40)
    assert "indexing 12/40 (changes)" in line and "3 changes pending" in line
    assert "node on" in line and "node off" not in line


def test_status_lists_the_family_devices_with_their_last_contact(tmp_path: Path) -> None:
    """A real family identity, a device this one greeted, and one label sync with it."""
    admin = new_family(tmp_path)
    phone = add_member(admin, tmp_path, "phone")
    home = Home(tmp_path / "admin")
    seen = datetime(2025, 6, 1, 9, 58, tzinfo=UTC)
    Directory(home.devices).record(
        Member(phone.device_id, phone.name), address="192.0.2.7:47470", seen=seen
    )
    PeerStatus(home.peer_status).record(Exchange.SYNC, {phone.device_id: None})
    report = roost_json("status", home=home.root)
    family = report["family"]
    assert (family["name"], family["this_device"]) == ("Testers", admin.device_id)
    [device] = family["devices"]
    assert (device["id"], device["name"], device["revoked"]) == (phone.device_id, "phone", False)
    assert device["last_seen"] == seen.isoformat()
    assert device["last_sync"]["answered"] is True and device["last_sync"]["error"] is None
    assert report["library"] is None and report["node"] is None
    text = roost("status", home=home.root).stdout
    assert "family   Testers: 1 other devices" in text and "phone" in text and "synced" in text
