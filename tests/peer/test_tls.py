"""TLS 1.3 only: both listeners refuse a TLS 1.2 client, and a Roost client refuses a TLS 1.2
server, with real handshakes on loopback."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.family.directory import Directory
from node.family.identity import Identity
from node.family.invites import InviteBook
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer import PeerError
from node.peer.client import PeerClient, fetch_certificate, unverified_context
from node.peer.hello import Greeter
from node.peer.pairing import PairingService
from node.peer.server import serve_pairing, serve_peers
from node.peer.tls import refuses_tls12
from tests.family.families import add_member, new_family


def handshake(port: int, member: Identity, version: ssl.TLSVersion) -> str | None:
    """Complete a handshake capped at `version` with a family certificate; the version agreed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = version
    context.set_alpn_protocols(["h2"])
    context.load_cert_chain(member.certificate_path, member.key_path)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        return tls.version()


@pytest.fixture
def admin(tmp_path: Path) -> Identity:
    return new_family(tmp_path)


def stores(identity: Identity) -> tuple[RevocationStore, Directory]:
    revocations = RevocationStore(identity.directory / REVOCATION_FILE, identity.ca_certificate)
    return revocations, Directory(identity.directory.parent / "devices.json")


def test_both_listeners_refuse_tls12_and_speak_tls13(admin: Identity, tmp_path: Path) -> None:
    member = add_member(admin, tmp_path, "phone")
    revocations, directory = stores(admin)
    peers, greeter = serve_peers("127.0.0.1:0", admin, revocations, directory)
    assert admin.ca_key is not None
    service = PairingService(
        admin, admin.ca_key, InviteBook(tmp_path / "invites.json"), revocations, directory
    )
    pairing, pairing_port = serve_pairing("127.0.0.1:0", admin, service)
    try:
        for port in (greeter.listen_port, pairing_port):
            with pytest.raises((ssl.SSLError, ConnectionError)):
                handshake(port, member, ssl.TLSVersion.TLSv1_2)
            assert handshake(port, member, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
            refuses_tls12("127.0.0.1", port)  # the check each listener runs at start passes
    finally:
        peers.stop(None)
        pairing.stop(None)


@pytest.fixture
def tls12_server(admin: Identity) -> Iterator[tuple[int, list[str | None]]]:
    """A server holding a real family certificate that speaks TLS 1.2 at most: its port, and
    the versions of the handshakes it completed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])
    context.load_cert_chain(admin.certificate_path, admin.key_path)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    handshakes: list[str | None] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            raw.settimeout(5)
            try:
                with context.wrap_socket(raw, server_side=True) as tls:
                    handshakes.append(tls.version())
            except (ssl.SSLError, OSError):
                raw.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], handshakes
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_a_roost_client_refuses_a_tls12_server(
    admin: Identity, tmp_path: Path, tls12_server: tuple[int, list[str | None]]
) -> None:
    member = add_member(admin, tmp_path, "phone")
    revocations, directory = stores(member)
    client = PeerClient(member, revocations)
    port, handshakes = tls12_server
    address = f"127.0.0.1:{port}"
    with pytest.raises(PeerError, match="UNAVAILABLE"):
        Greeter(member, revocations, directory).greet(client, address, admin.device_id)
    with pytest.raises(PeerError, match="handshake failed"):
        client.identify(address)
    with pytest.raises(PeerError, match="handshake failed"):
        fetch_certificate(address, unverified_context())
    assert handshakes == [], "no Roost client may complete a TLS 1.2 handshake"


def test_the_start_check_fails_closed_on_a_listener_that_speaks_tls12(
    tls12_server: tuple[int, list[str | None]],
) -> None:
    with pytest.raises(PeerError, match=r"accepted TLSv1\.2"):
        refuses_tls12("0.0.0.0", tls12_server[0])
