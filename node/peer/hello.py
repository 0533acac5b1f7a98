"""Both halves of `Hello`: what this device says about itself, and what it keeps from a peer's.

A greeting's claims (id, name) must match the sender's certificate: on the server side that is
the TLS client certificate; on the client side it is the certificate in the reply, which must be
signed by the family CA and carry the key of the device we dialed (TLS already pinned that id).
Each side keeps the other's revocation list if it is newer and CA-signed, so a revocation
reaches every member that talks to any member who has it.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import logging
from collections.abc import Callable

from node.family.directory import Directory
from node.family.identity import Identity
from node.family.revocations import RevocationStore
from node.peer import PeerError
from node.peer.client import PeerClient
from protocol.gen import roost_pb2
from protocol.identity import (
    IdentityError,
    Member,
    cert_to_der,
    certificate_from_der,
    verify_member,
)
from protocol.wire import PROTOCOL_VERSION

# Optional features a peer may rely on. Hello and Ping are not listed: every version has them.
CAPABILITIES = ("revocation-gossip", "labels", "search", "originals")

log = logging.getLogger(__name__)


class Greeter:
    def __init__(
        self,
        identity: Identity,
        revocations: RevocationStore,
        directory: Directory,
        listen_port: int = 0,
    ) -> None:
        self._identity = identity
        self._revocations = revocations
        self._directory = directory
        self._listen_port = listen_port
        # What this node offers beyond CAPABILITIES (read at every greeting: a coordinator may
        # start or stop meanwhile), and what each peer last announced.
        self.extra_capabilities: Callable[[], tuple[str, ...]] = tuple
        self.capabilities_of: dict[str, tuple[str, ...]] = {}

    @property
    def listen_port(self) -> int:
        """Where this node serves the family channel (0 for a command that does not serve)."""
        return self._listen_port

    def greeting(self) -> roost_pb2.Greeting:
        greeting = roost_pb2.Greeting(
            device_id=self._identity.device_id,
            name=self._identity.name,
            software_version=_software_version(),
            protocol_version=PROTOCOL_VERSION,
            capabilities=CAPABILITIES + self.extra_capabilities(),
            listen_port=self._listen_port,
            certificate=cert_to_der(self._identity.certificate),
        )
        current = self._revocations.current()
        if current is not None:
            greeting.revocations.CopyFrom(current.signed)
        return greeting

    def absorb(self, greeting: roost_pb2.Greeting, sender: Member, address: str | None) -> None:
        """Keep what an authenticated `sender` told us. Raises `PeerError` if its greeting
        contradicts its certificate."""
        if (greeting.device_id, greeting.name) != (sender.id, sender.name):
            raise PeerError(f"{sender.id} greeted with an id or name not in its certificate")
        if greeting.HasField("revocations"):
            self._revocations.offer(greeting.revocations)
        now = datetime.datetime.now(datetime.UTC)
        self._directory.record(sender, address=address, seen=now)
        self.capabilities_of[sender.id] = tuple(greeting.capabilities)

    def greet(self, client: PeerClient, address: str, device_id: str) -> roost_pb2.Greeting:
        """Say Hello to `device_id` at `address` and keep what it answers."""
        reply = client.hello(address, device_id, self.greeting())
        try:
            certificate = certificate_from_der(reply.certificate)
            sender = verify_member(certificate, self._identity.ca_certificate)
        except (ValueError, IdentityError) as exc:
            raise PeerError(f"{address}: answered with a bad certificate: {exc}") from exc
        if sender.id != device_id:
            raise PeerError(f"{address}: answered with the certificate of {sender.id}")
        self.absorb(reply, sender, address)
        log.info("hello: %s (%s) at %s", sender.name, sender.id, address)
        return reply


def _software_version() -> str:
    try:
        return importlib.metadata.version("roost")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
