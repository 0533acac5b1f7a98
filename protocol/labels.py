"""The label contract: what family devices say about who is who, and how every device folds it.

Label edits are events in a log. Two devices that folded differently would disagree silently
about who "Alice" is, so everything that decides the outcome lives here, in one place every
device runs: the event and its typed vocabulary (`Op`, `Kind`, `Source`), the total order, the
fold, the validated wire form, and the version vectors of anti-entropy sync. Storage and the
replica id are the node's (`node.people.events`).

The merge rule. A device's log and a peer's log combine by set union (events have unique ids),
and every device folds the union in one total order, (timestamp, replica id, event id), so all
of them reach the same state whatever order the events arrived in. Within that order:

- Fields are last-writer-wins: a subject's name and kind, and each face's confirmed subject (a
  later `assign` or `reject` of the same face overrides an earlier one).
- Rejections are a set that only the user's own later word can shrink: `reject` adds
  (face, subject) for good, and only a later explicit `assign` of that face to that subject
  removes it. Suggestions and re-clustering never do.
- `forget` wins over everything: a forgotten subject never comes back, and later events that
  name it (say, from a device that had not heard of the forget) are ignored.
- `merge` points one subject at another. Ids are resolved through these pointers when an event
  is applied and again when the state is read, so an edit made on another device to a subject
  that was merged meanwhile lands on the merged subject. A merge whose two sides already
  resolve to one subject does nothing, so no cycle can form.
- Names are unique, ignoring case: naming a subject with a name another subject holds merges it
  into that one. This also settles two devices that each created an "Alice".
- The source of an event (who said it: the user, or an import from another app's metadata)
  is carried and stored, and the fold treats every source alike.

Timestamps are a hybrid logical clock in µs (`stamp`): never behind the writer's wall clock and
always after every event it holds, so an edit made on top of another sorts after it. A device
with a clock far ahead would otherwise stamp events that beat every edit made elsewhere until
real time caught up, and drag every clock that heard of them into its future. So a receiver
takes no event stamped more than `MAX_CLOCK_AHEAD_US` past its own clock (`accept`): such an
event, and the rest of its replica's events after it, are held back and offered again at the
next sync, by which time they may be in reach. The bound is a receiver's rule only; it never
rewrites a stamp, so every device still folds identical events.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from protocol.errors import RoostError
from protocol.gen import roost_pb2

_E = TypeVar("_E", bound=StrEnum)


class Op(StrEnum):
    SUBJECT = "subject"  # create the subject, or set its name and/or kind
    ASSIGN = "assign"  # these faces are this subject (the user confirmed it)
    REJECT = "reject"  # these faces are not this subject, for good
    MERGE = "merge"  # this subject is the same as `into`
    FORGET = "forget"  # this subject no longer exists; its faces are nobody's again


class Kind(StrEnum):
    PERSON = "person"
    PET = "pet"


class Source(StrEnum):
    """Who said it. The fold treats all alike; it is kept so a device can show and filter
    where a name came from."""

    USER = "user"  # a person, in Roost
    XMP_MWG_REGIONS = "xmp-mwg-regions"  # a named MWG face region (digiKam, Lightroom, Picasa)
    XMP_MP_REGIONS = "xmp-mp-regions"  # a named Microsoft face region (Windows Photo Gallery)
    GOOGLE_TAKEOUT = "google-takeout"  # a person a Takeout sidecar lists (the name only)


MAX_NAME = 80
MAX_FACES_PER_EVENT = 10_000  # a cluster named at once; bounds one event's wire size
MAX_CLOCK_AHEAD_US = 10 * 60 * 1_000_000  # 10 minutes: NTP-synced devices are far closer
MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 512 << 10  # well under the channel's 1 MiB message limit

_EVENT_ID = re.compile(r"[0-9a-f]{32}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DEVICE_ID = re.compile(r"[A-Z2-7]{52}")
# What an assign or reject names, both ids made from the photo's content hash (the same on
# every device): a face, `<hash16>-<n>`, or a body (a pet, or a person whose face was not
# found), `<hash16>-b<n>`.
_FACE_ID = re.compile(r"[0-9a-f]{16}-b?[0-9]{1,5}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class LabelWireError(RoostError):
    """A label event or vector from a peer that this device refuses; the message says why.
    `replica` and `at` place the event in its writer's order when that much could be read."""

    def __init__(self, message: str, replica: str | None = None, at: int = 0) -> None:
        super().__init__(message)
        self.replica = replica
        self.at = at


