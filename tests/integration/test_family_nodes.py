"""Real `roost` processes on loopback, discovery off: pairing, the mTLS channel, revocation,
refusals, and a node under hostile traffic."""

from __future__ import annotations

import datetime
import os
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from node.family import has_identity
from node.family import identity as identity_files
from node.family.directory import Directory
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer.client import PeerClient
from node.peer.connections import PER_ADDRESS
from node.peer.hello import Greeter
from node.running import running_node
from node.settings import Home
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.identity import dns_name
from protocol.pairing import InviteCode
from protocol.wire import MAX_PEER_MESSAGE_BYTES
from tests.integration.nodes import Node, Result, device, roost, roost_here, stop_all, wait_for

pytestmark = pytest.mark.timeout(180)


@dataclass
class Family:
    root: Path
    alpha: Node  # the admin: created the family, serves pairing
    beta: Node  # joined with a code, dials alpha by --peer

    def invite(self) -> str:
        code: str = roost_here(self.alpha.home, "family", "invite", "--json").json()["code"]
        return code

    def join(self, name: str, code: str, address: str | None = None) -> tuple[Path, Result]:
        home = self.root / name
        address = address or self.alpha.pairing_address
        args = ("family", "join", code, "--address", address, "--device-name", name, "--json")
        return home, roost_here(home, *args)


@pytest.fixture(scope="module")
def family(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Family]:
    root = tmp_path_factory.mktemp("family")
    created = roost(
        root / "alpha", "family", "create", "Smiths", "--device-name", "alpha", "--json"
    )
    assert created.json()["family"] == "Smiths"
    alpha = Node(root / "alpha", "--no-discovery")
    nodes = [alpha]
    try:
        family = Family(root, alpha, alpha)
        code = family.invite()
        home = root / "beta"
        address = alpha.pairing_address
        joined = roost(
            home, "family", "join", code, "--address", address, "--device-name", "beta", "--json"
        )
        assert joined.json()["family"] == "Smiths"
        family.beta = Node(home, "--no-discovery", "--peer", alpha.address)
        nodes.append(family.beta)
        yield family
    finally:
        stop_all(nodes)


def test_joined_devices_greet_each_other_over_mutual_tls(family: Family) -> None:
    alpha_id = identity_files.load(family.alpha.home / "identity").device_id
    beta_id = identity_files.load(family.beta.home / "identity").device_id
    wait_for("alpha to see beta", lambda: device(family.alpha.home, beta_id).get("last_seen"))
    wait_for("beta to see alpha", lambda: device(family.beta.home, alpha_id).get("last_seen"))
    listed = roost(family.beta.home, "family", "devices", "--json").json()
    assert {row["name"] for row in listed} == {"alpha", "beta"}
    assert all(set(row) == {"id", "name", "revoked", "last_seen"} for row in listed)
    hello = roost(family.beta.home, "node", "hello", family.alpha.address, "--json").json()
    assert (hello["id"], hello["name"], hello["protocol_version"]) == (alpha_id, "alpha", 1)


def test_join_refuses_wrong_reused_expired_and_mistyped_codes(family: Family) -> None:
    real = InviteCode.decode(family.invite())
    wrong = InviteCode(real.pin, real.secret ^ 0x5A5A).encode()
    _, result = family.join("wrong", wrong)
    assert result.code != 0 and "wrong invite code" in result.err

    reused = family.invite()
    _, first = family.join("first", reused)
    assert first.code == 0
    _, again = family.join("again", reused)
    assert again.code != 0 and "already used" in again.err

    invite = roost_here(family.alpha.home, "family", "invite", "--expires-in", "1", "--json")
    expires = datetime.datetime.fromisoformat(invite.json()["expires"])
    wait_for("the code to expire", lambda: datetime.datetime.now(datetime.UTC) > expires)
    _, late = family.join("late", invite.json()["code"])
    assert late.code != 0 and "expired" in late.err

    code = family.invite()
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    _, mistyped = family.join("typo", typo)
    assert mistyped.code != 0 and "typo" in mistyped.err
    for name in ("wrong", "again", "late", "typo"):
        assert not has_identity(family.root / name / "identity")


def test_join_refuses_a_server_the_code_does_not_pin(family: Family) -> None:
    """Another family's admin node poses as the inviter: the joiner refuses before sending
    anything, and the real inviter's code is still good afterwards."""
    impostor_home = family.root / "impostor"
    assert (
        roost_here(impostor_home, "family", "create", "Smiths", "--device-name", "alpha").code == 0
    )
    impostor = Node(impostor_home, "--no-discovery")
    try:
        code = family.invite()
        _, fooled = family.join("fooled", code, address=impostor.pairing_address)
        assert fooled.code != 0
        assert "not the inviter this code names" in fooled.err
        assert "paired" not in impostor.log() and "pairing refused" not in impostor.log()
        _, joined = family.join("fooled", code)
        assert joined.code == 0
        # ...and the impostor's family is no more trusted on the family channel.
        stranger = roost_here(impostor_home, "node", "hello", family.alpha.address)
        assert stranger.code != 0
    finally:
        impostor.stop()


def beta_device(family: Family) -> tuple[Greeter, PeerClient, str]:
    """Beta's identity, used from this process to call alpha as a legitimate peer."""
    beta = identity_files.load(family.beta.home / "identity")
    revocations = RevocationStore(beta.directory / REVOCATION_FILE, beta.ca_certificate)
    greeter = Greeter(beta, revocations, Directory(family.beta.home / "devices.json"))
    alpha_id = identity_files.load(family.alpha.home / "identity").device_id
    return greeter, PeerClient(beta, revocations), alpha_id


