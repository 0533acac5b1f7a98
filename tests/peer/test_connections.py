"""The per-address connection cap, against a real listener: one address flooding connections
keeps only the cap, the oldest ones; other addresses and family calls are unaffected."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.family.directory import Directory
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer.client import PeerClient
from node.peer.connections import ConnectionCap
from node.peer.hello import Greeter
from node.peer.server import serve_peers
from tests.family.families import add_member, new_family
from tests.integration.nodes import wait_for

CAP = 4


def connect(port: int, source: str) -> socket.socket:
    """A TCP connection from `source` (any 127/8 address is this machine) that never speaks."""
    return socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))


def hung_up(sock: socket.socket) -> bool:
    """Whether the server closed `sock` (a held-open one just times out)."""
    sock.settimeout(0.3)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[int, Greeter, PeerClient, str]]:
    admin = new_family(tmp_path)
    phone = add_member(admin, tmp_path, "phone")
    revocations = RevocationStore(admin.directory / REVOCATION_FILE, admin.ca_certificate)
    server, greeter = serve_peers(
        "127.0.0.1:0", admin, revocations, Directory(tmp_path / "devices.json")
    )
    phone_revocations = RevocationStore(phone.directory / REVOCATION_FILE, phone.ca_certificate)
    phone_greeter = Greeter(phone, phone_revocations, Directory(tmp_path / "phone.json"))
    try:
        yield (
            greeter.listen_port,
            phone_greeter,
            PeerClient(phone, phone_revocations),
            admin.device_id,
        )
    finally:
        server.stop(None)


def test_an_address_keeps_only_its_oldest_connections(
    listener: tuple[int, Greeter, PeerClient, str],
) -> None:
    port, phone, client, admin_id = listener
    cap = ConnectionCap([port], per_address=CAP)
    flood = "127.0.0.2"
    oldest = [connect(port, flood) for _ in range(CAP)]
    neighbours = [connect(port, "127.0.0.3") for _ in range(CAP)]
    wait_for("the listener to accept", lambda: cap.open_connections().get(flood) == CAP)
    assert cap.sweep() == 0, "nobody is over the cap yet"
    newer = [connect(port, flood) for _ in range(3 * CAP)]
    wait_for("the flood to be accepted", lambda: cap.open_connections().get(flood) == 4 * CAP)
    assert cap.sweep() == 3 * CAP
    try:
        assert all(hung_up(sock) for sock in newer)
        assert not any(hung_up(sock) for sock in oldest + neighbours)
        assert cap.open_connections()[flood] == CAP
        # A family device at another address is served while the flood holds its share.
        assert phone.greet(client, f"127.0.0.1:{port}", admin_id).device_id == admin_id
        assert cap.sweep() == 0
    finally:
        for sock in oldest + neighbours + newer:
            sock.close()


def test_the_cap_ignores_other_ports(listener: tuple[int, Greeter, PeerClient, str]) -> None:
    port, *_ = listener
    cap = ConnectionCap([port + 1], per_address=0)  # a port nobody uses here: nothing to cap
    held = [connect(port, "127.0.0.2") for _ in range(3)]
    try:
        assert cap.sweep() == 0
        assert not any(hung_up(sock) for sock in held)
    finally:
        for sock in held:
            sock.close()
