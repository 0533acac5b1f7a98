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

import pyarrow as pa

from node.files import create_once, locked
from node.library.schema import key_field
from node.library.store import Library
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
        self._lock = library.root / "label_events.absorb"

    @property
    def version(self) -> int:
        return int(self.table.version)

    def read(self) -> list[LabelEvent]:
        rows = self.table.search().limit(None).to_arrow().to_pylist()
        unique = {row["id"]: row for row in rows}  # a key is unique; reading never trusts it
        return sorted((_event(r) for r in unique.values()), key=lambda e: e.order)

    def vector(self) -> VersionVector:
        return VersionVector.of(self.read())

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
            held = self.read()
            ids = {e.id for e in held}
            accepted = accept(batch, VersionVector.of(held), ids.__contains__, now_us(), revoked)
            if accepted.events:
                rows = pa.Table.from_pylist([_row(e) for e in accepted.events], EVENTS)
                self.table.merge_insert("id").when_not_matched_insert_all().execute(rows)
        return accepted


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
