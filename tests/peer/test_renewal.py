"""Certificate renewal over the real family channel: a member whose certificate nears expiry
gets a new one from an admin (same key, same name, a fresh year); a revoked member cannot; a
member that is not an admin refuses; an admin renews its own."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from node.family import identity as identity_files
from node.family.directory import Directory
from node.family.identity import Identity
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.files import write_atomic
from node.peer.client import PeerClient
from node.peer.hello import Greeter
from node.peer.renewal import AdminService, Renewer
from node.peer.server import serve_peers
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.identity import (
    DEVICE_LIFETIME,
    Member,
    cert_to_pem,
    issue_device_certificate,
    make_csr,
)
from tests.family.families import add_member, new_family

SHORT = datetime.timedelta(days=30)  # well within the renewal window


def aged(identity: Identity, ca: Identity) -> Identity:
    """`identity` with its certificate replaced by one that expires in 30 days."""
    assert ca.ca_key is not None
    certificate = issue_device_certificate(
        make_csr(identity.key, identity.name), ca.ca_certificate, ca.ca_key, lifetime=SHORT
    )
    write_atomic(identity.certificate_path, cert_to_pem(certificate), mode=0o644)
    return identity_files.load(identity.directory)


@dataclass
class Device:
    identity: Identity
    revocations: RevocationStore
    directory: Directory
    address: str = ""

    @classmethod
    def of(cls, identity: Identity) -> Device:
        return cls(
            identity,
            RevocationStore(identity.directory / REVOCATION_FILE, identity.ca_certificate),
            Directory(identity.directory.parent / "devices.json"),
        )

    def renewer(self) -> Renewer:
        client = PeerClient(self.identity, self.revocations)
        return Renewer(self.identity, client, self.directory, self.revocations)

    def knows(self, other: Device, seen: datetime.datetime | None = None) -> None:
        self.directory.record(other.identity.member, address=other.address, seen=seen)


@pytest.fixture
def family(tmp_path: Path) -> Iterator[tuple[Device, Device, Device]]:
    """An admin and a plain member, both serving, and an aging member."""
    admin_identity = new_family(tmp_path)
    devices = [
        Device.of(admin_identity),
        Device.of(add_member(admin_identity, tmp_path, "laptop")),
        Device.of(aged(add_member(admin_identity, tmp_path, "phone"), admin_identity)),
    ]
    servers = []
    for device in devices[:2]:
        server, greeter = serve_peers(
            "127.0.0.1:0",
            device.identity,
            device.revocations,
            device.directory,
            services=(AdminService(device.identity),),
        )
        servers.append(server)
        device.address = f"127.0.0.1:{greeter.listen_port}"
    try:
        yield devices[0], devices[1], devices[2]
    finally:
        for server in servers:
            server.stop(None)


def test_a_member_near_expiry_is_renewed_by_an_admin(
    family: tuple[Device, Device, Device],
) -> None:
    admin, laptop, phone = family
    old = phone.identity.certificate
    # The plain member was seen more recently, so it is asked first, and refuses.
    now = datetime.datetime.now(datetime.UTC)
    phone.knows(admin, seen=now - datetime.timedelta(hours=1))
    phone.knows(laptop, seen=now)
    renewed = phone.renewer().check()
    assert renewed is not None
    assert renewed.member == Member(phone.identity.device_id, "phone")
    assert renewed.certificate.not_valid_after_utc - now > DEVICE_LIFETIME - datetime.timedelta(
        days=1
    )
    on_disk = identity_files.load(phone.identity.directory)
    assert on_disk.certificate == renewed.certificate != old
    # The renewed identity is a working member of the channel.
    revocations = RevocationStore(on_disk.directory / REVOCATION_FILE, on_disk.ca_certificate)
    greeter = Greeter(on_disk, revocations, phone.directory)
    greeter.greet(PeerClient(on_disk, revocations), admin.address, admin.identity.device_id)


def test_a_certificate_far_from_expiry_is_left_alone(
    family: tuple[Device, Device, Device],
) -> None:
    admin, laptop, _ = family
    laptop.knows(admin)
    before = laptop.identity.certificate_path.read_bytes()
    assert laptop.renewer().check() is None
    assert laptop.identity.certificate_path.read_bytes() == before


def test_a_revoked_member_cannot_renew(family: tuple[Device, Device, Device]) -> None:
    admin, _, phone = family
    assert admin.identity.ca_key is not None
    admin.revocations.revoke(phone.identity.device_id, admin.identity.ca_key)
    phone.knows(admin)
    before = phone.identity.certificate_path.read_bytes()
    assert phone.renewer().check() is None
    assert phone.identity.certificate_path.read_bytes() == before


def test_only_an_admin_answers_renew(family: tuple[Device, Device, Device]) -> None:
    _, laptop, phone = family
    client = PeerClient(phone.identity, phone.revocations)
    with (
        client.service(laptop.address, laptop.identity.device_id, roost_pb2_grpc.AdminStub) as stub,
        pytest.raises(grpc.RpcError) as refused,
    ):
        stub.Renew(roost_pb2.RenewRequest(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    phone.knows(laptop)
    assert phone.renewer().check() is None, "no admin known: nothing renewed"


def test_an_admin_renews_its_own_certificate(family: tuple[Device, Device, Device]) -> None:
    admin, _, _ = family
    identity = aged(admin.identity, admin.identity)
    renewed = Device.of(identity).renewer().check()
    assert renewed is not None and renewed.is_admin
    assert renewed.certificate.not_valid_after_utc > identity.certificate.not_valid_after_utc
