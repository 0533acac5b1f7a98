"""A device keeps its channels to family devices open between calls, and lets go of those
that stopped answering or were revoked."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from node.peer import PeerError
from node.peer.labels import sync_with
from node.peer.server import serve_peers
from tests.peer.devices import Member, family


def sync(member: Member, other: Member) -> None:
    sync_with(member.device, other.peer, time.monotonic() + 20)


def connections_to(port: int) -> int:
    """This process's TCP connections to `port` (the test is both ends; count the dialing end)."""
    return sum(
        1
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    )


def test_calls_to_a_device_share_one_connection(tmp_path: Path) -> None:
    with family(tmp_path, ["admin", "phone"]) as (admin, phone):
        admin.name_new("Alice")
        port = int(admin.address.rsplit(":", 1)[1])
        for _ in range(3):
            sync(phone, admin)  # a pull and a push each time
        assert phone.device.client().open_channels == 1
        assert connections_to(port) == 1
        phone.device.client().close()
        assert phone.device.client().open_channels == 0


def test_a_device_that_stopped_answering_is_dialed_afresh(tmp_path: Path) -> None:
    with family(tmp_path, ["admin", "phone"]) as (admin, phone):
        sync(phone, admin)
        admin.stop()
        with pytest.raises(PeerError, match="UNAVAILABLE"):
            sync(phone, admin)
        assert phone.device.client().open_channels == 0, "a dead channel is not kept"
        admin.server, _ = serve_peers(
            admin.address,
            admin.device.identity,
            admin.device.revocations,
            admin.device.directory,
            (),
        )
        admin.name_new("Alice")
        with pytest.raises(PeerError, match="UNIMPLEMENTED"):
            sync(phone, admin)  # back, serving nothing: the device answered, on a new channel
        assert phone.device.client().open_channels == 1


def test_a_revoked_device_loses_its_open_channel(tmp_path: Path) -> None:
    with family(tmp_path, ["admin", "phone"]) as (admin, phone):
        sync(admin, phone)
        assert admin.device.client().open_channels == 1
        ca_key = admin.device.identity.ca_key
        assert ca_key is not None
        admin.device.revocations.revoke(phone.device.id, ca_key)
        with pytest.raises(PeerError, match="revoked; not calling"):
            sync(admin, phone)
        assert admin.device.client().open_channels == 0
