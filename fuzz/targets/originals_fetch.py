"""`Originals.Fetch` through its handler: a family device asking for one photo by its content
hash, on a device whose owner shares originals, with a real library of real photos.

What must hold: a request that is not a media id is refused before anything is looked up or
logged; every other request is logged (served or refused) naming the caller and the photo;
and what is streamed is exactly the photo that hash names."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator

from google.protobuf.message import DecodeError

from fuzz.library import library_device
from fuzz.world import Aborted, world
from node.peer.originals import OriginalsService
from protocol.gen import roost_pb2
from protocol.search import is_media

MAX_LOG_BYTES = 1 << 20  # the transfer log is cut back to nothing past this, between inputs


@functools.cache
def _service() -> OriginalsService:
    return OriginalsService(library_device())


def fuzz_one(data: bytes) -> None:
    try:
        request = roost_pb2.FetchRequest.FromString(data)
    except DecodeError:
        return
    log = library_device().home.transfers
    before = log.stat().st_size if log.exists() else 0
    try:
        chunks = list(_service().Fetch(request, world().member_context()))
        served = True
    except Aborted:
        chunks, served = [], False
    if not is_media(request.media):
        assert not served and (log.stat().st_size if log.exists() else 0) == before
        return
    entry = json.loads(log.read_bytes()[before:].decode())
    assert entry["media"] == request.media and entry["device_id"] == world().member.device_id
    assert served == (entry["outcome"] == "sent")
    if served:  # the whole photo the hash names, its size announced by the first chunk
        data = b"".join(chunk.data for chunk in chunks)
        assert hashlib.sha256(data).hexdigest() == request.media
        assert chunks[0].size == len(data) == entry["bytes"]
        assert all(chunk.size == 0 for chunk in chunks[1:])
    if log.stat().st_size > MAX_LOG_BYTES:
        log.write_bytes(b"")


def seeds() -> Iterator[bytes]:
    for media in sorted(library_device().library.media_hashes()):
        yield roost_pb2.FetchRequest(media=media).SerializeToString()
    yield roost_pb2.FetchRequest(media="0" * 64).SerializeToString()
