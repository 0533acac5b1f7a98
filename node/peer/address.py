"""`HOST:PORT` strings, as typed by users, stored in the peer table and reported by gRPC."""

from __future__ import annotations

import ipaddress

import ifaddr


def parse(text: str) -> tuple[str, int]:
    """Split `HOST:PORT` or `[IPV6]:PORT`; raises ValueError with a readable message."""
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def peer_host(grpc_peer: str) -> str | None:
    """The remote host of a gRPC `context.peer()` string such as `ipv4:10.0.0.5:51234`."""
    kind, _, rest = grpc_peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None
    return parse(rest)[0]


def is_unspecified(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")


def local_ipv4_hosts() -> list[str]:
    """This machine's IPv4 addresses, for advertising a node that listens on all of them.
    Loopback is left out unless it is all there is (as inside a test's network namespace)."""
    hosts = [
        str(ip.ip)
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if isinstance(ip.ip, str)
    ]
    routable = [host for host in hosts if not ipaddress.ip_address(host).is_loopback]
    return routable or hosts
