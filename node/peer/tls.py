"""TLS 1.3 and nothing older, on both listeners and on every connection this node makes.

gRPC's Python API has no TLS version setting. Its core reads the cipher suites it enables from
`GRPC_SSL_CIPHER_SUITES`, once, when `grpc` is first imported, and BoringSSL always enables the
three TLS 1.3 suites. So `pin` leaves TLS 1.2 exactly one suite, an RSA one (BoringSSL refuses
a list without any 1.2 suite): every family certificate is ECDSA P-256, so no TLS 1.2
handshake with a Roost listener or by a Roost client can complete. `node/__init__.py` calls
`pin` before anything can import `grpc`; since that order could be broken by an embedding
program, each listener also proves it at start (`refuses_tls12`) and fails closed if not.

Handshakes made with Python's `ssl` module (fetching a certificate to pin or to identify a
peer) set the minimum version directly.
"""

from __future__ import annotations

import os
import socket
import ssl

from node.peer import PeerError

CIPHER_SUITES_ENV = "GRPC_SSL_CIPHER_SUITES"
TLS13_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
# Needs an RSA certificate, which no family device has: TLS 1.2 is listed, and unusable.
UNUSABLE_TLS12_SUITE = "ECDHE-RSA-AES128-GCM-SHA256"
PROBE_SECONDS = 5.0


def pin() -> None:
    """Restrict gRPC to TLS 1.3; effective only before `grpc` is first imported."""
    os.environ[CIPHER_SUITES_ENV] = ":".join((*TLS13_SUITES, UNUSABLE_TLS12_SUITE))


def client_context() -> ssl.SSLContext:
    """An `ssl` client context that speaks TLS 1.3 only and offers HTTP/2, as gRPC needs."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.set_alpn_protocols(["h2"])  # gRPC servers refuse TLS without HTTP/2 negotiated
    return context


def refuses_tls12(host: str, port: int) -> None:
    """Check that the listener at `host:port` refuses a TLS 1.2 handshake; raise if it
    completes one (then `pin` came too late for this process, and the node must not serve)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])
    try:
        with (
            socket.create_connection((probe_host(host), port), timeout=PROBE_SECONDS) as raw,
            context.wrap_socket(raw) as tls,
        ):
            version = tls.version()
    except (ssl.SSLError, ConnectionError):
        return  # refused, as it should be
    except OSError as exc:
        raise PeerError(f"cannot check the listener on port {port}: {exc}") from exc
    raise PeerError(
        f"the listener on port {port} accepted {version}; Roost requires TLS 1.3 "
        f"(grpc was imported before node.peer.tls.pin could run)"
    )


def probe_host(listen_host: str) -> str:
    """Where to reach a listener bound to `listen_host` from this machine."""
    if listen_host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if listen_host == "::":
        return "::1"
    return listen_host
