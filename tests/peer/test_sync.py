"""Label sync between real libraries over real mutual TLS on loopback, and fan-out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from node.family import FamilyError
from node.peer import PeerError
from node.peer.device import Device
from node.peer.fanout import Peer, fan_out
from node.peer.labels import LabelsService, sync_with
from node.peer.services import PeerService
from node.people.state import read_state
from protocol.gen import roost_pb2
from protocol.labels import MAX_BATCH_EVENTS, Edit, Op
from tests.integration.nodes import REPO, roost_here, wait_for
from tests.peer.devices import Member, family

DEADLINE = 20.0


def sync(member: Member, other: Member) -> Any:
    return sync_with(member.device, other.peer, time.monotonic() + DEADLINE)


def test_sync_pulls_and_pushes_only_what_is_missing(tmp_path: Path) -> None:
    with family(tmp_path, ["admin", "phone"]) as (admin, phone):
        admin.name_new("Alice")
        phone.name_new("Bob")
        phone.name_new("Carl")
        moved = sync(phone, admin)
        assert (moved.received, moved.sent, moved.held) == (1, 2, [])
        again = sync(phone, admin)
        assert (again.received, again.sent) == (0, 0), "a second sync moves nothing"
        both = [{e.id for e in m.log().read()} for m in (admin, phone)]
        assert both[0] == both[1] and len(both[0]) == 3
        # A name given on another device is listed here, with no faces of its own.
        people = roost_here(phone.device.home.root, "people", "--json").json()
        assert {(p["name"], p["faces"]) for p in people if p["kind"] == "person"} == {
            ("Alice", 0), ("Bob", 0), ("Carl", 0),
        }  # fmt: skip


def test_names_given_apart_settle_to_one_subject_everywhere(tmp_path: Path) -> None:
    """Two devices each create an "Alice" while apart: after sync both fold to one Alice
    holding both devices' faces, and which device wrote each event is its device id."""
    with family(tmp_path, ["admin", "phone", "laptop"]) as members:
        for member, face in zip(
            members[:2], ("00000000000000aa-0", "00000000000000bb-0"), strict=True
        ):
            made = member.name_new("Alice")
            log = member.log()
            log.append([Edit(Op.ASSIGN, made[0].edit.subject, faces=(face,))], log.read())
        sync(members[0], members[1])
        sync(members[2], members[1])
        sync(members[0], members[2])
        states = [read_state(m.device.library).labels for m in members]
        alices = [labels.by_name("Alice") for labels in states]
        assert alices[0] is not None and len({a.id for a in alices if a}) == 1
        assert all(
            labels.confirmed()
            == {"00000000000000aa-0": alices[0].id, "00000000000000bb-0": alices[0].id}
            for labels in states
        )
        writers = {e.replica for e in members[2].log().read()}
        assert writers == {members[0].device.id, members[1].device.id}


class GatedLabels(LabelsService):
    """Streams its first batch, then waits for the test before the rest."""

    gate = threading.Event()

    def Pull(
        self, request: roost_pb2.VersionVector, context: grpc.ServicerContext
    ) -> Iterator[Any]:
        for n, batch in enumerate(super().Pull(request, context)):
            yield batch
            if n == 0:
                self.gate.wait(30)


def gated(device: Device) -> list[PeerService]:
    return [GatedLabels(device)]


def test_a_kill_mid_sync_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    """`roost sync` is SIGKILLed after absorbing its first batch of three; the next sync takes
    exactly the rest: every event once."""
    with family(tmp_path, ["admin", "phone"], services=gated) as (admin, phone):
        log = admin.log()
        edits = [
            Edit(Op.SUBJECT, f"00000000-0000-4000-8000-{n:012d}")
            for n in range(2 * MAX_BATCH_EVENTS + 10)
        ]
        log.append(edits, [])
        home = phone.device.home.root
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        process = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "--home", str(home), "sync", "--json"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for("the first batch to commit", lambda: phone.log().read(), timeout=60)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            GatedLabels.gate.set()
        assert len(phone.log().read()) == MAX_BATCH_EVENTS
        moved = sync(phone, admin)
        assert moved.received == len(edits) - MAX_BATCH_EVENTS
        rows = phone.log().table.count_rows()
        assert rows == len(edits) == len({e.id for e in phone.log().read()})
        assert {e.id for e in phone.log().read()} == {e.id for e in admin.log().read()}


def test_a_revoked_device_gets_no_events_and_its_own_are_refused(tmp_path: Path) -> None:
    with family(tmp_path, ["admin", "phone", "laptop"]) as (admin, phone, laptop):
        admin.name_new("Alice")
        laptop.name_new("Mallory")
        sync(phone, laptop)  # before the revocation, the phone took the laptop's event
        ca_key = admin.device.identity.ca_key
        assert ca_key is not None
        for member in (admin, phone):
            member.device.revocations.revoke(laptop.device.id, ca_key)
        with pytest.raises(PeerError, match="PERMISSION_DENIED"):
            sync(laptop, admin)
        assert {e.edit.name for e in laptop.log().read()} == {"Mallory"}, "nothing reached it"
        # Relayed by a member, events the revoked device wrote are still refused.
        moved = sync(admin, phone)
        assert moved.received == 0 and any("revoked" in reason for reason in moved.held)
        assert {e.edit.name for e in admin.log().read()} == {"Alice"}
        # And members do not call it.
        with pytest.raises(PeerError, match="revoked; not calling"):
            sync(phone, laptop)


def test_fan_out_reports_every_device_and_never_waits_past_the_deadline() -> None:
    peers = [Peer(name, name, ("127.0.0.1:1",)) for name in ("fast", "broken", "stuck")]
    release = threading.Event()

    def call(peer: Peer, deadline: float) -> str:
        if peer.name == "broken":
            raise PeerError("127.0.0.1:1: UNAVAILABLE: connection refused")
        if peer.name == "stuck":
            release.wait(30)
        return f"hits from {peer.name}"

    try:
        outcomes = fan_out(peers, call, timeout=0.5)
    finally:
        release.set()
    assert [(o.peer.name, o.value, o.answered) for o in outcomes] == [
        ("fast", "hits from fast", True), ("broken", None, False), ("stuck", None, False),
    ]  # fmt: skip
    assert "UNAVAILABLE" in (outcomes[1].error or "")
    assert outcomes[2].error == "no answer within 0.5 s"

    def bug(peer: Peer, deadline: float) -> str:
        raise KeyError("a bug is not a peer's failure")

    with pytest.raises(KeyError):
        fan_out(peers[:1], bug, timeout=1)
    assert issubclass(PeerError, FamilyError)


def test_roost_sync_reports_what_moved_and_who_did_not_answer(tmp_path: Path) -> None:
    with family(tmp_path, ["admin", "phone", "laptop"]) as (admin, phone, laptop):
        admin.name_new("Alice")
        laptop.stop()
        report = roost_here(phone.device.home.root, "sync", "--json", "--timeout", "5").json()
        rows = {row["name"]: row for row in report["peers"]}
        assert set(rows) == {"admin", "laptop"}
        assert (rows["admin"]["received"], rows["admin"]["sent"], rows["admin"]["error"]) == (
            1,
            0,
            None,
        )
        assert rows["laptop"]["error"] and rows["laptop"]["received"] == 0
        assert set(rows["admin"]) == {"id", "name", "sent", "received", "held", "error"}