@dataclass(frozen=True)
class Edit:
    """What one event says; `Labels.apply` defines what each op does. None leaves a field of
    a `subject` event as it is."""

    op: Op
    subject: str
    faces: tuple[str, ...] = ()
    name: str | None = None
    kind: Kind | None = None
    into: str | None = None
    source: Source = Source.USER

    def __post_init__(self) -> None:
        # Coerce (and so check) the vocabulary: an unknown op or kind is a ValueError here.
        object.__setattr__(self, "op", Op(self.op))
        object.__setattr__(self, "source", Source(self.source))
        if self.kind is not None:
            object.__setattr__(self, "kind", Kind(self.kind))


@dataclass(frozen=True)
class LabelEvent:
    edit: Edit
    id: str
    at: int  # µs since the epoch, hybrid logical clock
    replica: str  # who wrote it: a device id, or a library's random id before it had a family

    @property
    def order(self) -> tuple[int, str, str]:
        """The total order every device folds events in."""
        return (self.at, self.replica, self.id)


def stamp(latest: int, now_us: int) -> int:
    """The hybrid-logical timestamp of the next local edit: never behind the wall clock, and
    after `latest`, the newest event the writer holds."""
    return max(now_us, latest + 1)


# -- the fold ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    id: str
    name: str
    kind: Kind


