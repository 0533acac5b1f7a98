"""An in-memory twin of a device's label log, for property tests of sync without disk or network.

It keeps events the way `node.people.events.EventLog` does (a set keyed by id, stamped with the
same clock rule, absorbing through the same `protocol.labels.accept`), and every transfer goes
through the real wire form, serialized to bytes and validated again on arrival.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from protocol.gen import roost_pb2
from protocol.labels import (
    Accepted,
    Edit,
    LabelEvent,
    Labels,
    LabelWireError,
    VersionVector,
    accept,
    batches,
    fold,
    from_wire,
    missing,
    stamp,
    to_wire,
)


class Replica:
    def __init__(self, replica_id: str, clock_us: int) -> None:
        self.id = replica_id
        self.clock_us = clock_us  # this device's wall clock, advanced by the test
        self.events: dict[str, LabelEvent] = {}

    def edit(self, edits: Sequence[Edit]) -> list[LabelEvent]:
        start = stamp(max((e.at for e in self.events.values()), default=0), self.clock_us)
        made = [LabelEvent(e, uuid.uuid4().hex, start + n, self.id) for n, e in enumerate(edits)]
        self.events.update((e.id, e) for e in made)
        return made

    def vector(self) -> VersionVector:
        return VersionVector.of(self.events.values())

    def absorb(self, batch: Iterable[LabelEvent | LabelWireError]) -> Accepted:
        accepted = accept(
            batch, self.vector(), self.events.__contains__, self.clock_us, lambda _: False
        )
        self.events.update((e.id, e) for e in accepted.events)  # one "commit"
        return accepted

    def labels(self) -> Labels:
        return fold(self.events.values())


def over_the_wire(batch: Sequence[LabelEvent]) -> list[LabelEvent | LabelWireError]:
    """A batch as the receiver reads it: serialized, parsed, each event validated."""
    data = roost_pb2.LabelBatch(events=[to_wire(e) for e in batch]).SerializeToString()
    received: list[LabelEvent | LabelWireError] = []
    for message in roost_pb2.LabelBatch.FromString(data).events:
        try:
            received.append(from_wire(message))
        except LabelWireError as exc:
            received.append(exc)
    return received


def send(
    source: Replica,
    target: Replica,
    max_events: int,
    deliver: int | None = None,
    repeat: bool = False,
) -> int:
    """`target` pulls from `source`: the batches for its vector, of which only the first
    `deliver` arrive (a connection cut, a kill before a commit), each possibly twice."""
    lacking = missing(source.events.values(), target.vector())
    moved = 0
    for n, batch in enumerate(batches(lacking, max_events=max_events)):
        if deliver is not None and n >= deliver:
            break
        for _ in range(2 if repeat else 1):
            moved += len(target.absorb(over_the_wire(batch)).events)
    return moved


def settle(replicas: Sequence[Replica]) -> None:
    """Sync every pair both ways until nothing moves."""
    while sum(send(a, b, 500) for a in replicas for b in replicas if a is not b):
        pass


def state(labels: Labels) -> tuple[object, ...]:
    """Everything a reader can see, in a comparable form."""
    return (
        sorted((s.id, s.name, s.kind) for s in labels.subjects.values()),
        sorted(labels.confirmed().items()),
        sorted((f, sorted(s)) for f, s in labels.rejected().items()),
    )
