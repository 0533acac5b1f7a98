"""`roost search "QUERY"`: find photos by who, when and where, on every family device at once.

Reading the query and answering it are `node.search`'s; this module prints the answer. When
this home's node runs, it answers (it has the index open), and the command imports no more than
the channel to it; the index and the search are imported only to answer here, and the channel
only on a device in a family.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from node.cli.commands import command
from node.cli.common import positive, print_json, seconds_up_to
from node.family import FamilyError, has_identity
from node.running import running_node
from node.settings import Home
from protocol.query import Query
from protocol.search import DEADLINE, MAX_DEADLINE, MAX_HITS

if TYPE_CHECKING:
    from node.peer.device import Device


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = command(
        sub,
        "search",
        description="People and pets by name (all must be in the photo; 'only Alice' means no "
        "one else named), dates ('2019', 'July 2019', 'summer 2015', 'between 2015 and 2017', "
        "'10 years ago'), and places (city, region or country). The structured form works too: "
        "person:Alice place:Paris after:2015-01-01 before:2016-01-01 only:true. This device and "
        "every family device that answers in time are searched at once.",
    )
    p.add_argument("query", metavar="QUERY", help="what to find, in one quoted argument")
    p.add_argument(
        "--limit", type=positive, default=50, metavar="N", help=f"at most N hits (≤ {MAX_HITS})"
    )
    p.add_argument("--local", action="store_true", help="search this device only")
    p.add_argument(
        "--timeout",
        type=seconds_up_to(MAX_DEADLINE),
        default=DEADLINE,
        metavar="SECONDS",
        help=f"how long to wait for other devices (default: {DEADLINE:g}, at most "
        f"{MAX_DEADLINE:g})",
    )
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(run=run_search)


def run_search(args: argparse.Namespace, home: Home) -> int:
    limit = min(args.limit, MAX_HITS)
    answer = _from_node(args, home, limit) or _here(args, home, limit)
    if args.json:
        print_json(answer)
    else:
        _print(answer)
    return 0


def _from_node(args: argparse.Namespace, home: Home, limit: int) -> dict[str, Any] | None:
    """The answer of this home's running node, which has the index open (see
    `node.peer.local`); None if no node runs or it cannot answer now."""
    node = running_node(home)
    if node is None or node.port is None:  # none runs, or it serves no peers (in no family)
        return None
    from node.peer.address import join
    from node.peer.device import Device
    from node.peer.own_node import ask_own_node

    try:
        device = Device.load(home)
        address = join(node.hosts[0] if node.hosts else "127.0.0.1", node.port)
        return ask_own_node(device, address, args.query, limit, args.local, args.timeout)
    except FamilyError:  # not in a family after all, or the node stopped: search here
        return None


def _here(args: argparse.Namespace, home: Home, limit: int) -> dict[str, Any]:
    from node.library.store import Library
    from node.search.family import search_family
    from node.search.run import parse

    library = Library.open(home.library)
    query = parse(library, args.query, datetime.now())
    device = _device(home)
    answer = search_family(
        library, query, device, limit=limit, deadline=args.timeout, local=args.local
    )
    if device is not None and len(answer.devices) > 1:
        from node.peer.status import Exchange, PeerStatus

        asked = {d.id: d.error for d in answer.devices[1:]}
        PeerStatus(home.peer_status).record(Exchange.SEARCH, asked)
    return answer.to_json()


def _device(home: Home) -> Device | None:
    """This home's device; None in no family yet (this device is all there is), found
    without importing the channel."""
    if not has_identity(home.identity):
        return None
    from node.peer.device import Device

    try:
        return Device.load(home)
    except FamilyError:
        return None  # left the family meanwhile


def _print(answer: dict[str, Any]) -> None:
    print(f"search: {Query.from_dict(answer['query']).to_structured_string()}")
    several = len(answer["devices"]) > 1
    for hit in answer["hits"]:
        people = ", ".join(hit["people"]) or "-"
        where = hit.get("path") or f"on {hit['device']}: {hit['device_id']}:{hit['media']}"
        print(f"  {hit['taken_at'][:10]}  {where}")
        held = f"; on {hit['device']}" if several and "path" in hit else ""
        print(
            f"              {people}; {hit['place'] or 'no place'}; score {hit['score']:.2f}{held}"
        )
        if hit["duration"] is not None:  # a video
            _print_spans(hit["duration"], hit["spans"])
    shown = len(answer["hits"])
    if answer["total"] > shown:
        print(f"{shown} of {answer['total']} photos shown; --limit shows more")
    elif shown:
        print(f"{shown} photo{'s' if shown != 1 else ''}")
    if several:
        answered = [d["name"] for d in answer["devices"] if d["answered"]]
        print(f"searched: {', '.join(answered)}")
    for note in answer["notes"]:
        print(f"note: {note}")


def _print_spans(duration: float, spans: list[dict[str, Any]]) -> None:
    from node.video.timeline import clock  # only for a video among the hits

    where = "; ".join(
        f"{clock(s['start'])}–{clock(s['end'])} {', '.join(s['people'])}" for s in spans
    )
    print(f"              video {clock(duration)}" + (f": {where}" if where else ""))
