"""`roost search "QUERY"`: find photos by who, when and where, in one language.

Reading the query and answering it are `node.search`'s; this module prints the answer.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from node.cli.common import print_json
from node.cli.library import _positive
from node.library.store import Library
from node.search.run import Answer, parse, search
from node.settings import Home


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "search",
        help='find photos: "Alice and Bob in Paris summer 2015"',
        description="People and pets by name (all must be in the photo; 'only Alice' means no "
        "one else named), dates ('2019', 'July 2019', 'summer 2015', 'between 2015 and 2017', "
        "'10 years ago'), and places (city, region or country). The structured form works too: "
        "person:Alice place:Paris after:2015-01-01 before:2016-01-01 only:true.",
    )
    p.add_argument("query", metavar="QUERY", help="what to find, in one quoted argument")
    p.add_argument("--limit", type=_positive, default=50, metavar="N", help="at most N hits")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(run=run_search)


def run_search(args: argparse.Namespace, home: Home) -> int:
    library = Library.open(home.library)
    query = parse(library, args.query, datetime.now())
    answer = search(library, query, limit=args.limit)
    if args.json:
        print_json(answer.to_json())
    else:
        _print(answer)
    return 0


def _print(answer: Answer) -> None:
    print(f"search: {answer.query.to_structured_string()}")
    for hit in answer.hits:
        people = ", ".join(hit.people) or "-"
        print(f"  {hit.taken_at[:10]}  {hit.path}")
        print(f"              {people}; {hit.place or 'no place'}; score {hit.score:.2f}")
    shown = len(answer.hits)
    if answer.total > shown:
        print(f"{shown} of {answer.total} photos shown; --limit shows more")
    elif shown:
        print(f"{shown} photo{'s' if shown != 1 else ''}")
    for note in answer.notes:
        print(f"note: {note}")
