"""What a node announces over mDNS and how it reads others' announcements (no network here:
anything that multicasts runs in tests/integration/test_discovery.py, inside a namespace)."""

from __future__ import annotations

import socket

from zeroconf import ServiceInfo

from node.peer.discovery import _read, announcement
from protocol.identity import key_id, new_key
from protocol.wire import SERVICE_TYPE

DEVICE_ID = key_id(new_key().public_key())


def test_the_announcement_names_the_device_by_id_and_carries_nothing_else() -> None:
    info = announcement(DEVICE_ID, ["192.168.1.20"], 47470, pairing_port=47471)
    assert info.name == f"{DEVICE_ID}.{SERVICE_TYPE}"
    assert info.properties == {b"id": DEVICE_ID.encode(), b"pv": b"1", b"pair": b"47471"}
    assert info.parsed_addresses() == ["192.168.1.20"] and info.port == 47470
    member = announcement(DEVICE_ID, ["192.168.1.20"], 47470, pairing_port=None)
    assert b"pair" not in member.properties


def test_reading_an_announcement_back() -> None:
    sighting = _read(
        f"{DEVICE_ID}.{SERVICE_TYPE}", announcement(DEVICE_ID, ["10.0.0.7"], 5000, 5001)
    )
    assert sighting is not None
    assert (sighting.device_id, sighting.pairing_port) == (DEVICE_ID, 5001)
    assert sighting.addresses() == ["10.0.0.7:5000"]


def test_malformed_announcements_are_ignored() -> None:
    def info(name: str, properties: dict[str, str]) -> ServiceInfo:
        return ServiceInfo(
            SERVICE_TYPE,
            name,
            addresses=[socket.inet_aton("10.0.0.7")],
            port=5000,
            properties=properties,
        )

    other = key_id(new_key().public_key())
    assert (
        _read(f"{other}.{SERVICE_TYPE}", info(f"{other}.{SERVICE_TYPE}", {"id": DEVICE_ID})) is None
    )
    bogus = f"printer.{SERVICE_TYPE}"
    assert _read(bogus, info(bogus, {"id": "printer"})) is None
    assert _read(bogus, info(bogus, {})) is None
