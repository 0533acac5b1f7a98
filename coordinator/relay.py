"""The coordinator's half of the federated-learning tunnel: the only way to its SuperLink.

The SuperLink listens on loopback: Flower serves its Control API (start runs, register nodes;
no login) on the same port as the Fleet API, so it must never be reachable from the network.
This relay is what the family reaches instead: TLS 1.3 under this device's family certificate,
client certificates required and checked against the family CA and revocation list, then the
`protocol.fleet` preamble, whose SuperNode key `join` registers for that device, then bytes
passed through to the SuperLink. Anyone else fails the handshake and is never connected to
Flower at all. (A family member can, through it, reach the Control API as well as the Fleet API:
members are trusted, as on the peer channel.)
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable

from node.family.identity import Identity
from node.family.revocations import RevocationStore
from node.model.tunnel import HANDSHAKE_SECONDS, member_of, splice, tls_context
from protocol.fleet import HEADER, FleetError, key_length
from protocol.identity import Member

MAX_CONNECTIONS = 256  # all devices together; beyond it connections are refused, not queued

log = logging.getLogger("roost.coordinator")


class Relay:
    def __init__(
        self,
        listen: tuple[str, int],
        identity: Identity,
        revocations: RevocationStore,
        superlink_port: int,
        join: Callable[[Member, bytes], bool],
    ) -> None:
        self._identity = identity
        self._revocations = revocations
        self._superlink_port = superlink_port
        self._join = join
        self._context = tls_context(identity, server=True)
        self._listener = socket.create_server(listen)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._closed = threading.Event()
        self._counts_lock = threading.Lock()
        self.sent: dict[str, int] = {}  # device id → bytes it sent through the relay
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, name="fleet-relay", daemon=True).start()

    def point_at(self, superlink_port: int) -> None:
        """Where new tunnels go (a restarted SuperLink listens on a new port)."""
        self._superlink_port = superlink_port

    def _count(self, device: str, n: int) -> None:
        with self._counts_lock:
            self.sent[device] = self.sent.get(device, 0) + n

    def close(self) -> None:
        self._closed.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                raw, peer = self._listener.accept()
            except OSError:
                return
            if not self._slots.acquire(blocking=False):
                raw.close()  # refused, not queued: a flood costs connections, not memory
                continue
            threading.Thread(target=self._serve, args=(raw, peer), daemon=True).start()

    def _serve(self, raw: socket.socket, peer: tuple[str, int]) -> None:
        try:
            admitted = self._admit(raw, peer)
            if admitted is None:
                raw.close()
                return
            tunnel, member = admitted
            try:
                link = socket.create_connection(("127.0.0.1", self._superlink_port), 5.0)
            except OSError as exc:
                log.warning("SuperLink unreachable: %s", exc)
                tunnel.close()
                return
            splice(tunnel, link, lambda n: self._count(member.id, n))
        finally:
            self._slots.release()

    def _admit(
        self, raw: socket.socket, peer: tuple[str, int]
    ) -> tuple[ssl.SSLSocket, Member] | None:
        """The TLS tunnel of a family member whose SuperNode key is registered, or None."""
        raw.settimeout(HANDSHAKE_SECONDS)
        try:
            tunnel = self._context.wrap_socket(raw, server_side=True)
            member = member_of(tunnel, self._identity, self._revocations)
            public_key = _read_exactly(tunnel, key_length(_read_exactly(tunnel, HEADER)))
        except (OSError, ValueError, FleetError) as exc:
            log.warning("fleet tunnel from %s refused: %s", peer[0], exc)
            return None
        if not self._join(member, public_key):
            log.warning("fleet tunnel from %s (%s) refused: not registered", peer[0], member.id)
            tunnel.close()
            return None
        tunnel.settimeout(None)
        return tunnel, member


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise FleetError("the tunnel closed inside its preamble")
        data += chunk
    return data
