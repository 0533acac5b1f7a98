"""What the targets share: one real family, made once per fuzzing process in a temp folder,
and a stand-in for the gRPC context a handler is called with."""

from __future__ import annotations

import datetime
import functools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import grpc

from node.family import identity as identity_files
from node.family.directory import DeviceRecord, Directory
from node.family.identity import Identity
from node.family.revocations import REVOCATION_FILE, RevocationStore
from protocol.identity import Member, cert_to_pem, issue_device_certificate, make_csr, new_key


class Aborted(Exception):
    """What `FakeContext.abort` raises, as grpc's own context does: a refusal, not a crash."""


@dataclass
class FakeContext:
    """The parts of `grpc.ServicerContext` Roost's handlers use, for a caller holding
    `certificate_pem` (None: a caller without a certificate, as on the pairing listener)."""

    certificate_pem: bytes | None
    aborts: list[tuple[grpc.StatusCode, str]] = field(default_factory=list)

    def auth_context(self) -> dict[str, list[bytes]]:
        return {"x509_pem_cert": [self.certificate_pem]} if self.certificate_pem else {}

    def peer(self) -> str:
        return "ipv4:127.0.0.1:40000"

    def time_remaining(self) -> float:
        return 5.0

    def is_active(self) -> bool:
        return True

    def abort(self, code: grpc.StatusCode, details: str) -> NoReturn:
        self.aborts.append((code, details))
        raise Aborted(details)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"handlers are not expected to use context.{name}")


class MemoryDirectory(Directory):
    """Devices kept in memory: fuzzing a handler must not fsync a file per input."""

    def __init__(self) -> None:
        super().__init__(Path("/nonexistent"))
        self._devices: dict[str, DeviceRecord] = {}

    def all(self) -> dict[str, DeviceRecord]:
        return dict(self._devices)

    def record(
        self,
        member: Member,
        *,
        address: str | None = None,
        seen: datetime.datetime | None = None,
    ) -> None:
        self._devices[member.id] = DeviceRecord(
            member.id, member.name, (address,) if address else ()
        )


@dataclass(frozen=True)
class World:
    root: Path
    admin: Identity
    member: Identity

    def revocations(self, identity: Identity) -> RevocationStore:
        return RevocationStore(identity.directory / REVOCATION_FILE, identity.ca_certificate)

    def member_context(self) -> FakeContext:
        return FakeContext(cert_to_pem(self.member.certificate))


@functools.cache
def world() -> World:
    root = Path(tempfile.mkdtemp(prefix="roost-fuzz-"))
    admin = identity_files.create_family(root / "admin" / "identity", "Fuzzers", "admin")
    assert admin.ca_key is not None
    key = new_key()
    certificate = issue_device_certificate(
        make_csr(key, "phone"), admin.ca_certificate, admin.ca_key
    )
    member = identity_files.save(
        root / "phone" / "identity", key, certificate, admin.ca_certificate
    )
    RevocationStore(admin.directory / REVOCATION_FILE, admin.ca_certificate).revoke(
        "A" * 52, admin.ca_key
    )
    return World(root, admin, member)
