"""A search answer as the asking device reads it (`node.peer.search.read_answer`): a peer's
`SearchReply` messages, each hit through its wire checks and its thumbnail's image header.
The input is one message, or several cut at `SEPARATOR`, read as one streamed answer."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from datetime import datetime

from google.protobuf.message import DecodeError
from PIL import Image

from fuzz.library import library_device
from fuzz.world import world
from node.peer.search import SearchService, read_answer
from node.people.state import read_state
from node.search.family import request_for
from node.search.run import parse
from protocol.gen import roost_pb2
from protocol.search import MAX_THUMBNAIL_BYTES, THUMBNAIL_PX, SearchWireError, WireHit
from tui.widgets.images import peer_thumbnail

SEPARATOR = b"\0ROOST\0"
LIMIT = 10
NOW = datetime(2026, 6, 1, 12, 0)


def fuzz_one(data: bytes) -> None:
    try:
        replies = [roost_pb2.SearchReply.FromString(part) for part in data.split(SEPARATOR)]
    except DecodeError:
        return
    try:
        answer = read_answer(replies, LIMIT)
    except SearchWireError:
        return
    assert len(answer.hits) <= LIMIT and answer.total >= len(answer.hits)
    for hit in answer.hits:
        assert WireHit.from_wire(hit.to_wire()) == hit
        assert len(hit.thumbnail) <= MAX_THUMBNAIL_BYTES
        # What the TUI shows: a small image, or nothing when the body does not decode.
        image = peer_thumbnail(hit.thumbnail)
        assert image is None or max(image.size) <= THUMBNAIL_PX


@functools.cache
def _answer() -> list[roost_pb2.SearchReply]:
    """A real answer: the world's library searched for Alice through the real handler."""
    device = library_device()
    state = read_state(device.library)
    request = request_for(state, parse(device.library, "Alice", NOW, state), 50)
    return list(SearchService(device).Find(request.to_wire(), world().member_context()))


def seeds() -> Iterator[bytes]:
    answer = _answer()
    yield SEPARATOR.join(reply.SerializeToString() for reply in answer)
    for reply in answer:
        yield reply.SerializeToString()
    hit = next(h for reply in answer for h in reply.hits if h.thumbnail)
    for kind in ("WEBP", "PNG"):
        with Image.open(io.BytesIO(hit.thumbnail)) as image:
            out = io.BytesIO()
            image.save(out, kind)
        other = roost_pb2.SearchHit()
        other.CopyFrom(hit)
        other.thumbnail = out.getvalue()
        done = roost_pb2.SearchReply(done=True, total=1)
        yield SEPARATOR.join(
            m.SerializeToString() for m in (roost_pb2.SearchReply(hits=[other]), done)
        )
