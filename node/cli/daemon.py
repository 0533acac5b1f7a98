"""`roost node`: run this device's node (or install it as a service), or say Hello to a family
device by hand."""

from __future__ import annotations

import argparse

from node import daemon, service
from node.cli.commands import command
from node.cli.common import print_json
from node.family import identity as identity_files
from node.family.directory import Directory
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer.client import PeerClient
from node.peer.hello import Greeter
from node.settings import Home
from protocol.wire import DEFAULT_PEER_PORT


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    node = command(sub, "node")
    commands = node.add_subparsers(dest="node_command", metavar="COMMAND", required=True)

    start = commands.add_parser(
        "start",
        help="keep the library indexed, serve family devices and find them on the LAN "
        "(foreground, until SIGTERM)",
    )
    start.add_argument(
        "--listen",
        default=f"0.0.0.0:{DEFAULT_PEER_PORT}",
        metavar="HOST:PORT",
        help=f"the family channel's address (default: 0.0.0.0:{DEFAULT_PEER_PORT}; port 0: any)",
    )
    start.add_argument(
        "--pair-listen",
        metavar="HOST:PORT",
        help="the pairing listener's address, on the admin device (default: next port up)",
    )
    start.add_argument(
        "--no-discovery", action="store_true", help="neither announce nor browse over mDNS"
    )
    start.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="also call the family device at this address (repeatable; for networks that block "
        "multicast). Addresses that answer are remembered in the peer table",
    )
    start.add_argument(
        "--hello-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how often to greet known devices again (default: 30)",
    )
    start.add_argument(
        "--no-index", action="store_true", help="serve only: leave the library's folders alone"
    )
    start.add_argument(
        "--coordinator",
        metavar="HOST:PORT",
        help="the family coordinator's address, where the family cannot announce it",
    )
    start.add_argument(
        "--two-device-consent",
        action="store_true",
        help="also take part in rounds of only two devices, where the coordinator can read "
        "this device's contribution (no secure aggregation)",
    )
    start.set_defaults(run=run_start)

    install = commands.add_parser(
        "install",
        help="run the node as this user's service (systemd user unit, launchd agent)",
    )
    install.add_argument(
        "--print", action="store_true", help="only print the unit (or agent) and where it goes"
    )
    install.set_defaults(run=run_install)
    uninstall = commands.add_parser("uninstall", help="stop the service and remove it")
    uninstall.set_defaults(run=run_uninstall)

    hello = commands.add_parser("hello", help="say Hello to the family device at HOST:PORT")
    hello.add_argument("address", metavar="HOST:PORT")
    hello.add_argument("--json", action="store_true", help="print JSON on stdout")
    hello.set_defaults(run=run_hello)


def run_start(args: argparse.Namespace, home: Home) -> int:
    options = daemon.NodeOptions(
        listen=args.listen,
        pair_listen=args.pair_listen,
        discovery=not args.no_discovery,
        peers=tuple(args.peer),
        hello_interval=args.hello_interval,
        coordinator=args.coordinator,
        two_device_consent=args.two_device_consent,
        index=not args.no_index,
    )
    return daemon.run(home, options)


def run_install(args: argparse.Namespace, home: Home) -> int:
    unit = service.for_platform(home)
    if args.print:
        print(f"# {unit.path}")
        print(unit.text, end="")
        return 0
    service.install(unit)
    print(f"installed and started {unit.path}; `roost status` shows what it does")
    return 0


def run_uninstall(args: argparse.Namespace, home: Home) -> int:
    unit = service.for_platform(home)
    if service.uninstall(unit):
        print(f"stopped and removed {unit.path}")
    else:
        print(f"no service installed ({unit.path} does not exist)")
    return 0


def run_hello(args: argparse.Namespace, home: Home) -> int:
    identity = identity_files.load(home.identity)
    revocations = RevocationStore(home.identity / REVOCATION_FILE, identity.ca_certificate)
    client = PeerClient(identity, revocations)
    greeter = Greeter(identity, revocations, Directory(home.devices))
    reply = greeter.greet(client, args.address, client.identify(args.address))
    answer = {
        "id": reply.device_id,
        "name": reply.name,
        "address": args.address,
        "software_version": reply.software_version,
        "protocol_version": reply.protocol_version,
        "capabilities": list(reply.capabilities),
    }
    if args.json:
        print_json(answer)
    else:
        print(f"{reply.name} ({reply.device_id}) answered from {args.address}")
    return 0
