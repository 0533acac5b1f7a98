"""The family channel, in-process on loopback: real gRPC, real mutual TLS, real certificates."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from node.family.directory import Directory
from node.family.identity import Identity
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer import PeerError
from node.peer.client import PeerClient
from node.peer.hello import Greeter
from node.peer.server import HelloService, serve_peers
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.identity import dns_name
from protocol.wire import MAX_PEER_MESSAGE_BYTES
from tests.family.families import add_member, new_family


@dataclass
class Device:
    """One device's view of the world, as its node would hold it."""

    identity: Identity
    revocations: RevocationStore
    directory: Directory

    @classmethod
    def of(cls, identity: Identity) -> Device:
        home = identity.directory.parent
        return cls(
            identity,
            RevocationStore(identity.directory / REVOCATION_FILE, identity.ca_certificate),
            Directory(home / "devices.json"),
        )

    def client(self) -> PeerClient:
        return PeerClient(self.identity, self.revocations)

    def greet(self, address: str, device_id: str, listen_port: int = 0) -> roost_pb2.Greeting:
        greeter = Greeter(self.identity, self.revocations, self.directory, listen_port)
        return greeter.greet(self.client(), address, device_id)


@dataclass
class Family:
    admin: Device
    phone: Device
    laptop: Device
    address: str  # where the admin serves the family channel


@pytest.fixture
def family(tmp_path: Path) -> Iterator[Family]:
    admin_identity = new_family(tmp_path)
    admin = Device.of(admin_identity)
    phone = Device.of(add_member(admin_identity, tmp_path, "phone"))
    laptop = Device.of(add_member(admin_identity, tmp_path, "laptop"))
    server, greeter = serve_peers("127.0.0.1:0", admin.identity, admin.revocations, admin.directory)
    try:
        yield Family(admin, phone, laptop, f"127.0.0.1:{greeter.listen_port}")
    finally:
        server.stop(None)


def raw_channel(address: str, target_id: str, credentials: grpc.ChannelCredentials) -> grpc.Channel:
    options = [("grpc.ssl_target_name_override", dns_name(target_id))]
    return grpc.secure_channel(address, credentials, options=options)


def test_hello_introduces_both_sides(family: Family) -> None:
    admin, phone = family.admin.identity, family.phone.identity
    reply = family.phone.greet(family.address, admin.device_id, listen_port=4242)
    assert (reply.device_id, reply.name) == (admin.device_id, "admin")
    assert reply.protocol_version == 1 and reply.listen_port > 0
    seen_by_admin = family.admin.directory.all()[phone.device_id]
    assert seen_by_admin.name == "phone" and seen_by_admin.last_seen is not None
    assert seen_by_admin.addresses == ("127.0.0.1:4242",)
    seen_by_phone = family.phone.directory.all()[admin.device_id]
    assert seen_by_phone.addresses == (family.address,) and seen_by_phone.last_seen is not None


def test_identify_names_the_device_behind_an_address(family: Family) -> None:
    assert family.phone.client().identify(family.address) == family.admin.identity.device_id


def test_hello_carries_revocations_both_ways(family: Family) -> None:
    admin = family.admin.identity
    assert admin.ca_key is not None
    family.admin.revocations.revoke(family.laptop.identity.device_id, admin.ca_key)
    family.phone.greet(family.address, admin.device_id)
    assert family.phone.revocations.is_revoked(family.laptop.identity.device_id)
    # A newer list held by a member reaches the admin's node too.
    newer = family.phone.revocations.revoke("A" * 52, admin.ca_key)
    family.phone.greet(family.address, admin.device_id)
    current = family.admin.revocations.current()
    assert current is not None and current.serial == newer.serial


def test_a_revoked_device_is_refused_although_its_certificate_verifies(family: Family) -> None:
    admin = family.admin.identity
    assert admin.ca_key is not None
    family.laptop.greet(family.address, admin.device_id)  # fine before
    family.admin.revocations.revoke(family.laptop.identity.device_id, admin.ca_key)
    with pytest.raises(PeerError, match="PERMISSION_DENIED"):
        family.laptop.greet(family.address, admin.device_id)
    family.phone.greet(family.address, admin.device_id)  # others still served


def test_a_revoked_device_is_not_called(family: Family) -> None:
    admin = family.admin.identity
    assert admin.ca_key is not None
    family.phone.revocations.revoke(admin.device_id, admin.ca_key)
    with pytest.raises(PeerError, match="revoked; not calling"):
        family.phone.greet(family.address, admin.device_id)


