"""Label edits as an append-only log of events: the only durable record of what the user said.

Why a log rather than a table of current labels:

- Atomicity: one command appends all its events with one LanceDB commit, so an edit is there
  whole or not at all, even after kill -9; nothing is ever updated in place.
- Labels outlive the index: events name faces by their deterministic ids (`<hash16>-<idx>`), so
  re-indexing, moving photos or re-clustering never loses a name, a merge or a rejection.
- Family devices will exchange their logs. Each event carries a random id, the replica (device)
  that wrote it and a hybrid-logical timestamp, so the union of two logs is again a log and
  every device folds it in the same order to the same state (see `labels`).

The replica id is a random UUID kept in the library folder (`replica-id`), made on first use: it
exists before any family does and stays the same if the device later joins one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa

from node.files import create_once
from node.library.schema import key_field
from node.library.store import Library

OPS = ("subject", "assign", "reject", "merge", "forget")
KINDS = ("person", "pet")

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
    ]
)


@dataclass(frozen=True)
class Edit:
    """What one event says; `labels.fold` defines what each op does.

    - subject: create the subject, or set its name and/or kind (None leaves a field as it is).
    - assign: these faces are this subject (confirmed).
    - reject: these faces are not this subject, for good.
    - merge: this subject is the same as `into`.
    - forget: this subject no longer exists; its faces are unlabelled again.
    """

    op: str
    subject: str
    faces: tuple[str, ...] = ()
    name: str | None = None
    kind: str | None = None
    into: str | None = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown label op {self.op!r}")
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")


@dataclass(frozen=True)
class LabelEvent:
    edit: Edit
    id: str
    at: int
    replica: str

    @property
    def order(self) -> tuple[int, str, str]:
        """The total order every device folds events in."""
        return (self.at, self.replica, self.id)

    def row(self) -> dict[str, object]:
        fields = asdict(self.edit)
        fields["faces"] = list(self.edit.faces)
        return {"id": self.id, "at": self.at, "replica": self.replica, **fields}

    @classmethod
    def from_row(cls, row: dict[str, object]) -> LabelEvent:
        faces = row["faces"]
        assert isinstance(faces, list)
        edit = Edit(
            op=str(row["op"]),
            subject=str(row["subject"]),
            faces=tuple(str(f) for f in faces),
            name=None if row["name"] is None else str(row["name"]),
            kind=None if row["kind"] is None else str(row["kind"]),
            into=None if row["into"] is None else str(row["into"]),
        )
        at = row["at"]
        assert isinstance(at, int)
        return cls(edit, str(row["id"]), at, str(row["replica"]))


def new_subject_id() -> str:
    return str(uuid.uuid4())


class EventLog:
    """The `label_events` table of one library."""

    def __init__(self, library: Library) -> None:
        self.table = library.table("label_events", EVENTS)
        self.replica = replica_id(library.root)

    @property
    def version(self) -> int:
        return int(self.table.version)

    def read(self) -> list[LabelEvent]:
        rows = self.table.search().limit(None).to_arrow().to_pylist()
        return sorted((LabelEvent.from_row(r) for r in rows), key=lambda e: e.order)

    def append(self, edits: Sequence[Edit], after: Sequence[LabelEvent]) -> list[LabelEvent]:
        """Stamp and write `edits` with one commit; `after` is the log as the caller read it.

        Timestamps follow a hybrid logical clock: never behind the wall clock, and always after
        every event already in the log, so that an edit made on top of another one (perhaps
        from a device whose clock runs fast) also sorts after it.
        """
        latest = max((e.at for e in after), default=0)
        start = max(time.time_ns() // 1000, latest + 1)
        events = [
            LabelEvent(edit, uuid.uuid4().hex, start + n, self.replica)
            for n, edit in enumerate(edits)
        ]
        if events:
            self.table.add(pa.Table.from_pylist([e.row() for e in events], EVENTS))
        return events


def replica_id(library_root: Path) -> str:
    """This library's replica id, created on first use (once, even by racing processes)."""
    path = library_root / "replica-id"
    if not path.exists():
        create_once(path, f"{uuid.uuid4()}\n".encode())
    return path.read_text().strip()
