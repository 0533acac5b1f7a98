"""The node's two gRPC listeners and the family channel's servicer.

The family channel requires a client certificate from the family CA (`require_client_auth`);
the pairing listener cannot (joiners have none yet) and serves only `Pairing`. Both are hardened
the same way against a hostile LAN: TLS 1.3 only (`tls`, checked at start), bounded message
sizes, bounded concurrency (excess calls are refused, not queued), and a TLS handshake timeout
so half-open connections are dropped instead of piling up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent import futures

import grpc

from node.family.directory import Directory
from node.family.identity import Identity
from node.family.revocations import RevocationStore
from node.peer import PeerError, tls
from node.peer.address import join, parse, peer_host
from node.peer.auth import FamilyAdmission, Gate, identify, refuse, require_deadline
from node.peer.hello import Greeter
from node.peer.pairing import PairingService
from node.peer.services import PeerService
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.identity import cert_to_pem, self_signed_certificate
from protocol.wire import MAX_PAIRING_MESSAGE_BYTES, MAX_PEER_MESSAGE_BYTES

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT_MS = 5_000
GRACE_SECONDS = 2.0


class HelloService(roost_pb2_grpc.PeerServicer):  # type: ignore[misc]
    """`Peer`: Hello and Ping, the service every version has."""

    def __init__(self, identity: Identity, greeter: Greeter) -> None:
        self._identity = identity
        self._greeter = greeter

    def register(self, server: grpc.Server) -> None:
        roost_pb2_grpc.add_PeerServicer_to_server(self, server)

    def Hello(
        self, request: roost_pb2.Greeting, context: grpc.ServicerContext
    ) -> roost_pb2.Greeting:
        caller = identify(context, self._identity.ca_certificate)
        host = peer_host(context.peer())
        address = join(host, request.listen_port) if host and request.listen_port else None
        try:
            self._greeter.absorb(request, caller, address)
        except PeerError as exc:
            refuse(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        log.info("hello from %s (%s)", caller.name, caller.id)
        return self._greeter.greeting()

    def Ping(self, request: roost_pb2.Echo, context: grpc.ServicerContext) -> roost_pb2.Echo:
        return roost_pb2.Echo(payload=request.payload)


def serve_peers(
    listen: str,
    identity: Identity,
    revocations: RevocationStore,
    directory: Directory,
    services: Sequence[PeerService] = (),
) -> tuple[grpc.Server, Greeter]:
    """Start the family channel on `listen` with Hello and `services`. Returns the server and
    the greeter that speaks for this node (it knows the bound port, to tell peers where to call
    back)."""
    admission = FamilyAdmission(identity.ca_certificate, revocations)
    # 8 workers: a search for this device's own command line holds one while its fan-out waits.
    server = _server(MAX_PEER_MESSAGE_BYTES, Gate(admission), workers=8)
    credentials = grpc.ssl_server_credentials(
        [(identity.key_pem(), identity.certificate_pem())],
        root_certificates=identity.ca_pem(),
        require_client_auth=True,
    )
    port = _bind(server, listen, credentials)
    greeter = Greeter(identity, revocations, directory, listen_port=port)
    for service in (HelloService(identity, greeter), *services):
        service.register(server)
    _start(server, listen, port)
    return server, greeter


def serve_pairing(
    listen: str, identity: Identity, service: PairingService
) -> tuple[grpc.Server, int]:
    """Start the pairing listener: server-authenticated TLS with a self-signed certificate over
    the device key, which joiners pin by the fingerprint in their invite code."""
    server = _server(MAX_PAIRING_MESSAGE_BYTES, Gate(require_deadline), workers=2)
    pairing_certificate = self_signed_certificate(identity.key)
    credentials = grpc.ssl_server_credentials(
        [(identity.key_pem(), cert_to_pem(pairing_certificate))]
    )
    port = _bind(server, listen, credentials)
    roost_pb2_grpc.add_PairingServicer_to_server(service, server)
    _start(server, listen, port)
    return server, port


def _server(max_message_bytes: int, gate: Gate, workers: int) -> grpc.Server:
    options = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.max_concurrent_streams", 8),
        ("grpc.server_handshake_timeout_ms", HANDSHAKE_TIMEOUT_MS),
        ("grpc.max_connection_idle_ms", 5 * 60_000),
        ("grpc.keepalive_time_ms", 60_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.http2.max_ping_strikes", 2),
        # Without this, a second node could bind the same port and steal half the connections.
        ("grpc.so_reuseport", 0),
    ]
    return grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers),
        interceptors=[gate],
        options=options,
        maximum_concurrent_rpcs=8 * workers,
    )


def _start(server: grpc.Server, listen: str, port: int) -> None:
    """Start serving, then prove that TLS 1.2 is refused; stop and raise if it is not."""
    server.start()
    try:
        tls.refuses_tls12(parse(listen)[0], port)
    except PeerError:
        server.stop(None)
        raise


def _bind(server: grpc.Server, listen: str, credentials: grpc.ServerCredentials) -> int:
    try:
        port: int = server.add_secure_port(listen, credentials)
    except RuntimeError as exc:
        raise PeerError(f"cannot listen on {listen}: {exc}") from exc
    return port