def test_a_client_without_a_certificate_is_refused_in_the_handshake(family: Family) -> None:
    admin = family.admin.identity
    credentials = grpc.ssl_channel_credentials(root_certificates=admin.ca_pem())
    with (
        raw_channel(family.address, admin.device_id, credentials) as channel,
        pytest.raises(grpc.RpcError) as refused,
    ):
        roost_pb2_grpc.PeerStub(channel).Ping(roost_pb2.Echo(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    family.phone.greet(family.address, admin.device_id)


def test_a_client_from_another_family_is_refused_in_the_handshake(
    family: Family, tmp_path: Path
) -> None:
    admin = family.admin.identity
    stranger = new_family(tmp_path / "other", family="Joneses")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=admin.ca_pem(),  # the stranger trusts our server...
        private_key=stranger.key_pem(),  # ...but presents its own family's certificate
        certificate_chain=stranger.certificate_pem(),
    )
    with (
        raw_channel(family.address, admin.device_id, credentials) as channel,
        pytest.raises(grpc.RpcError) as refused,
    ):
        roost_pb2_grpc.PeerStub(channel).Ping(roost_pb2.Echo(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    family.phone.greet(family.address, admin.device_id)


def test_a_server_from_another_family_is_not_trusted(family: Family, tmp_path: Path) -> None:
    stranger = Device.of(new_family(tmp_path / "other", family="Joneses"))
    with pytest.raises(PeerError, match="UNAVAILABLE"):
        stranger.greet(family.address, family.admin.identity.device_id)


def test_a_member_cannot_answer_for_another(family: Family) -> None:
    """The client pins the device id it dialed; the admin's server is not the laptop."""
    with pytest.raises(PeerError, match="UNAVAILABLE"):
        family.phone.greet(family.address, family.laptop.identity.device_id)


def test_a_reply_with_another_devices_certificate_is_refused(family: Family) -> None:
    """A member whose server answers Hello with someone else's certificate is caught."""
    laptop = family.laptop
    lying_greeter = Greeter(laptop.identity, laptop.revocations, laptop.directory)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    HelloService(family.phone.identity, lying_greeter).register(server)
    phone = family.phone.identity
    credentials = grpc.ssl_server_credentials(
        [(phone.key_pem(), phone.certificate_pem())],
        root_certificates=phone.ca_pem(),
        require_client_auth=True,
    )
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    try:
        with pytest.raises(PeerError, match="certificate of"):
            family.admin.greet(f"127.0.0.1:{port}", phone.device_id)
    finally:
        server.stop(None)


def test_a_greeting_must_match_the_callers_certificate(family: Family) -> None:
    admin, phone = family.admin.identity, family.phone.identity
    claim = Greeter(family.laptop.identity, family.phone.revocations, family.phone.directory)
    with (
        family.phone.client().stub(family.address, admin.device_id) as stub,
        pytest.raises(grpc.RpcError) as refused,
    ):
        stub.Hello(claim.greeting(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert phone.device_id not in family.admin.directory.all()


def test_calls_need_a_bounded_deadline(family: Family) -> None:
    admin = family.admin.identity
    with family.phone.client().stub(family.address, admin.device_id) as stub:
        with pytest.raises(grpc.RpcError) as refused:
            stub.Ping(roost_pb2.Echo(payload=b"x"))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as refused:
            stub.Ping(roost_pb2.Echo(payload=b"x"), timeout=3600)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert stub.Ping(roost_pb2.Echo(payload=b"x"), timeout=5).payload == b"x"


def test_oversized_messages_are_refused_and_the_server_carries_on(family: Family) -> None:
    admin = family.admin.identity
    huge = roost_pb2.Echo(payload=b"\0" * (MAX_PEER_MESSAGE_BYTES + 1))
    channel_options = [
        ("grpc.ssl_target_name_override", dns_name(admin.device_id)),
        ("grpc.max_send_message_length", -1),
    ]
    credentials = grpc.ssl_channel_credentials(
        family.phone.identity.ca_pem(),
        family.phone.identity.key_pem(),
        family.phone.identity.certificate_pem(),
    )
    with grpc.secure_channel(family.address, credentials, options=channel_options) as channel:
        stub = roost_pb2_grpc.PeerStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.Ping(huge, timeout=10)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert stub.Ping(roost_pb2.Echo(payload=b"ok"), timeout=5).payload == b"ok"
