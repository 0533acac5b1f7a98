"""The peer loop's choices, with the network faked at the Greeter/PeerClient boundary."""

from __future__ import annotations

import datetime
from pathlib import Path

from node.family.directory import Directory
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer import PeerError
from node.peer.dialer import Dialer
from node.peer.discovery import Sighting
from protocol.identity import Member
from tests.family.families import new_family

OWN, SIGHTED, STORED, MANUAL, REVOKED = ("O" * 52, "S" * 52, "T" * 52, "M" * 52, "R" * 52)


class FakeGreeter:
    def __init__(self, answering: set[str]) -> None:
        self.answering = answering
        self.calls: list[tuple[str, str]] = []

    def greet(self, client: object, address: str, device_id: str) -> None:
        self.calls.append((address, device_id))
        if address not in self.answering:
            raise PeerError(f"{address}: UNAVAILABLE")


class FakeClient:
    def __init__(self) -> None:
        self.identified: list[str] = []

    def identify(self, address: str) -> str:
        self.identified.append(address)
        return MANUAL


def test_a_round_greets_every_known_device_once_and_skips_self_and_revoked(
    tmp_path: Path,
) -> None:
    admin = new_family(tmp_path)
    assert admin.ca_key is not None
    revocations = RevocationStore(tmp_path / REVOCATION_FILE, admin.ca_certificate)
    revocations.revoke(REVOKED, admin.ca_key)
    directory = Directory(tmp_path / "devices.json")
    seen = datetime.datetime.now(datetime.UTC)
    directory.record(Member(STORED, "stored"), address="10.0.0.2:1", seen=seen)
    directory.record(Member(REVOKED, "revoked"), address="10.0.0.9:1", seen=seen)
    greeter = FakeGreeter(answering={"10.0.0.1:2", "10.0.0.2:1", "10.0.0.3:1"})
    client = FakeClient()
    dialer = Dialer(
        OWN,
        greeter,  # type: ignore[arg-type]
        client,  # type: ignore[arg-type]
        directory,
        revocations,
        ["10.0.0.3:1"],
        interval=30,
    )
    dialer.sighted(Sighting(OWN, ("10.0.0.8",), 1, None))
    # Two addresses: the first does not answer, so the second is tried.
    dialer.sighted(Sighting(SIGHTED, ("10.0.0.5", "10.0.0.1"), 2, None))

    dialer.round()
    greeted = {device_id for address, device_id in greeter.calls if address in greeter.answering}
    assert greeted == {SIGHTED, STORED, MANUAL}
    assert all(device_id not in (OWN, REVOKED) for _, device_id in greeter.calls)
    assert client.identified == ["10.0.0.3:1"]
    assert ("10.0.0.5:2", SIGHTED) in greeter.calls and ("10.0.0.1:2", SIGHTED) in greeter.calls

    dialer.round()
    assert client.identified == ["10.0.0.3:1"], "a manual address is identified once..."
    greeter.answering.discard("10.0.0.3:1")
    dialer.round()
    dialer.round()
    assert client.identified == ["10.0.0.3:1"] * 2, "...and again after it stops answering"
