"""The search language typed by the user (`parse_query`), natural and structured."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from node.search.errors import QueryError
from node.search.parse import parse_query

NOW = datetime(2026, 6, 1, 12, 0)
NAMES = ("Alice", "Bob", "Mary Ann", "Scooby")
PLACES = ("Italy", "Paris", "Ile-de-France", "New York")


def fuzz_one(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        query = parse_query(text, known_names=NAMES, known_places=PLACES, now=NOW)
    except QueryError:
        return
    # The structured form of any accepted query reads back as the same query.
    again = query.to_structured_string()
    assert parse_query(again, known_names=NAMES, known_places=PLACES, now=NOW) == query, again


def seeds() -> Iterator[bytes]:
    for text in (
        "Alice and Scooby in Italy summer 2015",
        "only Mary Ann in Paris last winter",
        "Bob 3 years ago",
        "person:Alice pet:Scooby only:true year:2019 month:6",
        'person:"Mary Ann" after:2015-01-01 before:2016-01-01 tolerance:10d text:beach',
        "June 2019",
        "Alice or Bob",
    ):
        yield text.encode()