class Labels:
    """The log folded into what is true now: subjects, confirmed faces, rejections."""

    def __init__(self) -> None:
        self._name: dict[str, str] = {}
        self._kind: dict[str, Kind] = {}
        self._merged: dict[str, str] = {}
        self._forgotten: set[str] = set()
        self._face: dict[str, str | None] = {}
        self._rejected: dict[str, set[str]] = {}
        # What `confirmed` and `rejected` last worked out, until the next event: a state
        # refresh asks several times, and at a family library's size each is 100,000 faces.
        self._confirmed: dict[str, str] | None = None
        self._live_rejected: dict[str, set[str]] | None = None
        self._last: tuple[int, str, str] | None = None  # the order of the last event applied

    def resolve(self, subject: str | None) -> str | None:
        """The live subject an id stands for now, through merges; None if forgotten or unknown."""
        while subject in self._merged:
            subject = self._merged[subject]
        if subject is None or subject in self._forgotten or subject not in self._name:
            return None
        return subject

    @property
    def subjects(self) -> dict[str, Subject]:
        return {
            s: Subject(s, name, self._kind[s])
            for s, name in self._name.items()
            if self.resolve(s) == s
        }

    def by_name(self, name: str) -> Subject | None:
        return next((s for s in self.subjects.values() if _same(s.name, name)), None)

    def confirmed(self) -> Mapping[str, str]:
        """Face id → live subject, for every face the user has confirmed: a read-only view,
        not a copy (a family confirms 100,000 faces, and an edit asks several times)."""
        if self._confirmed is None:
            # Resolved once per subject, not per face: a family confirms 100,000 faces of a
            # hundred subjects.
            live = {s: self.resolve(s) for s in set(self._face.values()) if s is not None}
            self._confirmed = {
                face: found for face, raw in self._face.items()
                if raw is not None and (found := live[raw]) is not None
            }  # fmt: skip
        return MappingProxyType(self._confirmed)

    def rejected(self) -> dict[str, set[str]]:
        """Face id → live subjects it must never be matched to."""
        if self._live_rejected is None:
            self._live_rejected = {}
            for face, subjects in self._rejected.items():
                live = {s for s in map(self.resolve, subjects) if s is not None}
                if live:
                    self._live_rejected[face] = live
        return {face: set(subjects) for face, subjects in self._live_rejected.items()}

    def extended(self, events: Iterable[LabelEvent]) -> Labels | None:
        """These labels with `events` folded in as well, without touching these: what `fold`
        of all the events gives, when every one of `events` is ordered after the last event
        applied here (a local edit, or events stamped since); None otherwise, so that the
        caller folds everything again. Costs the faces the events name, plus a copy."""
        new = sorted(events, key=lambda e: e.order)
        if new and self._last is not None and new[0].order <= self._last:
            return None
        labels = copy.copy(self)
        labels._name, labels._kind = dict(self._name), dict(self._kind)
        labels._merged, labels._forgotten = dict(self._merged), set(self._forgotten)
        labels._face = dict(self._face)
        labels._rejected = {face: set(subjects) for face, subjects in self._rejected.items()}
        for event in new:
            labels.apply(event)
        if self._confirmed is not None and all(self._keeps_subjects(e.edit) for e in new):
            # No subject resolves differently: only the faces the events name can have changed.
            confirmed = dict(self._confirmed)
            for face in {face for event in new for face in event.edit.faces}:
                live = labels.resolve(labels._face.get(face))
                if live is None:
                    confirmed.pop(face, None)
                else:
                    confirmed[face] = live
            labels._confirmed = confirmed
        return labels

    def _keeps_subjects(self, edit: Edit) -> bool:
        """Whether `edit` leaves every subject these labels know resolving as it did: an
        assign or a reject, or a subject that is new (merged, if its name is taken, into
        the holder, which only the faces it is given then follow)."""
        return edit.op in (Op.ASSIGN, Op.REJECT) or (
            edit.op is Op.SUBJECT and edit.subject not in self._name
        )

    def apply(self, event: LabelEvent) -> None:
        self._confirmed = self._live_rejected = None
        self._last = event.order if self._last is None else max(self._last, event.order)
        edit = event.edit
        if edit.op is Op.SUBJECT:
            self._describe(edit.subject, edit.name, edit.kind)
            return
        subject = self.resolve(edit.subject)
        if subject is None:
            return  # forgotten, or never created: nothing to attach the edit to
        if edit.op is Op.ASSIGN:
            for face in edit.faces:
                self._face[face] = subject
                rejected = self._rejected.get(face, set())
                rejected -= {s for s in rejected if self.resolve(s) == subject}
        elif edit.op is Op.REJECT:
            for face in edit.faces:
                self._rejected.setdefault(face, set()).add(subject)
                if self.resolve(self._face.get(face)) == subject:
                    self._face[face] = None
        elif edit.op is Op.MERGE:
            into = self.resolve(edit.into)
            if into is not None and into != subject:
                self._merged[subject] = into
        elif edit.op is Op.FORGET:
            self._forgotten.add(subject)

    def _describe(self, raw: str, name: str | None, kind: Kind | None) -> None:
        subject = self.resolve(raw)
        if subject is None:
            if raw in self._name:
                return  # forgotten, or merged into a subject forgotten since
            subject = raw  # a new subject
            self._name[subject] = ""
            self._kind[subject] = kind or Kind.PERSON
        elif kind is not None:
            self._kind[subject] = kind
        if name is None:
            return
        holder = next(
            (s for s in self.subjects.values() if s.id != subject and _same(s.name, name)), None
        )
        if holder is not None:
            self._merged[subject] = holder.id
        else:
            self._name[subject] = name


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def fold(events: Iterable[LabelEvent]) -> Labels:
    labels = Labels()
    for event in sorted(events, key=lambda e: e.order):
        labels.apply(event)
    return labels


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a subject's name, or None if it can. The same rule for a name
    typed here and one received from a peer."""
    if not name or name != " ".join(name.split()) or len(name) > MAX_NAME:
        return f"use 1 to {MAX_NAME} characters, trimmed"
    if '"' in name or ":" in name or _CONTROL.search(name):
        return "without '\"', ':' or control characters"
    if not any(c.isalpha() for c in name):
        return "it needs a letter"
    return None


# -- the wire form -------------------------------------------------------------------------------


def to_wire(event: LabelEvent) -> roost_pb2.LabelEvent:
    edit = event.edit
    message = roost_pb2.LabelEvent(
        id=event.id,
        at=event.at,
        replica=event.replica,
        op=edit.op.value,
        subject=edit.subject,
        faces=edit.faces,
        source=edit.source.value,
    )
    if edit.name is not None:
        message.name = edit.name
    if edit.kind is not None:
        message.kind = edit.kind.value
    if edit.into is not None:
        message.into = edit.into
    return message


def from_wire(message: roost_pb2.LabelEvent) -> LabelEvent:
    """The event a peer sent, or LabelWireError saying what is wrong with it. Everything is
    checked: ids' shapes, the vocabulary, which fields each op may carry, sizes."""
    where = f"label event {message.id[:40]!r}"
    if not (_DEVICE_ID.fullmatch(message.replica) or _UUID.fullmatch(message.replica)):
        raise LabelWireError(f"{where}: replica {message.replica[:60]!r} is no device id")
    replica = message.replica

    def refuse(problem: str) -> LabelWireError:
        return LabelWireError(f"{where}: {problem}", replica, message.at)

    if not _EVENT_ID.fullmatch(message.id):
        raise refuse("an event id is 32 lower-case hex digits")
    if message.at <= 0:
        raise refuse("its time must be positive")
    op = _member(Op, message.op, where, "op", replica, message.at)
    source = _member(Source, message.source, where, "source", replica, message.at)
    if not _UUID.fullmatch(message.subject):
        raise refuse(f"subject {message.subject[:60]!r} is no subject id")
    faces = tuple(message.faces)
    if len(faces) > MAX_FACES_PER_EVENT:
        raise refuse(f"more than {MAX_FACES_PER_EVENT} faces")
    if bad := next((f for f in faces if not _FACE_ID.fullmatch(f)), None):
        raise refuse(f"{bad[:60]!r} is no face id")
    if bool(faces) != (op in (Op.ASSIGN, Op.REJECT)):
        raise refuse("only assign and reject name faces, and they must")
    name = message.name if message.HasField("name") else None
    kind = (
        _member(Kind, message.kind, where, "kind", replica, message.at)
        if message.HasField("kind")
        else None
    )
    if (name is not None or kind is not None) and op is not Op.SUBJECT:
        raise refuse("only a subject event carries a name or kind")
    if name is not None and (problem := name_problem(name)):
        raise refuse(f"name {name[:60]!r}: {problem}")
    into = message.into if message.HasField("into") else None
    if (into is not None) != (op is Op.MERGE) or (into and not _UUID.fullmatch(into)):
        raise refuse("a merge, and only a merge, names a subject id to go into")
    edit = Edit(op, message.subject, faces, name, kind, into, source)
    return LabelEvent(edit, message.id, message.at, message.replica)


