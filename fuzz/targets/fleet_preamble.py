"""The first bytes a member sends through the coordinator's relay (`protocol.fleet`'s
preamble, as `coordinator/relay.py` reads it with `read_preamble`), delivered a few bytes at
a time as a socket may. The relay parses nothing after it: the rest goes to the SuperLink."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

from node.model.supernode import supernode_key
from protocol.fleet import HEADER, MAX_KEY, FleetError, encode, read_preamble

STEP = 7  # bytes per receive: a preamble split across reads, as TCP may split it


def fuzz_one(data: bytes) -> None:
    stream = io.BytesIO(data)
    try:
        key = read_preamble(lambda n: stream.read(min(n, STEP)))
    except FleetError:
        assert stream.tell() <= HEADER + MAX_KEY  # a refusal reads no more than a preamble
        return
    # What was accepted is exactly a preamble, and not a byte past it was read.
    assert 0 < len(key) <= MAX_KEY and stream.tell() == HEADER + len(key)
    assert data[: stream.tell()] == encode(key)


def seeds() -> Iterator[bytes]:
    with tempfile.TemporaryDirectory() as folder:
        _, public = supernode_key(Path(folder))  # a real SuperNode key, as a node makes one
        key = public.read_bytes()
    yield encode(key)
    yield encode(key) + b"POST /flwr.proto.FleetService/PullMessages HTTP/1.1\r\n"
    yield encode(b"k")
