"""A batch of label events as `Labels.Push` and `Labels.Pull` carry it: each event read
through the wire form's validation (`read_batch`), taken as `accept` takes them, and folded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from google.protobuf.message import DecodeError

from fuzz.world import world
from node.peer.labels import read_batch
from protocol.gen import roost_pb2
from protocol.labels import (
    Edit,
    Kind,
    LabelEvent,
    Op,
    VersionVector,
    accept,
    fold,
    name_problem,
    to_wire,
)

NOW_US = 1_780_000_000_000_000
REVOKED = "A" * 52


def fuzz_one(data: bytes) -> None:
    try:
        batch = roost_pb2.LabelBatch.FromString(data)
    except DecodeError:
        return
    accepted = accept(read_batch(batch), VersionVector(), lambda _: False, NOW_US, REVOKED.__eq__)
    labels = fold(accepted.events)
    # The fold's invariant: names are unique ignoring case, and each is a valid name (a
    # subject made by an event without a name has none yet).
    named = [s.name.casefold() for s in labels.subjects.values() if s.name]
    assert len(named) == len(set(named))
    assert all(name_problem(s.name) is None for s in labels.subjects.values() if s.name)


def seeds() -> Iterator[bytes]:
    writer = world().member.device_id
    alice, bob, dog = (str(uuid.uuid4()) for _ in range(3))
    edits = [
        Edit(Op.SUBJECT, alice, name="Alice", kind=Kind.PERSON),
        Edit(Op.ASSIGN, alice, faces=("0123456789abcdef-0", "0123456789abcdef-1")),
        Edit(Op.SUBJECT, bob, name="Bob", kind=Kind.PERSON),
        Edit(Op.REJECT, bob, faces=("0123456789abcdef-1",)),
        Edit(Op.SUBJECT, dog, name="Scooby", kind=Kind.PET),
        Edit(Op.MERGE, bob, into=alice),
        Edit(Op.FORGET, dog),
    ]
    events = [
        LabelEvent(edit, uuid.uuid4().hex, NOW_US - 1000 + n, writer)
        for n, edit in enumerate(edits)
    ]
    yield roost_pb2.LabelBatch(events=[to_wire(e) for e in events]).SerializeToString()
    for event in events:
        yield roost_pb2.LabelBatch(events=[to_wire(event)]).SerializeToString()
