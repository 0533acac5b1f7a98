"""Search over the family channel (`Search.Find` in roost.proto): answering a family device's
query from this device's index, and asking one.

Trust boundary: any admitted family device may ask; it gets hit metadata and one small
thumbnail per photo, made at indexing (`Library.thumbnails`), so answering never decodes an
original. The query's subjects come with the asker's subject ids, resolved here through this
device's own registry (and its merges); a word the asker could not place (in `unknown_names`)
is looked up here as a name and as a place, so a name given only on this device, or a place
only its photos are in, already works from another. The
answer is bounded (`limit`, at most `MAX_HITS`), streamed a few hits per message, and stops as
soon as the asker goes away or its deadline passes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

import grpc
from cryptography import x509

from node.library.store import Library
from node.peer import PeerError
from node.peer.device import Device
from node.peer.fanout import Peer
from node.peer.services import Call, rpc
from node.people.state import read_state
from node.places import places_of
from node.search.run import find
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.labels import Labels
from protocol.query import Query
from protocol.search import (
    HITS_PER_MESSAGE,
    MAX_NOTES,
    SearchRequest,
    SearchWireError,
    WireHit,
)

log = logging.getLogger(__name__)

Thumbnails = Callable[[Iterable[str]], dict[str, bytes]]


def thumbnails_of(device: Device) -> Thumbnails:
    """The photo thumbnails indexing made, read for the hits being sent only."""
    return device.library.thumbnails


class SearchService(roost_pb2_grpc.SearchServicer):  # type: ignore[misc]
    def __init__(self, device: Device, thumbnails: Thumbnails | None = None) -> None:
        self._device = device
        self._thumbnails = thumbnails  # None: the library's, once it is opened for a search

    @property
    def ca_certificate(self) -> x509.Certificate:
        return self._device.identity.ca_certificate

    def register(self, server: grpc.Server) -> None:
        roost_pb2_grpc.add_SearchServicer_to_server(self, server)

    @rpc
    def Find(self, request: roost_pb2.SearchRequest, call: Call) -> Iterator[roost_pb2.SearchReply]:
        asked = SearchRequest.from_wire(request)
        library = self._device.library
        state = read_state(library)
        query = _here(asked, state.labels, library)
        answer = find(library, query, limit=asked.limit, state=state)
        read_thumbnails = self._thumbnails or thumbnails_of(self._device)
        thumbnails = read_thumbnails(h.media for h in answer.hits)  # one read: at most MAX_HITS
        log.info("search from %s: %d hit(s)", call.caller.name, len(answer.hits))
        for start in range(0, len(answer.hits), HITS_PER_MESSAGE):
            if not call.active():
                return
            hits = [
                WireHit(
                    h.media, h.taken_at, h.place, h.people, h.score, thumbnails.get(h.media, b"")
                ).to_wire()
                for h in answer.hits[start : start + HITS_PER_MESSAGE]
            ]
            yield roost_pb2.SearchReply(hits=hits)
        notes = answer.notes[:MAX_NOTES]
        yield roost_pb2.SearchReply(done=True, total=answer.total, notes=notes)


def _here(asked: SearchRequest, labels: Labels, library: Library) -> Query:
    """The query in this device's words: each subject by its id (through merges), else by
    name; and the words the asker could not place (its vocabulary is its own names and the
    places of its own photos), looked up here as a name, then as a place (the places are
    read only for such a word)."""
    subjects: list[str] = []
    unknown: list[str] = []
    found_places = list(asked.query.places)
    for name, subject_id in zip(asked.query.subjects, asked.subject_ids, strict=True):
        live = labels.resolve(subject_id)
        found = labels.subjects[live] if live is not None else labels.by_name(name)
        (subjects if found else unknown).append(found.name if found else name)
    places: set[str] | None = None
    for name in asked.query.unknown_names:
        found = labels.by_name(name)
        if found is not None:
            subjects.append(found.name)
            continue
        if places is None:
            places = {n.casefold() for p in places_of(library).values() for n in p.names()}
        (found_places if name.casefold() in places else unknown).append(name)
    return replace(
        asked.query,
        subjects=tuple(subjects),
        places=tuple(found_places),
        unknown_names=tuple(unknown),
    )


@dataclass(frozen=True)
class RemoteAnswer:
    hits: list[WireHit]
    total: int
    notes: list[str]


def ask(device: Device, peer: Peer, request: SearchRequest, deadline: float) -> RemoteAnswer:
    """`peer`'s answer to `request`, every hit checked; at most `request.limit` hits are read."""

    def find(stub: roost_pb2_grpc.SearchStub, timeout: float) -> RemoteAnswer:
        replies = stub.Find(request.to_wire(), timeout=timeout)
        try:
            return read_answer(replies, request.limit)
        except SearchWireError as exc:
            raise PeerError(f"{peer.name}: {exc}") from exc
        finally:
            replies.cancel()

    return device.client().reach(peer, deadline, roost_pb2_grpc.SearchStub, find)


def read_answer(replies: Iterable[roost_pb2.SearchReply], limit: int) -> RemoteAnswer:
    """The answer a peer streams, up to the message that says it is the last, or
    SearchWireError for the first thing in it this device refuses: a hit that fails its wire
    checks (`WireHit.from_wire`, its thumbnail's header among them), more hits than `limit`, a
    total below the hits sent, or a stream that ends before its last message. Nothing after
    the refusal is read."""
    hits: list[WireHit] = []
    for reply in replies:
        for message in reply.hits:
            hits.append(WireHit.from_wire(message))
        if len(hits) > limit:
            raise SearchWireError(f"sent more than the {limit} hits asked for")
        if reply.done:
            if reply.total < len(hits):
                raise SearchWireError(f"a total of {reply.total} photos for {len(hits)} hits")
            return RemoteAnswer(hits, reply.total, list(reply.notes)[:MAX_NOTES])
    raise SearchWireError("the answer ended early")
