"""The node's half of the federated-learning tunnel: a loopback port for the SuperNode whose
every connection becomes a mutual-TLS connection to the coordinator's relay.

Flower's SuperNode speaks plain HTTP to what it thinks is the SuperLink; that is a port on this
device's loopback, and what leaves the device is TLS 1.3 with this device's family certificate,
to a server that must present a certificate of the same family (and, when the coordinator's id
is known, that device's). The first bytes in the tunnel are `protocol.fleet`'s preamble, so the
coordinator learns this SuperNode's authentication key from an authenticated family device.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from cryptography import x509

from node.family.identity import Identity
from node.family.revocations import RevocationStore
from node.peer.address import parse
from protocol.fleet import encode
from protocol.identity import Member, verify_member

HANDSHAKE_SECONDS = 10.0
MAX_TUNNELS = 64  # per node: Flower's HTTP client opens many connections at once
SLOT_WAIT_SECONDS = 60.0
_CHUNK = 65536

log = logging.getLogger("roost.fleet")


def tls_context(identity: Identity, server: bool) -> ssl.SSLContext:
    """TLS 1.3 with this device's family certificate, trusting only the family CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(identity.certificate_path, identity.key_path)
    context.load_verify_locations(cadata=identity.ca_pem().decode())
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = False  # the peer is named by its key's id, checked in `member_of`
    return context


def member_of(
    connection: ssl.SSLSocket, identity: Identity, revocations: RevocationStore
) -> Member:
    """Who is on the other end, from its certificate's key; raises ValueError if it is not a
    current, unrevoked member of this family."""
    der = connection.getpeercert(binary_form=True)
    if der is None:
        raise ValueError("no certificate")
    member = verify_member(x509.load_der_x509_certificate(der), identity.ca_certificate)
    if revocations.is_revoked(member.id):
        raise ValueError(f"{member.id} is revoked")
    return member


def splice(
    a: socket.socket, b: socket.socket, counted: Callable[[int], None] = lambda _: None
) -> None:
    """Copy bytes both ways until either side closes, then close both; `counted` hears how
    many bytes went from a to b.

    One thread serves both directions: an OpenSSL connection must not be read in one thread
    while another writes it (that crashed a node in testing). Reads are non-blocking, because a
    TLS record may carry no data at all (TLS 1.3 session tickets arrive right after the
    handshake): a blocking read would then wait for data that the other direction is waiting to
    send. Flower speaks HTTP/1.1 through the tunnel, request then response, so the blocking
    sends never wait on this loop."""
    other = {a: b, b: a}
    with selectors.DefaultSelector() as selector:
        for side in (a, b):
            side.setblocking(False)
            selector.register(side, selectors.EVENT_READ)
        try:
            # Bytes a TLS side already decrypted (read with the preamble) are in no socket
            # buffer that select could see: hand them on first.
            for side in [s for s in (a, b) if isinstance(s, ssl.SSLSocket) and s.pending()]:
                if not _forward(side, other[side], counted if side is a else None):
                    return
            while True:
                for key, _ in selector.select():
                    source = key.fileobj
                    assert isinstance(source, socket.socket)
                    if not _forward(source, other[source], counted if source is a else None):
                        return
        except OSError:
            return
        finally:
            for side in (a, b):
                with contextlib.suppress(OSError):
                    side.close()


def _forward(
    source: socket.socket, sink: socket.socket, counted: Callable[[int], None] | None
) -> bool:
    """Move what `source` has (and, for TLS, what it already decrypted) to `sink`; False once
    `source` has closed."""
    while True:
        try:
            data = source.recv(_CHUNK)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return True  # nothing yet, or a record without data
        if not data:
            return False
        sink.setblocking(True)
        sink.sendall(data)
        sink.setblocking(False)
        if counted is not None:
            counted(len(data))
        if not (isinstance(source, ssl.SSLSocket) and source.pending()):
            return True


class Forwarder:
    """Listens on 127.0.0.1 for the SuperNode and tunnels each connection to `coordinator()`,
    a (HOST:PORT, device id or None) that may change while the node runs."""

    def __init__(
        self,
        identity: Identity,
        revocations: RevocationStore,
        public_key: Path,
        coordinator: Callable[[], tuple[str, str | None] | None],
    ) -> None:
        self._identity = identity
        self._revocations = revocations
        self._preamble = encode(public_key.read_bytes())
        self._coordinator = coordinator
        self._context = tls_context(identity, server=False)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._slots = threading.BoundedSemaphore(MAX_TUNNELS)
        self._closed = threading.Event()
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, name="fleet-forwarder", daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                local, _ = self._listener.accept()
            except OSError:
                return
            # The SuperNode is this device's own: its excess connections wait, not fail.
            if not self._slots.acquire(timeout=SLOT_WAIT_SECONDS):
                local.close()
                continue
            threading.Thread(target=self._serve, args=(local,), daemon=True).start()

    def _serve(self, local: socket.socket) -> None:
        try:
            remote = self._dial()
            if remote is None:
                local.close()
                return
            splice(local, remote)
        finally:
            self._slots.release()

    def _dial(self) -> ssl.SSLSocket | None:
        target = self._coordinator()
        if target is None:
            return None
        address, expected = target
        try:
            raw = socket.create_connection(parse(address), HANDSHAKE_SECONDS)
            remote = self._context.wrap_socket(raw)
            member = member_of(remote, self._identity, self._revocations)
            if expected is not None and member.id != expected:
                raise ValueError(f"{address} is {member.id}, not the coordinator {expected}")
            remote.settimeout(None)
            remote.sendall(self._preamble)
        except (OSError, ValueError) as exc:
            log.warning("coordinator at %s: %s", address, exc)
            return None
        return remote
