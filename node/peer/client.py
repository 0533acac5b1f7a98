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
from collections.abc import Iterator
from typing import Any

import grpc
from cryptography import x509
from google.protobuf.message import Message

from node.family.identity import Identity
from node.family.revocations import RevocationStore
from node.peer import PeerError
from node.peer.address import parse
from node.peer.tls import client_context
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.identity import cert_to_pem, certificate_id, dns_name
from protocol.wire import MAX_PAIRING_MESSAGE_BYTES, MAX_PEER_MESSAGE_BYTES

CALL_SECONDS = 5.0
HANDSHAKE_SECONDS = 5.0


class PeerClient:
    """Calls family devices as this device."""

    def __init__(self, identity: Identity, revocations: RevocationStore) -> None:
        self._identity = identity
        self._revocations = revocations
        self._credentials = grpc.ssl_channel_credentials(
            root_certificates=identity.ca_pem(),
            private_key=identity.key_pem(),
            certificate_chain=identity.certificate_pem(),
        )

    def hello(
        self, address: str, device_id: str, greeting: roost_pb2.Greeting
    ) -> roost_pb2.Greeting:
        with self.stub(address, device_id) as stub:
            reply: roost_pb2.Greeting = call(address, stub.Hello, greeting)
        return reply

    @contextlib.contextmanager
    def stub(self, address: str, device_id: str) -> Iterator[roost_pb2_grpc.PeerStub]:
        with self.channel(address, device_id) as channel:
            yield roost_pb2_grpc.PeerStub(channel)

    @contextlib.contextmanager
    def channel(self, address: str, device_id: str) -> Iterator[grpc.Channel]:
        """A family channel to `device_id` at `address`, for any of the family services."""
        if self._revocations.is_revoked(device_id):
            raise PeerError(f"{device_id} is revoked; not calling it")
        options = _options(dns_name(device_id), MAX_PEER_MESSAGE_BYTES)
        with grpc.secure_channel(address, self._credentials, options=options) as channel:
            yield channel

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
