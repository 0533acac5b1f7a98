"""The version vector a peer sends to `Labels.Pull` (what it holds), read and answered from a
real log: the events it lacks, cut into batches."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator

from google.protobuf.message import DecodeError

from fuzz.world import world
from protocol.gen import roost_pb2
from protocol.labels import (
    Edit,
    Kind,
    LabelEvent,
    LabelWireError,
    Op,
    VersionVector,
    batches,
    missing,
)

NOW_US = 1_780_000_000_000_000


@functools.cache
def _log() -> list[LabelEvent]:
    writers = (world().admin.device_id, world().member.device_id, str(uuid.uuid4()))
    events = []
    for n in range(60):
        subject = str(uuid.uuid4())
        edit = Edit(Op.SUBJECT, subject, name=f"Person {n}", kind=Kind.PERSON)
        events.append(LabelEvent(edit, uuid.uuid4().hex, NOW_US + n, writers[n % 3]))
    return events


def fuzz_one(data: bytes) -> None:
    try:
        vector = VersionVector.from_wire(roost_pb2.VersionVector.FromString(data))
    except (DecodeError, LabelWireError):
        return
    lacking = missing(_log(), vector)
    assert not any(vector.holds(event) for event in lacking)
    assert sum(len(batch) for batch in batches(lacking)) == len(lacking)


def seeds() -> Iterator[bytes]:
    log = _log()
    yield VersionVector().to_wire().SerializeToString()
    for cut in (10, 30, 59):
        yield VersionVector.of(log[:cut]).to_wire().SerializeToString()
