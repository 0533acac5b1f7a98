"""`roost coordinator start`: the SuperLink, the relay, registration, and rounds by themselves.

Foreground until SIGTERM. It issues the SuperLink's certificate, starts and supervises
`flower-superlink` on loopback (restarted if it dies), serves the relay on `--listen`, registers
each family device's SuperNode key the first time its tunnel brings one (and unregisters the
keys of revoked devices within seconds), and writes `<home>/coordinator.json` so this device's
node announces the relay to the family. Every `check_interval` it runs a round if the
conditions hold: enough devices online (3, or 2 with consent), none running, and at least
`new_labels` label events since the last round, so rounds follow the family's naming, not every
edit.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass

from coordinator.control import Control, write_connection
from coordinator.family import FamilyState, Registered, key_digest
from coordinator.relay import Relay
from coordinator.rounds import RoundPolicy, paths_of, run_round
from coordinator.superlink import CoordinatorError, SuperLink
from node.daemon import log_to
from node.family import identity as identity_files
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.files import hold, write_atomic
from node.library.store import Library
from node.model.finder import STATE_FILE
from node.peer.address import parse
from node.people.events import EventLog
from node.settings import Home
from protocol.identity import Member

log = logging.getLogger("roost.coordinator")


@dataclass(frozen=True)
class CoordinatorOptions:
    listen: str
    two_devices: bool = False
    new_labels: int = 20
    check_interval: float = 300.0


class Registrar:
    """SuperNode keys follow family membership: registered on a member's first tunnel,
    replaced when it brings a new key, removed when it is revoked."""

    def __init__(self, state: FamilyState, control: Control, revocations: RevocationStore) -> None:
        self._state = state
        self._control = control
        self._revocations = revocations
        self._lock = threading.Lock()

    def join(self, member: Member, public_key: bytes) -> bool:
        digest = key_digest(public_key)
        with self._lock:
            if self._revocations.is_revoked(member.id):
                return False
            known = self._state.registered().get(member.id)
            if known is not None and known.key == digest:
                return True
            try:
                if known is not None:
                    self._control.unregister(known.node)
                node = self._control.register(public_key, member.name)
            except CoordinatorError as exc:
                log.warning("could not register %s: %s", member.id, exc)
                return False
            self._state.record_node(Registered(member.id, node, digest, member.name), member.id)
            log.info("registered the SuperNode of %s (%s) as node %d", member.name, member.id, node)
            return True

    def prune(self) -> None:
        """Unregister every revoked device's SuperNode."""
        with self._lock:
            for device, entry in self._state.registered().items():
                if self._revocations.is_revoked(device):
                    try:
                        self._control.unregister(entry.node)
                    except CoordinatorError as exc:
                        log.warning("could not unregister revoked %s: %s", device, exc)
                        continue
                    self._state.record_node(None, device)
                    log.info("unregistered the SuperNode of revoked device %s", device)


def run(home: Home, options: CoordinatorOptions) -> int:
    home.ensure()
    with hold(home.root / "coordinator.lock", refuse=_already_running):
        log_to(home.root / "coordinator.log")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        with contextlib.ExitStack() as cleanup:
            _serve(home, options, stop, cleanup)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
    log.info("coordinator stopped")
    return 0


def _already_running(who: str) -> CoordinatorError:
    return CoordinatorError(f"a coordinator already runs for this home ({who})")


def _serve(
    home: Home, options: CoordinatorOptions, stop: threading.Event, cleanup: contextlib.ExitStack
) -> None:
    identity = identity_files.load(home.identity)
    revocations = RevocationStore(home.identity / REVOCATION_FILE, identity.ca_certificate)
    paths = paths_of(home)
    state = FamilyState(paths.root)
    try:
        listen = parse(options.listen)
    except ValueError as exc:
        raise CoordinatorError(str(exc)) from exc
    link = SuperLink(paths, identity)
    cleanup.callback(lambda: link.stop())
    write_connection(paths, link.port)
    control = Control(paths)
    registrar = Registrar(state, control, revocations)
    relay = Relay(listen, identity, revocations, link.port, registrar.join)
    cleanup.callback(relay.close)
    announcement = {"pid": os.getpid(), "port": relay.port, "device": identity.device_id,
                    "two_devices": options.two_devices}  # fmt: skip
    write_atomic(home.root / STATE_FILE, json.dumps(announcement).encode(), mode=0o644)
    cleanup.callback((home.root / STATE_FILE).unlink, missing_ok=True)
    log.info("coordinator running: relay on %s:%d, SuperLink on 127.0.0.1:%d",
             listen[0], relay.port, link.port)  # fmt: skip
    policy = RoundPolicy(options.two_devices)
    next_check = time.monotonic() + options.check_interval
    while not stop.wait(1.0):
        state.save_traffic(dict(relay.sent))
        registrar.prune()
        if not link.alive():
            log.warning("flower-superlink died; starting it again")
            link = SuperLink(paths, identity)
            write_connection(paths, link.port)
            relay.point_at(link.port)
        if time.monotonic() >= next_check:
            next_check = time.monotonic() + options.check_interval
            _maybe_round(home, state, policy, options.new_labels)


def _maybe_round(home: Home, state: FamilyState, policy: RoundPolicy, new_labels: int) -> None:
    """A round by itself, when enough devices are online and enough has been labeled."""
    events = len(EventLog(Library.open(home.library)).read())
    last = state.round_record(state.next_round() - 1) or {}
    if events - int(last.get("label_events", 0)) < new_labels:
        return
    try:
        record = run_round(home, policy)
    except CoordinatorError as exc:
        log.info("no round now: %s", exc)
        return
    state.save_round(int(record["round"]), {"label_events": events})
    log.info("round %s: %s", record["round"], json.dumps(record))