def _member(vocabulary: type[_E], value: str, where: str, what: str, replica: str, at: int) -> _E:
    try:
        return vocabulary(value)
    except ValueError:
        known = ", ".join(v.value for v in vocabulary)
        raise LabelWireError(
            f"{where}: unknown {what} {value[:40]!r} (this device knows {known}; "
            "a newer Roost on the sender may use more)",
            replica,
            at,
        ) from None


# -- anti-entropy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionVector:
    """Per replica, the newest event a device holds.

    A device only ever holds, of each replica's events, all of them up to some time (a
    prefix): its own are written in order, and events from peers are sent and absorbed in each
    replica's order, a prefix at a time (`missing`, `accept`). So one number per replica says
    exactly what it holds, and a peer can send exactly what it lacks.
    """

    newest: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, events: Iterable[LabelEvent]) -> VersionVector:
        newest: dict[str, int] = {}
        for event in events:
            newest[event.replica] = max(newest.get(event.replica, 0), event.at)
        return cls(newest)

    def holds(self, event: LabelEvent) -> bool:
        return event.at <= self.newest.get(event.replica, 0)

    def to_wire(self) -> roost_pb2.VersionVector:
        return roost_pb2.VersionVector(
            replicas=[
                roost_pb2.ReplicaClock(replica=r, at=at) for r, at in sorted(self.newest.items())
            ]
        )

    @classmethod
    def from_wire(cls, message: roost_pb2.VersionVector) -> VersionVector:
        newest: dict[str, int] = {}
        for clock in message.replicas:
            if not (_DEVICE_ID.fullmatch(clock.replica) or _UUID.fullmatch(clock.replica)):
                raise LabelWireError(f"version vector: {clock.replica[:60]!r} is no replica id")
            if clock.replica in newest or clock.at < 0:
                raise LabelWireError(f"version vector: {clock.replica} twice, or before 0")
            newest[clock.replica] = clock.at
        return cls(newest)


