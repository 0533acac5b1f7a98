"""`roost model`: the family face model on this device, and rounds on the coordinator's."""

from __future__ import annotations

import argparse
import json
from typing import Any

from node.cli.commands import command
from node.cli.common import print_json
from node.library.store import Library, LibraryError
from node.model.store import ModelStore
from node.settings import Home


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    model = command(sub, "model")
    commands = model.add_subparsers(dest="model_command", metavar="COMMAND", required=True)
    status = commands.add_parser("status", help="this device's model: version, round, validation")
    status.add_argument("--json", action="store_true", help="print JSON on stdout")
    status.set_defaults(run=run_status)
    round_ = commands.add_parser(
        "round", help="run one round now and wait for it (on the coordinator's device)"
    )
    round_.add_argument("--json", action="store_true", help="print JSON on stdout")
    round_.set_defaults(run=run_round)


def status_of(home: Home) -> dict[str, Any]:
    """What `roost model status --json` prints."""
    if not (home.library / "library.json").exists():
        raise LibraryError("no library here yet: run `roost index PATH` first")
    store = ModelStore(Library.open(home.library).root)
    model = store.current()
    previous = store.previous()
    if model is None:
        return {
            "version": 0, "round": 0, "participants": [], "subjects": 0, "validation": {},
            "scorer": "distance rules", "previous": None, "rolled_back": store.rolled_back(),
        }  # fmt: skip
    fit = store.root / "last-fit.json"
    return {
        "version": model.version,
        "round": model.round,
        "participants": list(model.participants),
        "subjects": len(model.known()),
        "validation": model.validation,
        "secure_aggregation": model.secure_aggregation,
        "scorer": "family model",
        "previous": previous.version if previous else None,
        "rolled_back": store.rolled_back(),
        "last_fit": json.loads(fit.read_text()) if fit.exists() else None,
    }


def run_status(args: argparse.Namespace, home: Home) -> int:
    status = status_of(home)
    if args.json:
        print_json(status)
        return 0
    if not status["version"]:
        print("no family model yet: names come from this device's labels (distance rules)")
        return 0
    print(
        f"family model v{status['version']} from round {status['round']} with "
        f"{len(status['participants'])} device(s), {status['subjects']} people; "
        f"validation on this device's labels: {status['validation']}"
    )
    return 0


def run_round(args: argparse.Namespace, home: Home) -> int:
    from coordinator.rounds import RoundPolicy, dumps, run_round
    from coordinator.superlink import CoordinatorError
    from node.model.finder import local_coordinator

    local = local_coordinator(home.root)
    if local is None:
        raise CoordinatorError(
            "no coordinator runs for this home: start one with `roost coordinator start`"
        )
    record = run_round(home, RoundPolicy(two_devices=local.two_devices))
    if args.json:
        print(dumps(record))
    else:
        print(
            f"round {record['round']}: {len(record['participants'])} devices, "
            f"{'SecAgg+' if record['secure_aggregation'] else 'no secure aggregation'}, "
            f"{record['seconds']} s"
        )
    return 0
