"""The peer loop: keep saying Hello to every family device this node can find.

Addresses come from three places, all treated as hints: mDNS sightings, addresses recorded after
earlier successful Hellos, and addresses the user configured (`--peer`). A Hello over mutual
TLS, pinned to the device id we expect, is what turns a hint into "seen"; it also carries
revocation lists around the family. The loop runs again at once when discovery reports a new
device or address, and every `interval` seconds otherwise. A device that answers after not
answering (or for the first time) is reported `online`, which starts a label sync with it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from node.family.directory import Directory
from node.family.revocations import RevocationStore
from node.peer import PeerError
from node.peer.client import PeerClient
from node.peer.discovery import Sighting
from node.peer.hello import Greeter

log = logging.getLogger(__name__)


class Dialer:
    def __init__(
        self,
        own_id: str,
        greeter: Greeter,
        client: PeerClient,
        directory: Directory,
        revocations: RevocationStore,
        manual_addresses: Iterable[str],
        interval: float,
        online: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._own_id = own_id
        self._greeter = greeter
        self._client = client
        self._directory = directory
        self._revocations = revocations
        self._manual = list(manual_addresses)
        self._interval = interval
        self._online = online  # told each device that answered after not answering
        self._answering: set[str] = set()
        self._lock = threading.Lock()
        self._sighted: dict[str, list[str]] = {}
        self._manual_ids: dict[str, str] = {}
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peer-dialer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join()

    def sighted(self, sighting: Sighting) -> None:
        """Discovery heard of a device; dial it now if that is news."""
        addresses = sighting.addresses()
        with self._lock:
            news = self._sighted.get(sighting.device_id) != addresses
            self._sighted[sighting.device_id] = addresses
        if news:
            log.info("discovered %s at %s", sighting.device_id, ", ".join(addresses))
            self._wake.set()

    def round(self) -> None:
        """One pass: greet each known device at the first of its addresses that answers."""
        for device_id, addresses in self._targets().items():
            if device_id == self._own_id or self._revocations.is_revoked(device_id):
                continue
            for address in addresses:
                if self._stopped.is_set():
                    return
                try:
                    self._greeter.greet(self._client, address, device_id)
                except PeerError as exc:
                    log.info("no hello from %s: %s", device_id, exc)
                    self._manual_ids.pop(address, None)
                else:
                    if device_id not in self._answering:
                        self._answering.add(device_id)
                        self._online(device_id)
                    break
            else:
                self._answering.discard(device_id)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.clear()
            try:
                self.round()
            except Exception:  # the loop must outlive any one peer's misbehaviour
                log.exception("peer round failed")
            self._wake.wait(self._interval)

    def _targets(self) -> dict[str, list[str]]:
        targets: dict[str, list[str]] = {}

        def add(device_id: str, addresses: Iterable[str]) -> None:
            known = targets.setdefault(device_id, [])
            known.extend(address for address in addresses if address not in known)

        for address in self._manual:
            device_id = self._manual_id(address)
            if device_id is not None:
                add(device_id, [address])
        with self._lock:
            sighted = dict(self._sighted)
        for device_id, addresses in sighted.items():
            add(device_id, addresses)
        for record in self._directory.all().values():
            add(record.id, record.addresses)
        return targets

    def _manual_id(self, address: str) -> str | None:
        """Who serves a configured address: learned by handshake, remembered until it fails."""
        if address not in self._manual_ids:
            try:
                self._manual_ids[address] = self._client.identify(address)
            except PeerError as exc:
                log.info("configured peer %s: %s", address, exc)
                return None
        return self._manual_ids[address]
