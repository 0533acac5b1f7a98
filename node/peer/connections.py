"""A cap on how many connections one remote address may hold open to this node's listeners.

gRPC accepts every TCP connection itself and offers no hook per connection, so the cap works
beside it rather than in its data path: every `interval` seconds `sweep` lists this process's
TCP connections whose local port is one of the listeners' (psutil), groups them by remote
address, keeps the oldest `per_address` of each group and shuts the rest down. gRPC then sees
the peer hang up and frees the connection. A connection counts from the moment TCP is up, so
half-open TLS handshakes count too: one address can no longer hold thousands of descriptors
for the handshake timeout, nor idle completed connections for the idle timeout.

Shutting a connection down goes through a duplicate of gRPC's descriptor, checked to still be
the same connection (descriptors are reused), so a connection that closed meanwhile is left
alone; `shutdown` acts on the connection, and closing the duplicate leaves gRPC's own.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

log = logging.getLogger(__name__)

# A family device holds one or two connections (its node's dialer, a command or the TUI); a
# household behind one address (NAT, a guest network) a few dozen at most.
PER_ADDRESS = 32
SWEEP_SECONDS = 1.0


@dataclass(frozen=True)
class _Connection:
    fd: int
    local: tuple[str, int]
    remote: tuple[str, int]

    @property
    def address(self) -> str:
        """The remote host, with an IPv4 client of a dual-stack listener written as IPv4."""
        ip = ipaddress.ip_address(self.remote[0])
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        return str(mapped or ip)


class ConnectionCap:
    def __init__(
        self,
        ports: Iterable[int],
        per_address: int = PER_ADDRESS,
        interval: float = SWEEP_SECONDS,
    ) -> None:
        self._ports = frozenset(ports)
        self._per_address = per_address
        self._interval = interval
        # When each connection was first seen (sweep number), to keep the oldest.
        self._first_seen: dict[_Connection, int] = {}
        self._sweeps = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="connection-cap", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def open_connections(self) -> dict[str, int]:
        """Remote address → connections it holds to the listeners now."""
        counts: dict[str, int] = {}
        for connection in self._listening():
            counts[connection.address] = counts.get(connection.address, 0) + 1
        return counts

    def sweep(self) -> int:
        """Shut down each address's connections beyond the cap, newest first; how many."""
        self._sweeps += 1
        current = self._listening()
        self._first_seen = {c: self._first_seen.get(c, self._sweeps) for c in current}
        by_address: dict[str, list[_Connection]] = {}
        for connection in current:
            by_address.setdefault(connection.address, []).append(connection)
        dropped = 0
        for address, connections in by_address.items():
            if len(connections) <= self._per_address:
                continue
            connections.sort(key=lambda c: (self._first_seen[c], c.fd))
            excess = connections[self._per_address :]
            dropped += sum(_shut_down(connection) for connection in excess)
            log.warning(
                "%s holds %d connections; closed %d beyond the cap of %d",
                address,
                len(connections),
                len(excess),
                self._per_address,
            )
        return dropped

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self.sweep()
            except (OSError, psutil.Error):  # the cap must outlive any one failed listing
                log.exception("connection sweep failed")

    def _listening(self) -> list[_Connection]:
        return [
            _Connection(c.fd, (c.laddr.ip, c.laddr.port), (c.raddr.ip, c.raddr.port))
            for c in psutil.Process().net_connections(kind="tcp")
            if c.status == psutil.CONN_ESTABLISHED
            and c.raddr
            and c.fd >= 0
            and c.laddr.port in self._ports
        ]


def _shut_down(connection: _Connection) -> bool:
    """Hang up `connection` if its descriptor still holds it; whether it did."""
    try:
        duplicate = socket.socket(fileno=os.dup(connection.fd))
    except OSError:
        return False  # closed since the listing
    with duplicate:
        try:
            same: bool = (
                duplicate.getsockname()[:2] == connection.local
                and duplicate.getpeername()[:2] == connection.remote
            )
            if same:
                duplicate.shutdown(socket.SHUT_RDWR)
        except OSError:
            return False
    return same
