"""`roost coordinator`: run the family's federated-learning coordinator on this device."""

from __future__ import annotations

import argparse

from node.cli.commands import command
from node.settings import Home
from protocol.wire import DEFAULT_PEER_PORT

DEFAULT_RELAY_PORT = DEFAULT_PEER_PORT + 2  # the node's listeners use the two below


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    coordinator = command(sub, "coordinator")
    commands = coordinator.add_subparsers(
        dest="coordinator_command", metavar="COMMAND", required=True
    )
    start = commands.add_parser(
        "start",
        help="serve Flower to the family and run rounds by itself (foreground, until SIGTERM)",
    )
    start.add_argument(
        "--listen",
        default=f"0.0.0.0:{DEFAULT_RELAY_PORT}",
        metavar="HOST:PORT",
        help=f"the relay family devices reach (default: 0.0.0.0:{DEFAULT_RELAY_PORT}; port 0: any)",
    )
    start.add_argument(
        "--two-device-consent",
        action="store_true",
        help="allow rounds of only two devices, without secure aggregation (each device must "
        "consent too: roost node start --two-device-consent)",
    )
    start.add_argument(
        "--new-labels",
        type=int,
        default=20,
        metavar="N",
        help="run a round by itself after this many new label events (default: 20)",
    )
    start.add_argument(
        "--check-interval",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how often to check whether a round is due (default: 300)",
    )
    start.set_defaults(run=run_start)


def run_start(args: argparse.Namespace, home: Home) -> int:
    from coordinator.service import CoordinatorOptions, run

    options = CoordinatorOptions(
        args.listen, args.two_device_consent, args.new_labels, args.check_interval
    )
    return run(home, options)