def test_clients_without_a_family_certificate_are_refused(family: Family, tmp_path: Path) -> None:
    alpha = identity_files.load(family.alpha.home / "identity")
    stranger = identity_files.create_family(tmp_path / "identity", "Joneses", "stranger")
    options = [("grpc.ssl_target_name_override", dns_name(alpha.device_id))]
    for credentials in (
        grpc.ssl_channel_credentials(root_certificates=alpha.ca_pem()),
        grpc.ssl_channel_credentials(
            alpha.ca_pem(), stranger.key_pem(), stranger.certificate_pem()
        ),
    ):
        with grpc.secure_channel(family.alpha.address, credentials, options) as channel:
            with pytest.raises(grpc.RpcError) as refused:
                roost_pb2_grpc.PeerStub(channel).Ping(roost_pb2.Echo(), timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    greeter, client, alpha_id = beta_device(family)
    assert greeter.greet(client, family.alpha.address, alpha_id).device_id == alpha_id


def test_a_revoked_device_is_refused_by_every_member(family: Family) -> None:
    home, joined = family.join("delta", family.invite())
    delta_id = joined.json()["device_id"]
    delta = Node(home, "--no-discovery", "--peer", family.alpha.address)
    try:
        wait_for("alpha to see delta", lambda: device(family.alpha.home, delta_id).get("last_seen"))
        assert roost_here(home, "node", "hello", family.beta.address).code == 0

        revoked = roost_here(family.alpha.home, "family", "revoke", "delta", "--json").json()
        assert revoked["revoked"] == delta_id and revoked["serial"] >= 1
        # beta learns of it from alpha in Hello, without anyone restarting.
        wait_for("beta to get the list", lambda: device(family.beta.home, delta_id).get("revoked"))
        for peer in (family.alpha, family.beta):
            refused = roost_here(home, "node", "hello", peer.address)
            assert refused.code != 0 and "PERMISSION_DENIED" in refused.err, refused.err
            assert f"{delta_id} is revoked" in refused.err
        # ...and members do not call it either, though its certificate is still valid.
        outgoing = roost_here(family.beta.home, "node", "hello", delta.address)
        assert outgoing.code != 0 and "revoked; not calling it" in outgoing.err
        wait_for("delta's own node to be turned away", lambda: "is revoked" in delta.log())
    finally:
        delta.stop()
    again = roost_here(family.alpha.home, "family", "revoke", delta_id[:8], "--json")
    assert again.json() == revoked, "revoking twice changes nothing"
    self_revoke = roost_here(family.alpha.home, "family", "revoke", "alpha")
    assert self_revoke.code != 0 and "cannot revoke itself" in self_revoke.err
    member_revoke = roost_here(family.beta.home, "family", "revoke", "alpha")
    assert member_revoke.code != 0 and "admin" in member_revoke.err


FLOOD_SOURCE = ("127.0.0.2", 0)


def hung_up(sockets: list[socket.socket]) -> int:
    """How many of `sockets` the other end has closed (they read as ready, at end of file)."""
    poller = select.poll()
    for sock in sockets:
        poller.register(sock, select.POLLIN)
    return len(poller.poll(0))


def test_hostile_traffic_does_not_stop_a_node_serving_family(family: Family) -> None:
    greeter, client, alpha_id = beta_device(family)

    def hello() -> None:
        assert greeter.greet(client, family.alpha.address, alpha_id).device_id == alpha_id

    targets = [("127.0.0.1", family.alpha.state["port"])]
    targets.append(("127.0.0.1", family.alpha.state["pairing_port"]))
    # Garbage: random bytes, and a TLS record header promising more than it sends.
    for target in targets:
        for i in range(100):
            with socket.create_connection(target, timeout=5) as sock:
                sock.sendall(os.urandom(4096) if i % 2 else b"\x16\x03\x01\xff\xff" + bytes(64))
    hello()
    # Thousands of half-open connections from one other address (any 127/8 address is this
    # machine): TCP up, no TLS handshake, held open while we talk. The node keeps that
    # address's oldest PER_ADDRESS connections and hangs up on the rest.
    held: list[socket.socket] = []
    try:
        for i in range(2000):
            held.append(
                socket.create_connection(targets[i % 2], timeout=5, source_address=FLOOD_SOURCE)
            )
        hello()
        # (The ones it keeps also go at the handshake timeout, so this is a lower bound.)
        wait_for("the node to cap the flood", lambda: hung_up(held) >= len(held) - PER_ADDRESS)
        # Oversized messages are refused; the channel stays usable.
        huge = roost_pb2.Echo(payload=bytes(MAX_PEER_MESSAGE_BYTES + 1))
        with client.stub(family.alpha.address, alpha_id) as stub:
            with pytest.raises(grpc.RpcError) as refused:
                stub.Ping(huge, timeout=10)
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert stub.Ping(roost_pb2.Echo(payload=b"ok"), timeout=5).payload == b"ok"
    finally:
        for sock in held:
            sock.close()
    hello()
    assert family.alpha.process.poll() is None


def test_one_node_per_home_and_a_clean_stop(family: Family) -> None:
    second = roost(family.alpha.home, "node", "start", "--listen", "127.0.0.1:0", "--no-discovery")
    assert second.code != 0 and "already running" in second.err
    assert str(family.alpha.process.pid) in second.err

    home, joined = family.join("epsilon", family.invite())
    assert joined.code == 0
    node = Node(home, "--no-discovery")
    assert running_node(Home(home)) is not None
    assert node.stop() == 0
    assert "stopped" in node.log()
    assert not (home / "node.json").exists()
    assert running_node(Home(home)) is None, "the lock goes with the process"
