"""`roost node start`: the long-running node.

It keeps the library's folders indexed (`node.watch`), serves the family channel (and, on the
admin device, the pairing listener), announces itself and browses over mDNS, and keeps saying
Hello to the devices it finds; a device in no family yet only indexes. One node per home: an
exclusive lock on `<home>/node.lock` (released by the kernel however the process ends) keeps a
second one out. While running it writes `<home>/node.json` so other commands (`roost family
invite`) know where it listens. SIGTERM or SIGINT stop it cleanly: the mDNS announcement is
withdrawn, calls in flight get a short grace, the state file is removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from node.family import FamilyError, has_identity
from node.family import identity as identity_files
from node.family.invites import InviteBook
from node.family.keys import PLAIN_WARNING, Protection
from node.files import hold
from node.peer.address import is_unspecified, join, local_ipv4_hosts, parse
from node.peer.connections import ConnectionCap
from node.peer.device import Device
from node.peer.dialer import Dialer
from node.peer.discovery import Discovery, announcement
from node.peer.hello import Greeter
from node.peer.labels import LabelsService
from node.peer.local import LocalService
from node.peer.originals import OriginalsService
from node.peer.pairing import PairingService
from node.peer.renewal import AdminService, Renewer
from node.peer.search import SearchService
from node.peer.server import GRACE_SECONDS, serve_pairing, serve_peers
from node.peer.syncer import Syncer
from node.people.state import read_state
from node.running import NodeState
from node.settings import Home
from node.watch.keeper import Keeper
from protocol.errors import RoostError

log = logging.getLogger("roost.node")


@dataclass(frozen=True)
class NodeOptions:
    listen: str
    pair_listen: str | None
    discovery: bool
    peers: tuple[str, ...]
    hello_interval: float
    coordinator: str | None = None  # the family coordinator's relay, if not found by itself
    two_device_consent: bool = False  # take part in rounds of two, without secure aggregation
    index: bool = True  # keep the library's folders indexed (`node.watch`)


def run(home: Home, options: NodeOptions) -> int:
    """Run the node until SIGTERM or SIGINT. The family side starts again whenever this
    device's identity files change (a renewed certificate, a restored CA key, a family just
    created or joined); the indexing starts once and runs through those restarts, since
    nothing in it depends on the identity and a restart would abort a run in progress."""
    home.ensure()
    with _exclusive(home.node_lock), contextlib.ExitStack() as node:
        log_to(home.node_log)
        _raise_file_limit()
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if options.index:
            _keep_indexed(home, node)
        while not stop.is_set():
            with contextlib.ExitStack() as cleanup:
                started = identity_files.stamp(home.identity)
                options = _start(home, options, cleanup)
                log.info("node running; stop with SIGTERM or Ctrl-C")
                while not stop.wait(0.5):
                    if identity_files.stamp(home.identity) != started:
                        log.info(
                            "this device's identity changed (a family created or joined, a "
                            "renewed certificate, a restored CA key): restarting the listeners "
                            "with it"
                        )
                        break
                else:
                    log.info("stopping")
        # Stopped cleanly. Python restores default handlers as it exits, and a repeated signal
        # arriving then would kill the process; ignoring them keeps the exit status 0.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
    log.info("stopped")
    return 0


def _keep_indexed(home: Home, node: contextlib.ExitStack) -> None:
    """Start the library's indexing (`node.watch`) for the life of the node."""
    keeper = Keeper(home)
    keeper.start()
    node.callback(keeper.stop)
    log.info("keeping the library's folders indexed")


def _start(home: Home, options: NodeOptions, cleanup: contextlib.ExitStack) -> NodeOptions:
    """Start everything that speaks to the family; the options to start again with, on the
    ports now bound. In no family yet, only say the node runs (it indexes all the same)."""
    if not has_identity(home.identity):
        log.info("in no family yet: not serving peers (`roost family create` or `join`)")
        _publish(home, [], None, None, cleanup)
        return options
    device = Device.load(home)
    identity, revocations, directory = device.identity, device.revocations, device.directory
    if identity.protection is Protection.PLAIN:
        log.warning(PLAIN_WARNING)
    try:
        host = parse(options.listen)[0]
        pair_listen = options.pair_listen or join(host, _pairing_port_for(options.listen))
        for address in (pair_listen, *options.peers):
            parse(address)
    except ValueError as exc:
        raise FamilyError(str(exc)) from exc
    syncer = Syncer(device)
    services = (
        LabelsService(device, absorbed=syncer.absorbed),
        SearchService(device),
        OriginalsService(device),
        LocalService(device),
        AdminService(identity),
    )
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
    cap = ConnectionCap(p for p in (port, pairing_port) if p is not None)
    cap.start()
    cleanup.callback(cap.stop)
    hosts = local_ipv4_hosts() if is_unspecified(host) else [host]
    client = device.client()
    cleanup.callback(client.close)
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
    renewer = Renewer(identity, client, directory, revocations)
    _every(options.hello_interval, renewer.check, "certificate-renewal", cleanup)
    threading.Thread(target=_open_library, args=(device,), name="open-library", daemon=True).start()
    _federate(home, options, device, greeter, cleanup)
    _publish(home, hosts, port, pairing_port, cleanup)
    bound_pairing = join(parse(pair_listen)[0], pairing_port) if pairing_port else pair_listen
    return replace(options, listen=join(host, port), pair_listen=bound_pairing)


def _publish(
    home: Home,
    hosts: list[str],
    port: int | None,
    pairing_port: int | None,
    cleanup: contextlib.ExitStack,
) -> None:
    """Write node.json (removed when the node stops or restarts): the node is up, and where it
    listens."""
    NodeState(os.getpid(), tuple(hosts), port, pairing_port).write(home)
    cleanup.callback(home.node_state.unlink, missing_ok=True)


def _every(
    seconds: float, job: Callable[[], object], name: str, cleanup: contextlib.ExitStack
) -> None:
    """Run `job` every `seconds` in a thread until `cleanup` closes; failures are logged."""
    stopped = threading.Event()

    def loop() -> None:
        while not stopped.wait(seconds):
            try:
                job()
            except Exception:  # the node must outlive any one failed attempt
                log.exception("%s failed", name)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    cleanup.callback(thread.join)
    cleanup.callback(stopped.set)


def _open_library(device: Device) -> None:
    """Open the index now, in the background: the database library takes seconds to import,
    and the first family search should not wait for it."""
    if device.home.library.exists():
        try:
            read_state(device.library)
        except RoostError as exc:
            log.warning("the library cannot be opened: %s", exc)


def _federate(
    home: Home,
    options: NodeOptions,
    device: Device,
    greeter: Greeter,
    cleanup: contextlib.ExitStack,
) -> None:
    """Take part in the family's rounds: a supervised SuperNode once a coordinator is found,
    and, if one runs on this device, say so in greetings."""
    from node.model.finder import CoordinatorFinder, advertised
    from node.model.supernode import SuperNodeSupervisor

    greeter.extra_capabilities = lambda: advertised(home.root)
    finder = CoordinatorFinder(home.root, greeter, device.directory, options.coordinator)
    supervisor = SuperNodeSupervisor(
        home, device.identity, device.revocations, finder, options.two_device_consent
    )
    supervisor.start()
    cleanup.callback(supervisor.stop)


def _exclusive(lock_path: Path) -> contextlib.AbstractContextManager[None]:
    """Hold the home's node lock for the life of the node, or refuse to start."""
    return hold(
        lock_path,
        refuse=lambda who: FamilyError(f"another node is already running for this home ({who})"),
    )


def log_to(path: Path) -> None:
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
