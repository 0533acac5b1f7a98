"""This device as the peer layer sees it: one home's identity, revocations, known devices and
library, wired once for the node, the CLI and the TUI alike."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from node.family import identity as identity_files
from node.family.directory import Directory
from node.family.identity import Identity
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer.client import PeerClient
from node.peer.fanout import Peer
from node.settings import Home

if TYPE_CHECKING:
    from node.library.store import Library


@dataclass(frozen=True)
class Device:
    home: Home
    identity: Identity
    revocations: RevocationStore
    directory: Directory
    interceptors: tuple[Any, ...] = ()  # gRPC client interceptors on every call it makes

    @classmethod
    def load(cls, home: Home) -> Device:
        """This home's device; FamilyError if it is in no family."""
        identity = identity_files.load(home.identity)
        revocations = RevocationStore(home.identity / REVOCATION_FILE, identity.ca_certificate)
        return cls(home, identity, revocations, Directory(home.devices))

    @property
    def id(self) -> str:
        return self.identity.device_id

    @property
    def name(self) -> str:
        return self.identity.name

    @cached_property
    def library(self) -> Library:
        """Opened on first use: the peer layer alone (Hello, pairing, a command handing its
        query to the node) never needs it, nor the seconds its database takes to import."""
        from node.library.store import Library

        return Library.open(self.home.library)

    def client(self) -> PeerClient:
        """The one client this device calls others with, so its open channels are reused."""
        return self._client

    @cached_property
    def _client(self) -> PeerClient:
        return PeerClient(self.identity, self.revocations, self.interceptors)

    def peers(self) -> list[Peer]:
        """The other family devices this one can try to reach: known, with an address, and
        not revoked; by name."""
        records = sorted(self.directory.all().values(), key=lambda r: (r.name.casefold(), r.id))
        return [
            Peer(record.id, record.name, record.addresses)
            for record in records
            if record.id != self.id
            and record.addresses
            and not self.revocations.is_revoked(record.id)
        ]
