"""`roost node start`: the long-running node.

It serves the family channel (and, on the admin device, the pairing listener), announces itself
and browses over mDNS, and keeps saying Hello to the devices it finds. One node per home: an
exclusive lock on `<home>/node.lock` (released by the kernel however the process ends) keeps a
second one out. While running it writes `<home>/node.json` so other commands (`roost family
invite`) know where it listens. SIGTERM or SIGINT stop it cleanly: the mDNS announcement is
withdrawn, calls in flight get a short grace, the state file is removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from node.family import FamilyError
from node.family.invites import InviteBook
from node.files import hold, holder, write_atomic
from node.peer.address import is_unspecified, join, local_ipv4_hosts, parse
from node.peer.device import Device
from node.peer.dialer import Dialer
from node.peer.discovery import Discovery, announcement
from node.peer.labels import LabelsService
from node.peer.pairing import PairingService
from node.peer.server import GRACE_SECONDS, serve_pairing, serve_peers
from node.peer.syncer import Syncer
from node.settings import Home

log = logging.getLogger("roost.node")


@dataclass(frozen=True)
class NodeOptions:
    listen: str
    pair_listen: str | None
    discovery: bool
    peers: tuple[str, ...]
    hello_interval: float


@dataclass(frozen=True)
class NodeState:
    """What `node.json` says about the running node."""

    pid: int
    hosts: tuple[str, ...]
    port: int
    pairing_port: int | None


def run(home: Home, options: NodeOptions) -> int:
    home.ensure()
    with _exclusive(home.node_lock):
        _log_to(home.node_log)
        _raise_file_limit()
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        with contextlib.ExitStack() as cleanup:
            _start(home, options, cleanup)
            log.info("node running; stop with SIGTERM or Ctrl-C")
            while not stop.wait(0.5):
                pass
            log.info("stopping")
        # Stopped cleanly. Python restores default handlers as it exits, and a repeated signal
        # arriving then would kill the process; ignoring them keeps the exit status 0.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
    log.info("stopped")
    return 0


def running_node(home: Home) -> NodeState | None:
    """The state of the node running for `home`, or None if none is."""
    if holder(home.node_lock) is None:
        return None
    try:
        state = json.loads(home.node_state.read_text())
    except FileNotFoundError:
        return None  # starting up: the lock is taken, the listeners are not up yet
    return NodeState(state["pid"], tuple(state["hosts"]), state["port"], state["pairing_port"])


def _start(home: Home, options: NodeOptions, cleanup: contextlib.ExitStack) -> None:
    device = Device.load(home)
    identity, revocations, directory = device.identity, device.revocations, device.directory
    try:
        host = parse(options.listen)[0]
        pair_listen = options.pair_listen or join(host, _pairing_port_for(options.listen))
        for address in (pair_listen, *options.peers):
            parse(address)
    except ValueError as exc:
        raise FamilyError(str(exc)) from exc
    syncer = Syncer(device)
    services = (LabelsService(device, absorbed=syncer.absorbed),)
    peer_server, greeter = serve_peers(options.listen, identity, revocations, directory, services)
    cleanup.callback(lambda: peer_server.stop(GRACE_SECONDS).wait())
    port = greeter.listen_port
    log.info("serving family peers on %s", join(host, port))
    pairing_port = None
    if identity.ca_key is not None:
        invites = InviteBook(home.invites)
        service = PairingService(identity, identity.ca_key, invites, revocations, directory)
        pairing_server, pairing_port = serve_pairing(pair_listen, identity, service)
        cleanup.callback(lambda: pairing_server.stop(GRACE_SECONDS).wait())
        log.info("serving pairing on %s", join(parse(pair_listen)[0], pairing_port))
    hosts = local_ipv4_hosts() if is_unspecified(host) else [host]
    client = device.client()
    dialer = Dialer(
        identity.device_id,
        greeter,
        client,
        directory,
        revocations,
        options.peers,
        options.hello_interval,
        online=syncer.online,
    )
    if options.discovery:
        advert = announcement(identity.device_id, hosts, port, pairing_port)
        discovery = Discovery(identity.device_id, advert, dialer.sighted)
        discovery.start()
        cleanup.callback(discovery.close)
        log.info("announcing %s over mDNS", identity.device_id)
    dialer.start()
    cleanup.callback(dialer.stop)
    syncer.start()
    cleanup.callback(syncer.stop)
    state = {"pid": os.getpid(), "hosts": hosts, "port": port, "pairing_port": pairing_port}
    write_atomic(home.node_state, json.dumps(state).encode(), mode=0o644)
    cleanup.callback(home.node_state.unlink, missing_ok=True)


def _exclusive(lock_path: Path) -> contextlib.AbstractContextManager[None]:
    """Hold the home's node lock for the life of the node, or refuse to start."""
    return hold(
        lock_path,
        refuse=lambda who: FamilyError(f"another node is already running for this home ({who})"),
    )


def _log_to(path: Path) -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.StreamHandler(sys.stderr), logging.FileHandler(path)],
        force=True,
    )


def _raise_file_limit() -> None:
    """Each connection costs a file descriptor; a LAN flood should hit the handshake timeout
    long before it exhausts a small default limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _pairing_port_for(listen: str) -> int:
    """By default pairing listens next to the family channel (or on any port if that does)."""
    port = parse(listen)[1]
    return port + 1 if port else 0
