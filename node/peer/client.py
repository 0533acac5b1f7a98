"""Dialing peers with pinned trust.

gRPC checks the peer's certificate against the family CA *and* that it is valid for the device
id we meant to call (the id is the certificate's DNS name, set as the TLS target name), so a
family member cannot answer in another's place and a stranger cannot answer at all. Revoked
devices are not dialed. gRPC cannot show a client the server's certificate, so two jobs use the
`ssl` module for the handshake only: learning who serves a manually configured address, and
fetching the pairing listener's certificate so it can be pinned by the invite code.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import grpc
from cryptography import x509
from google.protobuf.message import Message

from node.family.identity import Identity
from node.family.revocations import RevocationStore
from node.peer import PeerError
from node.peer.address import parse
from node.peer.channels import Channels
from node.peer.fanout import Peer, remaining
from node.peer.tls import client_context
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.identity import cert_to_pem, certificate_id, dns_name
from protocol.wire import MAX_PAIRING_MESSAGE_BYTES, MAX_PEER_MESSAGE_BYTES

CALL_SECONDS = 5.0
HANDSHAKE_SECONDS = 5.0

S = TypeVar("S")
T = TypeVar("T")


class PeerClient:
    """Calls family devices as this device. `reach` keeps its channels open for the next call
    (`Channels`); `close` closes them."""

    def __init__(
        self,
        identity: Identity,
        revocations: RevocationStore,
        interceptors: Sequence[grpc.UnaryUnaryClientInterceptor] = (),
    ) -> None:
        self._identity = identity
        self._revocations = revocations
        self._interceptors = tuple(interceptors)
        self._credentials = grpc.ssl_channel_credentials(
            root_certificates=identity.ca_pem(),
            private_key=identity.key_pem(),
            certificate_chain=identity.certificate_pem(),
        )
        self._channels = Channels(self._open)

    def close(self) -> None:
        self._channels.close()

    @property
    def open_channels(self) -> int:
        return len(self._channels)

    def hello(
        self, address: str, device_id: str, greeting: roost_pb2.Greeting
    ) -> roost_pb2.Greeting:
        with self.stub(address, device_id) as stub:
            reply: roost_pb2.Greeting = call(address, stub.Hello, greeting)
        return reply

    def stub(
        self, address: str, device_id: str
    ) -> contextlib.AbstractContextManager[roost_pb2_grpc.PeerStub]:
        return self.service(address, device_id, roost_pb2_grpc.PeerStub)

    @contextlib.contextmanager
    def service(
        self, address: str, device_id: str, service: Callable[[grpc.Channel], S]
    ) -> Iterator[S]:
        """A stub of `service` on a new channel to `device_id` at `address`, pinned to that id,
        closed on leaving."""
        self._refuse_revoked(device_id)
        with self._open(address, device_id) as channel:
            yield service(grpc.intercept_channel(channel, *self._interceptors))

    def reach(
        self,
        peer: Peer,
        deadline: float,
        service: Callable[[grpc.Channel], S],
        attempt: Callable[[S, float], T],
    ) -> T:
        """`attempt(stub, timeout)` at the first of the peer's addresses that is up, on a
        channel kept open for the next call. Only an unreachable address moves on to the next
        (and its channel is dropped); a refusal is final."""
        self._refuse_revoked(peer.id)
        failures = []
        for address in peer.addresses:
            channel = grpc.intercept_channel(
                self._channels.get(address, peer.id), *self._interceptors
            )
            try:
                return attempt(service(channel), remaining(deadline))
            except grpc.RpcError as exc:
                failure = f"{address}: {exc.code().name}: {exc.details()}"
                if exc.code() != grpc.StatusCode.UNAVAILABLE:
                    raise PeerError(failure) from exc
                self._channels.drop(address, peer.id)
                failures.append(failure)
        raise PeerError("; ".join(failures) or f"no address known for {peer.name}")

    def _refuse_revoked(self, device_id: str) -> None:
        if self._revocations.is_revoked(device_id):
            self._channels.drop_device(device_id)
            raise PeerError(f"{device_id} is revoked; not calling it")

    def _open(self, address: str, device_id: str) -> grpc.Channel:
        options = _options(dns_name(device_id), MAX_PEER_MESSAGE_BYTES)
        return grpc.secure_channel(address, self._credentials, options=options)

    def identify(self, address: str) -> str:
        """The id of the family device serving `address`, from a mutual-TLS handshake."""
        context = client_context()
        context.check_hostname = False  # we want to learn the name, not to check one
        context.load_verify_locations(cadata=self._identity.ca_pem().decode("ascii"))
        identity = self._identity
        context.load_cert_chain(identity.certificate_path, identity.key_path, identity.key_password)
        return certificate_id(fetch_certificate(address, context))


@contextlib.contextmanager
def pairing_stub(address: str, pinned: x509.Certificate) -> Iterator[roost_pb2_grpc.PairingStub]:
    """A channel that trusts exactly `pinned` (the inviter's pairing certificate) and nothing
    else; the caller has already checked its key against the invite code."""
    credentials = grpc.ssl_channel_credentials(root_certificates=cert_to_pem(pinned))
    options = _options(dns_name(certificate_id(pinned)), MAX_PAIRING_MESSAGE_BYTES)
    with grpc.secure_channel(address, credentials, options=options) as channel:
        yield roost_pb2_grpc.PairingStub(channel)


def unverified_context() -> ssl.SSLContext:
    """For fetching a certificate that will be checked by pin instead of by a CA."""
    context = client_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def fetch_certificate(address: str, context: ssl.SSLContext) -> x509.Certificate:
    """The certificate `address` presents in a TLS handshake (then the connection is closed)."""
    try:
        host, port = parse(address)
        with (
            socket.create_connection((host, port), timeout=HANDSHAKE_SECONDS) as raw,
            context.wrap_socket(raw) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ValueError) as exc:
        raise PeerError(f"{address}: TLS handshake failed: {exc}") from exc
    if der is None:
        raise PeerError(f"{address}: presented no certificate")
    return x509.load_der_x509_certificate(der)


def call(address: str, method: grpc.UnaryUnaryMultiCallable, request: Message) -> Any:
    """One call with a deadline; failures become a `PeerError` naming the address."""
    try:
        return method(request, timeout=CALL_SECONDS)
    except grpc.RpcError as exc:
        raise PeerError(f"{address}: {exc.code().name}: {exc.details()}") from exc


def _options(target_name: str, max_message_bytes: int) -> list[tuple[str, str | int]]:
    return [
        ("grpc.ssl_target_name_override", target_name),
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]
