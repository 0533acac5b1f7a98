"""`roost fetch DEVICE_ID:MEDIA`: copy one original from the family device that holds it, and
`roost originals [never|family]`: whether this device lets family devices do that."""

from __future__ import annotations

import argparse
from pathlib import Path

from node.cli.commands import command
from node.cli.common import print_json
from node.cli.errors import CommandError
from node.peer.device import Device
from node.peer.originals import DEFAULT_SHARING, Sharing, fetch, set_sharing, sharing
from node.settings import Home
from protocol.search import is_media

MIN_ID_PREFIX = 4


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = command(
        sub,
        "fetch",
        description="HIT is DEVICE_ID:MEDIA from a search hit (`device_id` and `media` in "
        "--json; a unique device id prefix or device name works too). The owning device must "
        "allow it (`roost originals family` there). The copy is kept only if its SHA-256 is "
        "MEDIA.",
    )
    p.add_argument("hit", metavar="DEVICE_ID:MEDIA")
    p.add_argument("--out", type=Path, default=Path("."), metavar="DIR", help="(default: .)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run_fetch)

    p = command(
        sub,
        "originals",
        description="`never` (the default): photos stay on this device; family devices see "
        "search hits with small thumbnails only. `family`: a family device may copy an "
        "original it names by content hash (`roost fetch`); every request is logged in "
        "<home>/transfers.log.",
    )
    p.add_argument("setting", nargs="?", choices=[s.value for s in Sharing])
    p.set_defaults(run=run_originals)


def run_fetch(args: argparse.Namespace, home: Home) -> int:
    holder, sep, media = args.hit.rpartition(":")
    if not sep or not holder or not is_media(media):
        raise CommandError(
            "HIT is DEVICE_ID:MEDIA, MEDIA being a SHA-256 in hex (see search --json)"
        )
    device = Device.load(home)
    peers = [
        p
        for p in device.peers()
        if p.id == holder
        or p.name == holder
        or (len(holder) >= MIN_ID_PREFIX and p.id.startswith(holder))
    ]
    if len(peers) != 1:
        raise CommandError(
            f"{holder!r} names {'no' if not peers else 'more than one'} reachable family device"
        )
    fetched = fetch(device, peers[0], media, args.out)
    if args.json:
        print_json({"path": str(fetched.path), "bytes": fetched.size, "device": peers[0].name})
    else:
        print(f"saved {fetched.path} ({fetched.size} bytes) from {peers[0].name}")
    return 0


def run_originals(args: argparse.Namespace, home: Home) -> int:
    if args.setting is not None:
        set_sharing(home, Sharing(args.setting))
    current = sharing(home)
    default = " (the default)" if current is DEFAULT_SHARING else ""
    print(f"originals: {current.value}{default}")
    return 0