def missing(events: Iterable[LabelEvent], have: VersionVector) -> list[LabelEvent]:
    """The events a peer with vector `have` lacks, in the order to send them: by replica, and
    within a replica oldest first, so that any prefix of the sequence leaves the peer holding
    prefixes."""
    lacking = [e for e in events if not have.holds(e)]
    return sorted(lacking, key=lambda e: (e.replica, e.at, e.id))


def batches(
    events: Sequence[LabelEvent],
    max_events: int = MAX_BATCH_EVENTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> Iterator[list[LabelEvent]]:
    """`events` cut into consecutive batches, each within both bounds (an event alone can
    never exceed them: its faces are bounded)."""
    batch: list[LabelEvent] = []
    size = 0
    for event in events:
        cost = to_wire(event).ByteSize() + 8
        if batch and (len(batch) >= max_events or size + cost > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += cost
    if batch:
        yield batch


@dataclass(frozen=True)
class Accepted:
    events: list[LabelEvent]  # new, in order, ready for one commit
    held: list[str]  # why some were not taken now (a clock ahead, a revoked writer, bad data)


def accept(
    batch: Iterable[LabelEvent | LabelWireError],
    have: VersionVector,
    known: Callable[[str], bool],
    now_us: int,
    revoked: Callable[[str], bool],
) -> Accepted:
    """What of a received batch a device takes, holding `have` and the event ids `known`.

    Events already held (by id, or covered by the vector) are skipped, which makes delivering
    a batch twice, or reordered batches, change nothing; so is a second event under an id the
    batch already gave, whatever else it says, so that an id names one event. Per replica,
    events are taken in order up to the first that cannot be: one stamped more than
    MAX_CLOCK_AHEAD_US past `now_us`, one written by a revoked device, or (`LabelWireError`)
    one this device cannot read. That replica's later events wait too, so what is held stays a
    prefix and the vector stays exact.
    """
    taken: list[LabelEvent] = []
    taken_ids: set[str] = set()
    held: list[str] = []
    stopped: set[str] = set()
    newest = dict(have.newest)
    for item in sorted(batch, key=_arrival):
        if isinstance(item, LabelWireError):
            held.append(str(item))
            if item.replica is not None:
                stopped.add(item.replica)  # so that upgrading later resumes right there
            continue
        replica = item.replica
        if replica in stopped:
            continue
        if item.at <= newest.get(replica, 0) or known(item.id) or item.id in taken_ids:
            continue
        problem = None
        if revoked(replica):
            problem = f"events written by revoked device {replica} are refused"
        elif item.at > now_us + MAX_CLOCK_AHEAD_US:
            ahead = (item.at - now_us) / 1e6
            problem = (
                f"events of {replica} from {ahead:.0f} s in this device's future are held "
                "until its clock is in reach (is that device's clock wrong?)"
            )
        if problem is not None:
            stopped.add(replica)
            held.append(problem)
            continue
        newest[replica] = item.at
        taken.append(item)
        taken_ids.add(item.id)
    return Accepted(taken, held)


def _arrival(item: LabelEvent | LabelWireError) -> tuple[str, int]:
    """Each replica's order, unreadable events in their place."""
    if isinstance(item, LabelWireError):
        return (item.replica or "", item.at)
    return (item.replica, item.at)
