"""`Labels.Push` through its handler: a member streaming label batches to this device. The
input is the stream, one `LabelBatch` or several cut at `SEPARATOR`, taken into a fresh label
log in memory each time (the library's own absorbs are `tests/people/test_label_log.py`'s)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from google.protobuf.message import DecodeError

from fuzz.targets import label_batch
from fuzz.world import MemoryDirectory, MemoryLabels, world
from node.peer.device import Device
from node.peer.labels import LabelsService
from node.settings import Home
from protocol.gen import roost_pb2
from protocol.labels import MAX_CLOCK_AHEAD_US

SEPARATOR = b"\0ROOST\0"


@functools.cache
def _device() -> Device:
    admin = world().admin
    return Device(
        Home(world().root / "admin"), admin, world().revocations(admin), MemoryDirectory()
    )


def fuzz_one(data: bytes) -> None:
    try:
        stream = [roost_pb2.LabelBatch.FromString(part) for part in data.split(SEPARATOR)]
    except DecodeError:
        return
    store = MemoryLabels(label_batch.NOW_US, label_batch.REVOKED.__eq__)
    told: list[str] = []
    service = LabelsService(_device(), told.append, store)
    reply = service.Push(iter(stream), world().member_context())
    # Everything taken is counted, settled once, and announced; nothing from a revoked writer
    # or from far in this device's future is kept.
    assert reply.absorbed == len(store.events) and len(reply.held) <= 20
    assert (store.settled, told) == ((1, [world().member.device_id]) if reply.absorbed else (0, []))
    for event in store.events.values():
        assert event.replica != label_batch.REVOKED
        assert event.at <= label_batch.NOW_US + MAX_CLOCK_AHEAD_US


def seeds() -> Iterator[bytes]:
    batches = list(label_batch.seeds())
    yield from batches
    yield SEPARATOR.join(batches[1:])
    yield SEPARATOR.join([batches[0], batches[0]])  # the same batch twice: taken once
