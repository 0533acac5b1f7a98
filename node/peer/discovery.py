"""mDNS: announce this node on the LAN and hear about other Roost nodes.

Everything heard here is a hint. An announcement says "device X may be at these addresses";
whether X is there, and is family, is settled by the mutual-TLS handshake when the node dials
it. Announcements carry nothing personal: the service is named after the device id, and the TXT
records hold the id, the protocol version and, on a device that can invite, its pairing port.
"""

from __future__ import annotations

import ipaddress
import logging
import queue
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from zeroconf import (
    IPVersion,
    NonUniqueNameException,
    ServiceBrowser,
    ServiceInfo,
    ServiceStateChange,
    Zeroconf,
)

from node.peer.address import join
from protocol.identity import IdentityError, id_fingerprint
from protocol.pairing import InviteCode
from protocol.wire import (
    PROTOCOL_VERSION,
    SERVICE_TYPE,
    TXT_DEVICE_ID,
    TXT_PAIRING_PORT,
    TXT_PROTOCOL_VERSION,
)

RESOLVE_MS = 3_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sighting:
    """One resolved announcement: where a device says it serves."""

    device_id: str
    hosts: tuple[str, ...]
    port: int
    pairing_port: int | None

    def addresses(self) -> list[str]:
        return [join(host, self.port) for host in self.hosts]


class Discovery:
    """Announces this node and reports every other node it hears of to `on_sighting`."""

    def __init__(
        self, own_id: str, announcement: ServiceInfo, on_sighting: Callable[[Sighting], None]
    ) -> None:
        self._own_id = own_id
        self._announcement = announcement
        self._on_sighting = on_sighting
        self._zeroconf = Zeroconf(ip_version=IPVersion.V4Only)
        self._browser = _Browser(self._zeroconf, self._heard)

    def start(self) -> None:
        self._browser.start()
        # Registering probes the network for a second or two first; do not hold up the node.
        threading.Thread(target=self._announce, name="mdns-announce", daemon=True).start()

    def close(self) -> None:
        self._browser.close()
        self._zeroconf.unregister_all_services()
        self._zeroconf.close()

    def _announce(self) -> None:
        try:
            self._zeroconf.register_service(self._announcement)
        except NonUniqueNameException:
            log.error("another node here announces %s; not announcing", self._announcement.name)

    def _heard(self, sighting: Sighting) -> None:
        if sighting.device_id != self._own_id:
            self._on_sighting(sighting)


def announcement(
    device_id: str, hosts: list[str], port: int, pairing_port: int | None
) -> ServiceInfo:
    """What this node says about itself on the LAN: its id, where to reach it, nothing more.
    Discovery is IPv4-only for now; other hosts are left out."""
    properties = {TXT_DEVICE_ID: device_id, TXT_PROTOCOL_VERSION: str(PROTOCOL_VERSION)}
    if pairing_port is not None:
        properties[TXT_PAIRING_PORT] = str(pairing_port)
    return ServiceInfo(
        SERVICE_TYPE,
        f"{device_id}.{SERVICE_TYPE}",
        addresses=[socket.inet_aton(host) for host in hosts if _is_ipv4(host)],
        port=port,
        properties=properties,
    )


def find_inviter(code: InviteCode, timeout: float) -> str | None:
    """The pairing address of the device an invite code pins, if it announces itself within
    `timeout` seconds. Whoever answers is checked against the pin before anything is sent."""
    found: queue.Queue[str] = queue.Queue()

    def heard(sighting: Sighting) -> None:
        pinned = code.pins(id_fingerprint(sighting.device_id))
        if pinned and sighting.pairing_port is not None and sighting.hosts:
            found.put(join(sighting.hosts[0], sighting.pairing_port))

    zeroconf = Zeroconf(ip_version=IPVersion.V4Only)
    browser = _Browser(zeroconf, heard)
    browser.start()
    try:
        return found.get(timeout=timeout)
    except queue.Empty:
        return None
    finally:
        browser.close()
        zeroconf.close()


class _Browser:
    """Browses for Roost services and resolves each one on a worker thread: resolving blocks,
    and must not run on zeroconf's own thread."""

    def __init__(self, zeroconf: Zeroconf, on_sighting: Callable[[Sighting], None]) -> None:
        self._zeroconf = zeroconf
        self._on_sighting = on_sighting
        self._names: queue.Queue[str | None] = queue.Queue()
        self._worker = threading.Thread(target=self._resolve, name="mdns-resolve", daemon=True)
        self._browser: ServiceBrowser | None = None

    def start(self) -> None:
        self._worker.start()
        self._browser = ServiceBrowser(self._zeroconf, SERVICE_TYPE, handlers=[self._changed])

    def close(self) -> None:
        if self._browser is not None:
            self._browser.cancel()
        self._names.put(None)
        self._worker.join(timeout=RESOLVE_MS / 1000 + 1)

    def _changed(
        self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            self._names.put(name)

    def _resolve(self) -> None:
        while (name := self._names.get()) is not None:
            info = self._zeroconf.get_service_info(SERVICE_TYPE, name, timeout=RESOLVE_MS)
            sighting = _read(name, info) if info is not None else None
            if sighting is not None:
                self._on_sighting(sighting)


def _read(name: str, info: ServiceInfo) -> Sighting | None:
    """A sighting from a resolved service, or None if it is not a well-formed Roost one."""
    properties = {
        key.decode("utf-8", "replace"): (value or b"").decode("utf-8", "replace")
        for key, value in info.properties.items()
    }
    device_id = properties.get(TXT_DEVICE_ID, "")
    pairing = properties.get(TXT_PAIRING_PORT, "")
    try:
        id_fingerprint(device_id)
    except IdentityError:
        return None
    if name.lower() != f"{device_id}.{SERVICE_TYPE}".lower() or info.port is None:
        return None
    hosts = tuple(info.parsed_addresses(IPVersion.V4Only))
    return Sighting(device_id, hosts, info.port, int(pairing) if pairing.isdigit() else None)


def _is_ipv4(host: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv4Address)
    except ValueError:
        return False
