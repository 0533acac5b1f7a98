"""`roost sync`: exchange label events with every reachable family device now."""

from __future__ import annotations

import argparse
from typing import Any

from node.cli.commands import command
from node.cli.common import print_json
from node.peer.device import Device
from node.peer.fanout import fan_out
from node.peer.labels import SyncResult, sync_with
from node.peer.status import Exchange, PeerStatus
from node.settings import Home


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = command(
        sub,
        "sync",
        description="Pull the label events this device lacks from every family device it can "
        "reach and push the ones they lack (the running node also does this by itself, soon "
        "after each edit and whenever a device comes online).",
    )
    p.add_argument(
        "--timeout", type=float, default=20.0, metavar="SECONDS", help="per sync (default: 20)"
    )
    p.add_argument("--json", action="store_true", help="print what moved as JSON")
    p.set_defaults(run=run_sync)


def run_sync(args: argparse.Namespace, home: Home) -> int:
    device = Device.load(home)
    outcomes = fan_out(
        device.peers(), lambda peer, deadline: sync_with(device, peer, deadline), args.timeout
    )
    PeerStatus(home.peer_status).record(Exchange.SYNC, {o.peer.id: o.error for o in outcomes})
    rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        moved = outcome.value or SyncResult()
        rows.append(
            {
                "id": outcome.peer.id,
                "name": outcome.peer.name,
                "sent": moved.sent,
                "received": moved.received,
                "held": moved.held,
                "error": outcome.error,
            }
        )
    if args.json:
        print_json({"peers": rows})
        return 0
    if not rows:
        print("no other family device known yet: `roost node start` finds them")
    for row in rows:
        if row["error"] is not None:
            print(f"{row['name']}: not synced: {row['error']}")
        else:
            print(f"{row['name']}: sent {row['sent']}, received {row['received']} label events")
        for reason in row["held"]:
            print(f"  held: {reason}")
    return 0
