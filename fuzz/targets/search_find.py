"""`Search.Find` through its handler: a family device's search request (the structured query
as JSON, the subject ids its names resolved to, a limit), answered from a real library of
real photos as gRPC would call the handler after decoding the message."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime

from google.protobuf.message import DecodeError

from fuzz.library import library_device
from fuzz.world import Aborted, world
from node.peer.search import SearchService
from node.people.state import read_state
from node.search.family import request_for
from node.search.run import parse
from protocol.gen import roost_pb2
from protocol.search import HITS_PER_MESSAGE, WireHit

NOW = datetime(2026, 6, 1, 12, 0)


@functools.cache
def _service() -> SearchService:
    return SearchService(library_device())


def fuzz_one(data: bytes) -> None:
    try:
        request = roost_pb2.SearchRequest.FromString(data)
    except DecodeError:
        return
    replies = _service().Find(request, world().member_context())
    try:
        answer = list(replies)
    except Aborted:  # a refusal: INVALID_ARGUMENT for a malformed request
        return
    # What the asker reads: bounded chunks of hits that pass its own checks, then one last
    # message, and no more hits than it asked for.
    *chunks, last = answer
    assert last.done and not last.hits and all(not c.done for c in chunks)
    hits = [WireHit.from_wire(hit) for chunk in chunks for hit in chunk.hits]
    assert all(0 < len(c.hits) <= HITS_PER_MESSAGE for c in chunks)
    assert len(hits) <= request.limit and len(hits) <= last.total


def seeds() -> Iterator[bytes]:
    library = library_device().library
    state = read_state(library)
    for text in (
        "Alice",
        "Alice and Bob",
        "only Alice",
        "Italy 2008",
        "Alice in Paris summer 2019",
        "Bob 10 years ago",
        "Scooby at the beach",
        "person:Alice after:2015-01-01 before:2020-01-01 tolerance:30d",
    ):
        query = parse(library, text, NOW, state)
        for limit in (1, 50):
            yield request_for(state, query, limit).to_wire().SerializeToString()
