"""Pairing in-process on loopback: the inviter's listener and the joiner's `join`."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from node.family import FamilyError, has_identity
from node.family.directory import Directory
from node.family.identity import Identity
from node.family.invites import InviteBook
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer import PeerError
from node.peer.client import fetch_certificate, pairing_stub, unverified_context
from node.peer.join import join
from node.peer.pairing import PairingService
from node.peer.server import serve_pairing
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.identity import key_fingerprint, verify_member
from protocol.pairing import InviteCode
from tests.family.families import new_family


@dataclass
class Inviter:
    identity: Identity
    invites: InviteBook
    revocations: RevocationStore
    directory: Directory
    address: str

    def invite(self, lifetime: datetime.timedelta = datetime.timedelta(minutes=10)) -> str:
        code = InviteCode.generate(key_fingerprint(self.identity.key.public_key()))
        now = datetime.datetime.now(datetime.UTC)
        self.invites.add(code.secret, now + lifetime, now)
        return code.encode()


def start_inviter(root: Path, family: str = "Testers") -> tuple[Inviter, grpc.Server]:
    identity = new_family(root, family=family)
    assert identity.ca_key is not None
    home = identity.directory.parent
    invites = InviteBook(home / "invites.json")
    revocations = RevocationStore(identity.directory / REVOCATION_FILE, identity.ca_certificate)
    directory = Directory(home / "devices.json")
    service = PairingService(identity, identity.ca_key, invites, revocations, directory)
    server, port = serve_pairing("127.0.0.1:0", identity, service)
    return Inviter(identity, invites, revocations, directory, f"127.0.0.1:{port}"), server


@pytest.fixture
def inviter(tmp_path: Path) -> Iterator[Inviter]:
    inviter, server = start_inviter(tmp_path / "inviter")
    try:
        yield inviter
    finally:
        server.stop(None)


def join_as(root: Path, name: str, code: str, address: str) -> Identity:
    home = root / name
    return join(home / "identity", Directory(home / "devices.json"), code, name, address, 1.0)


def test_a_code_joins_a_device_to_the_family(inviter: Inviter, tmp_path: Path) -> None:
    admin = inviter.identity
    assert admin.ca_key is not None
    inviter.revocations.revoke("A" * 52, admin.ca_key)
    phone = join_as(tmp_path, "phone", inviter.invite(), inviter.address)
    assert not phone.is_admin
    assert phone.family_id == admin.family_id and phone.name == "phone"
    assert verify_member(phone.certificate, admin.ca_certificate).id == phone.device_id
    assert inviter.directory.all()[phone.device_id].name == "phone"
    assert Directory(tmp_path / "phone" / "devices.json").all()[admin.device_id].name == "admin"
    joined_list = RevocationStore(phone.directory / REVOCATION_FILE, phone.ca_certificate)
    assert joined_list.is_revoked("A" * 52), "the joiner starts with the family's revocations"


def test_a_code_works_only_once(inviter: Inviter, tmp_path: Path) -> None:
    code = inviter.invite()
    join_as(tmp_path, "phone", code, inviter.address)
    with pytest.raises(PeerError, match="already used"):
        join_as(tmp_path, "laptop", code, inviter.address)
    assert not has_identity(tmp_path / "laptop" / "identity")


def test_a_wrong_secret_is_refused(inviter: Inviter, tmp_path: Path) -> None:
    real = InviteCode.decode(inviter.invite())
    guess = InviteCode(real.pin, real.secret ^ 1).encode()
    with pytest.raises(PeerError, match="wrong invite code"):
        join_as(tmp_path, "phone", guess, inviter.address)
    assert not has_identity(tmp_path / "phone" / "identity")


def test_an_expired_code_is_refused(inviter: Inviter, tmp_path: Path) -> None:
    code = inviter.invite(lifetime=-datetime.timedelta(seconds=1))
    with pytest.raises(PeerError, match="expired"):
        join_as(tmp_path, "phone", code, inviter.address)


def test_a_mistyped_code_is_caught_before_dialing(tmp_path: Path) -> None:
    with pytest.raises(FamilyError, match="typo"):
        join_as(tmp_path, "phone", "00000-00000-00000-00000-00000-00001", "127.0.0.1:1")


class CountingPairing(roost_pb2_grpc.PairingServicer):  # type: ignore[misc]
    def __init__(self) -> None:
        self.calls = 0

    def Pair(self, request: roost_pb2.PairRequest, context: grpc.ServicerContext) -> None:
        self.calls += 1
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "impostor")


def test_a_server_the_code_does_not_pin_gets_nothing(inviter: Inviter, tmp_path: Path) -> None:
    """An impostor answering at the inviter's address (or one the joiner was pointed to) is
    refused before the joiner sends its request or its proof."""
    impostor = new_family(tmp_path / "impostor", family="Testers")
    spy = CountingPairing()
    server, port = serve_pairing("127.0.0.1:0", impostor, spy)
    try:
        with pytest.raises(PeerError, match="not the inviter this code names"):
            join_as(tmp_path, "phone", inviter.invite(), f"127.0.0.1:{port}")
    finally:
        server.stop(None)
    assert spy.calls == 0
    assert not has_identity(tmp_path / "phone" / "identity")


def test_a_malformed_request_does_not_burn_the_code(inviter: Inviter, tmp_path: Path) -> None:
    code = inviter.invite()
    pinned = fetch_certificate(inviter.address, unverified_context())
    with pairing_stub(inviter.address, pinned) as stub:
        with pytest.raises(grpc.RpcError) as refused:
            stub.Pair(roost_pb2.PairRequest(csr=b"junk", proof=b"x" * 32), timeout=5)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as refused:
            stub.Pair(roost_pb2.PairRequest(csr=b"x" * 100_000), timeout=5)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    join_as(tmp_path, "phone", code, inviter.address)


def test_a_device_joins_one_family_only(inviter: Inviter, tmp_path: Path) -> None:
    join_as(tmp_path, "phone", inviter.invite(), inviter.address)
    with pytest.raises(FamilyError, match="already belongs"):
        join_as(tmp_path, "phone", inviter.invite(), inviter.address)
