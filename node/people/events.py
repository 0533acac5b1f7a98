"""The label log on disk: the `label_events` table, the only durable record of what the user said.

What an event is, how events are ordered and folded, and what may come from a peer are the
family's contract (`protocol.labels`); this module stores it:

- Atomicity: one edit appends all its events with one LanceDB commit, and one received batch
  is absorbed with one commit, so either is there whole or not at all, even after kill -9;
  nothing is ever updated in place.
- Idempotence: absorbing inserts only ids the table lacks (`merge_insert` on `id`, never
  updating), so a repeated or reordered delivery changes nothing.
- Labels outlive the index: events name faces by their content-derived ids (`<hash16>-<idx>`),
  so re-indexing, moving photos or re-clustering never loses a name, and the same photo on two
  devices shares its labels.

The replica id says which device wrote an event. A device in a family writes under its device
id; before it has one (a library can be labelled before its device joins a family), under a
random UUID kept in the library folder (`replica-id`). Those earlier events keep that id.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from node.files import create_once, locked
from node.library.schema import key_field
from node.library.store import Library, in_clauses, quote
from protocol.labels import (
    Accepted,
    Edit,
    Kind,
    LabelEvent,
    LabelWireError,
    Op,
    Source,
    VersionVector,
    accept,
    missing,
    stamp,
)

EVENTS = pa.schema(
    [
        key_field("id"),
        pa.field("at", pa.int64(), nullable=False),  # µs since the epoch, hybrid logical clock
        pa.field("replica", pa.string(), nullable=False),
        pa.field("op", pa.string(), nullable=False),
        pa.field("subject", pa.string(), nullable=False),
        pa.field("faces", pa.list_(pa.string()), nullable=False),
        pa.field("name", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("into", pa.string()),
        pa.field("source", pa.string(), nullable=False),
    ]
)
# Replicas past which `lacking` reads the whole log: a family has a few devices, and a
# predicate per replica is cheap only for a few.
_MAX_VECTOR_PREDICATE = 64


def new_subject_id() -> str:
    return str(uuid.uuid4())


def now_us() -> int:
    return time.time_ns() // 1000


class EventLog:
    """The `label_events` table of one library."""

    def __init__(self, library: Library) -> None:
        self.table = library.table("label_events", EVENTS)
        if "source" not in self.table.schema.names:
            # Logs from before sources existed: everything in them was said by the user.
            self.table.add_columns({"source": f"'{Source.USER.value}'"})
        self.replica = replica_id(library.root)
        self._library = library
        self._lock = library.root / "label_events.absorb"

    @property
    def version(self) -> int:
        return int(self.table.version)

    def read(self) -> list[LabelEvent]:
        return _events(self.table.search())

    def read_at(self, version: int) -> list[LabelEvent] | None:
        """The log as it stood at `version` (None if that version is gone): what the people
        state stored at that version was computed from, for `node.people.incremental` to tell
        what changed since."""
        table = self._library.table_at("label_events", version)
        return None if table is None else _events(table.search())

    def ids(self, version: int | None = None) -> set[str] | None:
        """The ids of the events in the log, now or at `version` (None if that version is
        gone): one column read, where the events' face lists are most of the log."""
        table = self.table if version is None else self._library.table_at("label_events", version)
        if table is None:
            return None
        return set(table.search().select(["id"]).limit(None).to_arrow()["id"].to_pylist())

    def read_ids(self, ids: Iterable[str]) -> list[LabelEvent]:
        """The events of `ids` (those the log holds), reading only their rows: what a state
        refresh reads of the log after an edit, where the rest is folded already."""
        wanted = sorted(set(ids))
        return [
            event
            for where in in_clauses("id", wanted)
            for event in _events(self.table.search().where(where))
        ]

    def vector(self) -> VersionVector:
        """Per replica, the newest event held: two columns read, not the events."""
        rows = self.table.search().select(["replica", "at"]).limit(None).to_arrow()
        newest: dict[str, int] = {}
        for replica, at in zip(rows["replica"].to_pylist(), rows["at"].to_pylist(), strict=True):
            newest[replica] = max(newest.get(replica, 0), at)
        return VersionVector(newest)

    def lacking(self, have: VersionVector) -> list[LabelEvent]:
        """The events a peer holding `have` lacks (`protocol.labels.missing`), reading only the
        rows past its vector: a peer that is up to date costs a scan of two columns, not the
        whole log. A vector of very many replicas is answered from the whole log instead."""
        query = self.table.search()
        if len(have.newest) <= _MAX_VECTOR_PREDICATE:
            query = query.where(_past(have))
        rows = query.limit(None).to_arrow().to_pylist()
        unique = {row["id"]: row for row in rows}
        return missing((_event(r) for r in unique.values()), have)

    def append(self, edits: Sequence[Edit], after: Sequence[LabelEvent]) -> list[LabelEvent]:
        """Stamp and write `edits` with one commit; `after` is the log as the caller read it."""
        start = stamp(max((e.at for e in after), default=0), now_us())
        events = [
            LabelEvent(edit, uuid.uuid4().hex, start + n, self.replica)
            for n, edit in enumerate(edits)
        ]
        if events:
            self.table.add(pa.Table.from_pylist([_row(e) for e in events], EVENTS))
        return events

    def absorb(
        self,
        batch: Iterable[LabelEvent | LabelWireError],
        revoked: Callable[[str], bool] = lambda _: False,
    ) -> Accepted:
        """Take what a peer sent that this log lacks, with one commit (see `protocol.labels.
        accept` for what is taken). Absorbs are serialised by a lock beside the table, so two
        of them (the node and `roost sync`) cannot both insert one id."""
        with locked(self._lock):
            ids = self.ids() or set()
            accepted = accept(batch, self.vector(), ids.__contains__, now_us(), revoked)
            if accepted.events:
                rows = pa.Table.from_pylist([_row(e) for e in accepted.events], EVENTS)
                self.table.merge_insert("id").when_not_matched_insert_all().execute(rows)
        return accepted


