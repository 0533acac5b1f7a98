"""One search over every family device at once: this device's answer and each online
device's, merged, ranked, and with a line per device saying whether and how it answered.

The query is parsed here, against this device's vocabulary (names synced from the whole
family, places of its own photos), and sent as structured data with the subject ids its names
resolved to (`protocol.search`). Every device asked answers from its own index in parallel
(`node.peer.fanout`): a device that is off, slow or refuses costs at most the deadline and is
reported, never waited for. Hits are ranked by score, then newest first; the same photo held
by several devices (the same content hash) is listed once, with this device first, else the
first device that answered, and the others in `also_on`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from node.library.store import Library
from node.media.kind import MediaKind
from node.peer.fanout import Outcome, Peer, fan_out
from node.people.events import replica_id
from node.people.state import State, read_state
from node.search.run import Answer, Hit, search, unknown_note
from node.video.timeline import Appearance
from protocol.query import Query
from protocol.search import DEADLINE, DEFAULT_HITS, SearchRequest

if TYPE_CHECKING:  # the channel is imported only where there are devices to ask
    from node.peer.device import Device
    from node.peer.search import RemoteAnswer


@dataclass(frozen=True)
class FamilyHit:
    media: str
    device_id: str
    device: str  # the holder's name
    taken_at: str
    place: str | None
    people: tuple[str, ...]
    score: float
    path: str | None = None  # on this device only
    thumbnail: bytes = b""  # from a peer; this device's own photos are read from `path`
    also_on: tuple[str, ...] = ()  # other devices holding the same photo
    kind: MediaKind = MediaKind.PHOTO  # a peer's hits are photos: the wire hit has no video yet
    duration: float | None = None  # seconds, for a video
    spans: tuple[Appearance, ...] = ()  # a video's stretches showing the people asked for

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "device_id": self.device_id,
            "device": self.device,
            "media": self.media,
            "taken_at": self.taken_at,
            "place": self.place,
            "people": list(self.people),
            "score": self.score,
            "also_on": list(self.also_on),
            "kind": self.kind.value,
            "duration": self.duration,
            "spans": [span.to_json() for span in self.spans],
        }
        if self.path is not None:
            row["path"] = self.path
        return row


@dataclass(frozen=True)
class DeviceAnswer:
    id: str
    name: str
    answered: bool
    hits: int
    ms: float
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "answered": self.answered,
            "hits": self.hits,
            "ms": self.ms,
            "error": self.error,
        }


@dataclass(frozen=True)
class FamilyAnswer:
    query: Query
    hits: list[FamilyHit]
    total: int  # photos that matched on the devices that answered, before the limit
    devices: list[DeviceAnswer]  # this one first
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query.to_dict(),
            "hits": [hit.to_json() for hit in self.hits],
            "devices": [d.to_json() for d in self.devices],
            "unknown_names": list(self.query.unknown_names),
            "total": self.total,
            "notes": self.notes,
        }


def search_family(
    library: Library,
    query: Query,
    device: Device | None,
    *,
    limit: int = DEFAULT_HITS,
    deadline: float = DEADLINE,
    local: bool = False,
) -> FamilyAnswer:
    """Answer `query` here and, unless `local` or not in a family, on every other device; the
    other devices are asked first, so that they work while this one searches its own index."""
    started = time.monotonic()
    state = read_state(library)
    peers = [] if local or device is None else device.peers()
    asking: Future[list[Outcome[RemoteAnswer]]] | None = None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="family-search")
    if device is not None and peers:
        from node.peer.search import ask

        request = request_for(state, query, limit)
        asker = device

        def ask_all() -> list[Outcome[RemoteAnswer]]:
            return fan_out(peers, lambda peer, end: ask(asker, peer, request, end), deadline)

        asking = pool.submit(ask_all)
    try:
        mine = search(library, query, limit=limit, state=state)
        here_ms = round((time.monotonic() - started) * 1000, 1)
        outcomes = [] if asking is None else asking.result()
    finally:
        pool.shutdown(wait=False)
    here_id = device.id if device is not None else replica_id(library.root)
    here_name = device.name if device is not None else "this device"
    here = DeviceAnswer(here_id, here_name, True, len(mine.hits), here_ms, None)
    return _merge(query, mine, here, outcomes, limit)


def request_for(state: State, query: Query, limit: int) -> SearchRequest:
    """The query for the family, with the subject id of each name in this device's registry
    (a name that has none here, say forgotten meanwhile, goes as a name to look up there)."""
    found = {name: state.labels.by_name(name) for name in query.subjects}
    known = tuple(name for name, subject in found.items() if subject is not None)
    unknown = tuple(name for name, subject in found.items() if subject is None)
    asked = replace(query, subjects=known, unknown_names=query.unknown_names + unknown)
    ids = tuple(subject.id for subject in found.values() if subject is not None)
    return SearchRequest(asked, ids, limit)


def _merge(
    query: Query,
    mine: Answer[Hit],
    here: DeviceAnswer,
    outcomes: Sequence[Outcome[RemoteAnswer]],
    limit: int,
) -> FamilyAnswer:
    hits = [
        FamilyHit(
            h.media,
            here.id,
            here.name,
            h.taken_at,
            h.place,
            h.people,
            h.score,
            h.path,
            kind=h.kind,
            duration=h.duration,
            spans=h.spans,
        )
        for h in mine.hits
    ]
    devices = [here]
    total = mine.total
    notes = [note for note in mine.notes if note != unknown_note(mine.unknown)]
    for outcome in outcomes:
        peer: Peer = outcome.peer
        answer = outcome.value
        found = [] if answer is None else answer.hits
        devices.append(
            DeviceAnswer(
                peer.id, peer.name, outcome.answered, len(found), outcome.ms, outcome.error
            )
        )
        if answer is None:
            notes.append(f"{peer.name} did not answer: {outcome.error}")
            continue
        total += answer.total
        hits += [
            FamilyHit(h.media, peer.id, peer.name, h.taken_at, h.place, h.people, h.score,
                      thumbnail=h.thumbnail)
            for h in found
        ]  # fmt: skip
    if mine.unknown and not hits:
        notes.append(unknown_note(mine.unknown))
    return FamilyAnswer(query, _ranked(hits)[:limit], total, devices, notes)


def _ranked(hits: list[FamilyHit]) -> list[FamilyHit]:
    """Best first, newest first; one entry per photo, on the first device that holds it
    (this device's hits come first in `hits`, so they keep their place on a tie)."""
    first: dict[str, FamilyHit] = {}
    also: dict[str, list[str]] = {}
    for hit in hits:
        if hit.media in first:
            also[hit.media].append(hit.device_id)
        else:
            first[hit.media] = hit
            also[hit.media] = []
    unique = [
        FamilyHit(**{**vars(hit), "also_on": tuple(also[hit.media])}) for hit in first.values()
    ]
    order = {id(hit): n for n, hit in enumerate(unique)}
    return sorted(unique, key=lambda h: (-h.score, _newest_first(h.taken_at), order[id(h)]))


def _newest_first(taken_at: str) -> float:
    moment = datetime.fromisoformat(taken_at)
    return -(moment.timestamp() if moment.tzinfo else moment.replace(tzinfo=None).timestamp())
