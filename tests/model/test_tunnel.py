"""The fleet tunnel with real TLS on loopback: family members get through, with their SuperNode
key announced; outsiders, revoked members and impostor coordinators do not."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coordinator.relay import Relay
from node.family.identity import Identity
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.model.supernode import supernode_key
from node.model.tunnel import Forwarder, tls_context
from protocol.fleet import encode
from protocol.identity import Member
from tests.family.families import add_member, new_family


def revocations(identity: Identity) -> RevocationStore:
    return RevocationStore(identity.directory / REVOCATION_FILE, identity.ca_certificate)


@pytest.fixture
def echo() -> Iterator[int]:
    """A stand-in for the SuperLink's port: echoes what it gets."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(4096):
                    conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


class Coordinator:
    def __init__(self, admin: Identity, echo: int) -> None:
        self.joined: list[tuple[str, bytes]] = []
        self.relay = Relay(("127.0.0.1", 0), admin, revocations(admin), echo, self.join)
        self.address = f"127.0.0.1:{self.relay.port}"

    def join(self, member: Member, key: bytes) -> bool:
        self.joined.append((member.id, key))
        return True


def roundtrip(forwarder: Forwarder) -> bytes:
    with socket.create_connection(("127.0.0.1", forwarder.port), 5) as s:
        s.settimeout(5)
        time.sleep(0.5)  # let the tunnel's TLS settle (session tickets) before the first byte
        s.sendall(b"GET /health HTTP/1.1\r\n\r\n")
        try:
            return s.recv(4096)
        except (ConnectionResetError, TimeoutError):
            return b""


def node(identity: Identity, root: Path, target: tuple[str, str | None]) -> Forwarder:
    _, public = supernode_key(root / identity.name)
    return Forwarder(identity, revocations(identity), public, lambda: target)


def test_members_through_outsiders_and_revoked_not(tmp_path: Path, echo: int) -> None:
    admin = new_family(tmp_path)
    member = add_member(admin, tmp_path, "phone")
    outsider = new_family(tmp_path, family="Others", admin="stranger")
    coordinator = Coordinator(admin, echo)
    pinned = (coordinator.address, admin.device_id)

    phone = node(member, tmp_path, pinned)
    assert roundtrip(phone) == b"GET /health HTTP/1.1\r\n\r\n"
    key = (tmp_path / "phone" / "supernode.pub").read_bytes()
    assert coordinator.joined == [(member.device_id, key)]

    assert roundtrip(node(outsider, tmp_path, (coordinator.address, None))) == b""
    impostor = node(member, tmp_path, (coordinator.address, member.device_id))  # wrong pin
    assert roundtrip(impostor) == b""

    assert admin.ca_key is not None
    revocations(admin).revoke(member.device_id, admin.ca_key)
    assert roundtrip(phone) == b""
    assert [device for device, _ in coordinator.joined] == [member.device_id]  # nobody else


def test_a_tunnel_without_a_preamble_never_reaches_the_superlink(tmp_path: Path, echo: int) -> None:
    admin = new_family(tmp_path)
    member = add_member(admin, tmp_path, "phone")
    coordinator = Coordinator(admin, echo)
    context = tls_context(member, server=False)
    for garbage in (b"GET / HTTP/1.1\r\n\r\n", encode(b"k")[:-1] + b"", b"ROOST-FLEET 1\n\xff\xff"):
        with socket.create_connection(("127.0.0.1", coordinator.relay.port), 5) as raw:
            tls = context.wrap_socket(raw)
            tls.settimeout(5)
            tls.sendall(garbage)
            with pytest.raises((ssl.SSLError, ConnectionResetError, TimeoutError, OSError)):
                if not tls.recv(100):
                    raise ConnectionResetError("closed")
    assert coordinator.joined == []