def _events(query: Any) -> list[LabelEvent]:
    rows = query.limit(None).to_arrow().to_pylist()
    unique = {row["id"]: row for row in rows}  # a key is unique; reading never trusts it
    return sorted((_event(r) for r in unique.values()), key=lambda e: e.order)


def _past(have: VersionVector) -> str:
    """The rows of replicas `have` does not hold up to their time: what it lacks."""
    held = [f"(replica = {quote(r)} AND at <= {at})" for r, at in have.newest.items()]
    return f"NOT ({' OR '.join(held)})" if held else "true"


def _row(event: LabelEvent) -> dict[str, object]:
    edit = event.edit
    return {
        "id": event.id,
        "at": event.at,
        "replica": event.replica,
        "op": edit.op.value,
        "subject": edit.subject,
        "faces": list(edit.faces),
        "name": edit.name,
        "kind": None if edit.kind is None else edit.kind.value,
        "into": edit.into,
        "source": edit.source.value,
    }


def _event(row: dict[str, object]) -> LabelEvent:
    faces = row["faces"]
    at = row["at"]
    assert isinstance(faces, list) and isinstance(at, int)
    edit = Edit(
        op=Op(str(row["op"])),
        subject=str(row["subject"]),
        faces=tuple(str(f) for f in faces),
        name=None if row["name"] is None else str(row["name"]),
        kind=None if row["kind"] is None else Kind(str(row["kind"])),
        into=None if row["into"] is None else str(row["into"]),
        source=Source(str(row["source"])),
    )
    return LabelEvent(edit, str(row["id"]), at, str(row["replica"]))


def replica_id(library_root: Path) -> str:
    """Who this library's new events say wrote them: the device id once the home holds a
    family identity (`<home>/identity`, beside the library), else the library's random id."""
    certificate = library_root.parent / "identity" / "device.crt"
    try:
        return _device_id(certificate, certificate.stat().st_mtime_ns)
    except FileNotFoundError:
        return _random_replica(library_root)


@lru_cache(maxsize=8)
def _device_id(certificate: Path, mtime_ns: int) -> str:
    from cryptography import x509

    from protocol.identity import certificate_id

    return certificate_id(x509.load_pem_x509_certificate(certificate.read_bytes()))


def _random_replica(library_root: Path) -> str:
    """The library's random replica id, created (atomically) on first use."""
    path = library_root / "replica-id"
    if not path.exists():
        create_once(path, f"{uuid.uuid4()}\n".encode())
    return path.read_text().strip()
