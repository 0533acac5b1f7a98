"""The running node's label sync: soon after every change to the log, and whenever a device
comes online, sync with the devices concerned.

Triggers: a new version of this library's label log (an edit by the CLI or the TUI, or events
absorbed from a peer, which this relays on), checked every `poll` seconds by one `stat`; a
device that answered Hello after not answering (the dialer tells); a peer that pushed news
(relayed to the others). Each round syncs the pending devices in parallel, bounded by
`timeout`, and records the outcome in `<home>/peer-status.json`.
"""

from __future__ import annotations

import logging
import os
import threading

from node.peer.device import Device
from node.peer.fanout import Peer, fan_out
from node.peer.labels import SyncResult, sync_with
from node.peer.status import Exchange, PeerStatus

log = logging.getLogger(__name__)


class Syncer:
    def __init__(self, device: Device, poll: float = 1.0, timeout: float = 20.0) -> None:
        self._device = device
        self._poll = poll
        self._timeout = timeout
        self._status = PeerStatus(device.home.peer_status)
        self._versions = device.home.library / "label_events.lance" / "_versions"
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._everyone = True  # sync with all once at start
        self._stamp = self._log_stamp()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="label-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join()

    def online(self, device_id: str) -> None:
        """A device came online: sync with it now."""
        self._want({device_id})

    def absorbed(self, from_id: str) -> None:
        """A peer pushed events: pass them on to everyone else."""
        self._want({p.id for p in self._device.peers() if p.id != from_id})

    def _want(self, devices: set[str]) -> None:
        with self._lock:
            self._pending |= devices
        self._wake.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self._poll)
            self._wake.clear()
            stamp = self._log_stamp()
            with self._lock:
                changed, self._stamp = stamp != self._stamp, stamp
                everyone = self._everyone or changed
                pending, self._pending, self._everyone = self._pending, set(), False
            peers = [p for p in self._device.peers() if everyone or p.id in pending]
            try:
                self._round(peers)
            except Exception:  # the loop must outlive any one peer's misbehaviour
                log.exception("label sync round failed")

    def _round(self, peers: list[Peer]) -> None:
        if not peers or not self._device.home.library.exists():
            return

        def sync(peer: Peer, deadline: float) -> SyncResult:
            return sync_with(self._device, peer, deadline)

        outcomes = fan_out(peers, sync, self._timeout)
        for outcome in outcomes:
            if outcome.error is not None:
                log.info("no label sync with %s: %s", outcome.peer.name, outcome.error)
            elif (moved := outcome.value) is not None and (moved.sent or moved.received):
                log.info(
                    "label sync with %s: sent %d, received %d",
                    outcome.peer.name,
                    moved.sent,
                    moved.received,
                )
        self._status.record(Exchange.SYNC, {o.peer.id: o.error for o in outcomes})

    def _log_stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self._versions)
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_nlink)
