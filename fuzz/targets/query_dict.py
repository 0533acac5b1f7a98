"""The structured query a searching device sends (`Query.from_dict` of its JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from node.search.errors import QueryError
from node.search.parse import parse_query
from protocol.query import Query

NOW = datetime(2026, 6, 1, 12, 0)


def fuzz_one(data: bytes) -> None:
    try:
        document = json.loads(data)
    except ValueError:  # not JSON (or not UTF-8): gRPC's caller would be refused before this
        return
    try:
        query = Query.from_dict(document)
    except (ValueError, QueryError):  # its documented refusals (a peer's gets INVALID_ARGUMENT)
        return
    # What was accepted survives its own round trip.
    assert Query.from_dict(json.loads(json.dumps(query.to_dict()))) == query


def seeds() -> Iterator[bytes]:
    names, places = ["Alice", "Bob", "Scooby"], ["Italy", "Paris", "Latium"]
    for text in (
        "Alice and Scooby in Italy summer 2015",
        "only Bob 10 years ago",
        "person:Alice after:2015-01-01 before:2016-01-01 place:Paris tolerance:3d",
        "photos of Alice in June 2019",
    ):
        query = parse_query(text, known_names=names, known_places=places, now=NOW)
        yield json.dumps(query.to_dict()).encode()
