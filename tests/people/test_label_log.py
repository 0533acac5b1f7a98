"""The label log on disk absorbs as the contract says: idempotent, a prefix per replica, one
commit per batch (hypothesis over real LanceDB tables)."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from node.library.store import Library
from node.people.events import EventLog
from protocol.labels import Edit, VersionVector, batches, fold, missing
from tests.protocol.replicas import Replica, over_the_wire, state
from tests.protocol.test_label_sync import T0, edits

_counter = itertools.count()


def fresh_log(root: Path) -> EventLog:
    library = Library.open(root / f"lib{next(_counter)}", embedder="dlib-resnet-v1", dim=128)
    return EventLog(library)


@settings(max_examples=12, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.lists(edits, min_size=1, max_size=4)), max_size=6),
    st.integers(1, 5),
    st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=4),
)
def test_absorbing_any_cut_or_repeated_delivery_then_resyncing_gives_the_union(
    made: list[tuple[int, list[Edit]]],
    size: int,
    deliveries: list[tuple[int, bool]],
) -> None:
    writers = [Replica(c * 52, T0) for c in "AB"]
    for who, script in made:
        writers[who].edit(script)
    everything = {e.id: e for w in writers for e in w.events.values()}
    with tempfile.TemporaryDirectory() as tmp:
        log = fresh_log(Path(tmp))
        for cut, twice in deliveries:  # syncs killed after `cut` committed batches
            lacking = missing(everything.values(), log.vector())
            for batch in itertools.islice(batches(lacking, max_events=size), cut):
                for _ in range(2 if twice else 1):
                    log.absorb(over_the_wire(batch))
        for batch in batches(missing(everything.values(), log.vector()), max_events=size):
            log.absorb(over_the_wire(batch))
        held = log.read()
        assert log.table.count_rows() == len(everything), "every event once"
        assert {e.id: e for e in held} == everything
        assert log.vector() == VersionVector.of(everything.values())
        assert state(fold(held)) == state(fold(everything.values()))
