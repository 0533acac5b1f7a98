"""Who every face is, right now, materialised in one small table for fast and paged reading.

`people_state` holds one row per face: its cluster, its subject (assigned or suggested), its
status and confidence. It is derived entirely from the faces, the clusters and the label log, and
records in its schema metadata the versions of those three tables it was computed from (its
basis). Writers call `refresh` after every change, which replaces the table with one commit;
readers use it only if its basis is current and otherwise compute the same rows in memory, so
a crash between a label commit and the refresh can make reads slower, never wrong.

A reader never loads vectors or thumbnails through this module except for the faces it shows:
the TUI can open on 10,000 faces by listing `subjects()` and paging with `faces_page()`.

Statuses: "confirmed" (the user said so), "clustered" (placed by Roost: assigned to a subject at
high confidence, or in an unnamed cluster when `subject` is null), "suggested" (a match to
confirm or reject) and "unclustered" (in no cluster and matched to no one).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from node.library.schema import key_field
from node.library.store import Library, LibraryBusy
from node.media.hints import apply_hints
from node.media.sources import people_hints, sources_table
from node.model.scorer import current_scorer, model_version
from node.people import incremental
from node.people.clusters import clusters_table, read_clusters
from node.people.events import EventLog
from node.people.faces import FaceSet, load_faces
from node.people.scoring import (
    CLUSTERED,
    CONFIRMED,
    SUGGESTED,
    Placement,
    Scorer,
    Status,
    place_faces,
)
from node.pets.clusters import pet_clusters_table
from node.pets.place import body_rows
from node.vision.tables import bodies_table
from protocol.labels import LabelEvent, Labels, Subject, fold

STATE = pa.schema(
    [
        key_field("face"),
        pa.field("media_hash", pa.string(), nullable=False),
        pa.field("cluster", pa.string()),
        pa.field("subject", pa.string()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("confidence", pa.float32(), nullable=False),
    ]
)
_BASIS = b"roost.basis"
_PENDING = "pending"  # the basis while an incremental refresh writes: matches no basis
# What may change between a stored basis and now for `_refresh_part` to apply.
_INCREMENTAL = frozenset({"events", "faces", "clusters"})
_log = logging.getLogger(__name__)
_MAX_FRAGMENTS = 32  # upserts a stored state takes before it is compacted (a rewrite)
_MAX_CHUNKS = 256  # pieces a state kept in memory is patched into before it is compacted
_SLICED = 64  # rows an edit replaces, at most, for the state to be patched by slices
_KEEP_OLD_STATE = timedelta(minutes=1)  # long enough for a reader still scanning one
_STATUS_ORDER: dict[str, int] = {CONFIRMED: 0, CLUSTERED: 1, SUGGESTED: 2}
_STATUSES = {status.value: status for status in Status}  # a lookup, cheaper than Status(...)
_READ_STATES_KEPT = 4  # libraries whose last state a process keeps (a node has one)


@dataclass(frozen=True)
class SubjectRow:
    """One line of `roost people`: a named person or pet, or an unnamed cluster."""

    id: str
    name: str | None
    kind: str  # "person" | "pet" | "cluster"
    faces: int  # confirmed + assigned (for a cluster: its unnamed faces)
    suggested: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "faces": self.faces,
            "suggested": self.suggested,
        }


@dataclass(frozen=True)
class FaceRow:
    face: str
    media_hash: str
    cluster: str | None
    subject: str | None
    status: str
    confidence: float

    @property
    def assigned(self) -> bool:
        return self.subject is not None and self.status in (CONFIRMED, CLUSTERED)


class State:
    """One consistent reading of labels and placements."""

    def __init__(self, labels: Labels, events: list[LabelEvent], rows: pa.Table) -> None:
        self.labels = labels
        self.events = events
        self.rows = rows

    # -- subjects ------------------------------------------------------------------------------

    def subjects(self) -> list[SubjectRow]:
        """Named people and pets (by name), then unnamed clusters (largest first)."""
        counts = self._counts()
        named = [
            SubjectRow(s.id, s.name, s.kind, counts.get((s.id, "a"), 0), counts.get((s.id, "s"), 0))
            for s in sorted(self.labels.subjects.values(), key=lambda s: (s.name.casefold(), s.id))
        ]
        clusters = [
            SubjectRow(key, None, "cluster", n) for (key, what), n in counts.items() if what == "c"
        ]
        clusters.sort(key=lambda row: (-row.faces, row.id))
        return named + clusters

    def _counts(self) -> dict[tuple[str, str], int]:
        """(subject, "a"ssigned | "s"uggested) and (cluster, "c"), the faces of a cluster that
        are nobody's yet, → number of faces. Counted by Arrow: at 250,000 faces a loop over
        rows is most of what opening the people screen costs."""
        rows = self.rows
        suggested = pc.equal(rows["status"], SUGGESTED.value)
        counts: dict[tuple[str, str], int] = {}
        what = pc.if_else(suggested, "s", "a")
        by_subject = pa.table({"key": rows["subject"], "what": what}).filter(
            pc.is_valid(rows["subject"])
        )
        unnamed = pc.and_(
            pc.is_valid(rows["cluster"]), pc.or_(pc.is_null(rows["subject"]), suggested)
        )
        by_cluster = pa.table({"key": rows["cluster"]}).filter(unnamed)
        for table, keys in ((by_subject, ["key", "what"]), (by_cluster, ["key"])):
            grouped = table.group_by(keys).aggregate([([], "count_all")])
            whats = grouped["what"].to_pylist() if "what" in keys else ["c"] * grouped.num_rows
            for key, kind, n in zip(
                grouped["key"].to_pylist(), whats, grouped["count_all"].to_pylist(), strict=True
            ):
                counts[(key, kind)] = n
        return counts

    def subject(self, text: str) -> Subject | None:
        """A live subject by id, unique id prefix (8+ characters), or name (any case)."""
        live = self.labels.resolve(text)
        if live is not None:
            return self.labels.subjects[live]
        named = self.labels.by_name(text)
        if named is not None:
            return named
        if len(text) >= 8:
            found = [s for s in self.labels.subjects.values() if s.id.startswith(text)]
            if len(found) == 1:
                return found[0]
        return None

    def is_cluster(self, cluster: str) -> bool:
        return bool(self._where(pc.field("cluster") == cluster).num_rows)

    # -- faces ---------------------------------------------------------------------------------

    def face(self, face: str) -> FaceRow | None:
        found = self._rows(self._where(pc.field("face") == face))
        return found[0] if found else None

    def faces(self, faces: list[str]) -> list[FaceRow]:
        """The rows of `faces`, in that order (those it knows): one pass over the state, where
        asking `face` for each of a named cluster's faces would be one pass per face."""
        found = self._rows(self._where(pc.field("face").isin(pa.array(faces, pa.string()))))
        by_face = {row.face: row for row in found}
        return [by_face[f] for f in faces if f in by_face]

    def faces_page(self, key: str, offset: int = 0, limit: int | None = None) -> list[FaceRow]:
        """A subject's faces (confirmed, assigned, then suggested), or a cluster's faces that
        are nobody's yet (including those only suggested for someone: the cluster is where
        the user sees them, and naming it answers the suggestion)."""
        if key in self.labels.subjects:
            table = self._where(pc.field("subject") == key)
            # The order of FaceRow's fields (status, rounded confidence, face), worked out by
            # column: a person can have tens of thousands of faces, and a page shows a few.
            keys = pa.table(
                {
                    "rank": pc.index_in(table["status"], pa.array(list(_STATUS_ORDER))),
                    "sure": [-round(float(c), 4) for c in table["confidence"].to_pylist()],
                    "face": table["face"],
                }
            )
            order = pc.sort_indices(keys, [("rank", "ascending"), ("sure", "ascending"),
                                           ("face", "ascending")])  # fmt: skip
        else:
            unnamed = pc.field("subject").is_null() | (pc.field("status") == SUGGESTED)
            table = self._where((pc.field("cluster") == key) & unnamed)
            order = pc.sort_indices(table, [("face", "ascending")])
        chosen = order[offset : None if limit is None else offset + limit]
        return self._rows(table.take(chosen))

    def suggestions(self, limit: int | None = None) -> list[FaceRow]:
        rows = self._rows(self._where(pc.field("status") == SUGGESTED))
        rows.sort(key=lambda r: (-r.confidence, r.face))
        return rows[:limit]

    def assigned(self) -> list[FaceRow]:
        """Faces that are someone: confirmed, or assigned at high confidence."""
        statuses = pa.array([CONFIRMED, CLUSTERED])
        chosen = pc.field("subject").is_valid() & pc.field("status").isin(statuses)
        return self._rows(self._where(chosen))

    @cached_property
    def by_photo(self) -> dict[str, dict[str, float]]:
        """Media hash → subject → the best confidence of an assigned face of that subject in
        it: what every search filters and scores by, worked out once per state."""
        who: dict[str, dict[str, float]] = {}
        for row in self.assigned():
            assert row.subject is not None
            best = who.setdefault(row.media_hash, {})
            best[row.subject] = max(best.get(row.subject, 0.0), row.confidence)
        return who

    @cached_property
    def photos_of(self) -> dict[str, frozenset[str]]:
        """Subject → the media hashes of the photos with an assigned face of it: what a
        search by a person starts from, worked out once per state."""
        photos: dict[str, set[str]] = {}
        for media, subjects in self.by_photo.items():
            for subject in subjects:
                photos.setdefault(subject, set()).add(media)
        return {subject: frozenset(media) for subject, media in photos.items()}

    def names_of(self, faces: list[str]) -> dict[str, str]:
        """Face id → the name of the person or pet it is (assigned faces only)."""
        subjects = self.labels.subjects
        rows = self._rows(self._where(pc.field("face").isin(pa.array(faces, pa.string()))))
        return {
            r.face: subjects[r.subject].name for r in rows if r.assigned and r.subject in subjects
        }

    def _where(self, condition: pc.Expression) -> pa.Table:
        return self.rows.filter(condition)

    @staticmethod
    def _rows(table: pa.Table) -> list[FaceRow]:
        return [
            FaceRow(
                r["face"], r["media_hash"], r["cluster"], r["subject"], r["status"],
                round(float(r["confidence"]), 4),
            )
            for r in table.to_pylist()
        ]  # fmt: skip


def _basis(library: Library, log: EventLog) -> bytes:
    versions = {
        "events": log.version,
        "clusters": int(clusters_table(library).version),
        "faces": int(library.faces.version),
        "model": model_version(library),
        "bodies": int(bodies_table(library).version),
        "pet_clusters": int(pet_clusters_table(library).version),
        "sources": int(sources_table(library).version),  # the people Takeout sidecars list
        "space": library.meta.space.faces,  # which faces table "faces" is a version of
    }
    return json.dumps(versions, sort_keys=True).encode()


def _moved_since(library: Library, basis: dict[str, Any]) -> bool:
    """Whether an index run wrote faces or clusters (without the labels lock) since `basis`
    was taken: rows computed now may then be of newer tables than the basis says."""
    return (int(library.faces.version), int(clusters_table(library).version)) != (
        basis["faces"],
        basis["clusters"],
    )


def _compute(library: Library, labels: Labels) -> pa.Table:
    """Every face placed from scratch: the reference the incremental path must equal."""
    faces = load_faces(library)
    clusters = read_clusters(library)
    scorer = current_scorer(library, faces, clusters, labels)
    return _place(library, faces, clusters, labels, scorer, people_hints(library))


def _place(
    library: Library,
    faces: FaceSet,
    clusters: dict[str, str | None],
    labels: Labels,
    scorer: Scorer,
    hints: dict[str, list[str]],
) -> pa.Table:
    """The rows of `faces`, placed by `scorer`, and of every body. Built column by column:
    at 250,000 faces a dict per row held hundreds of megabytes before Arrow saw them."""
    placements = _with_hints(place_faces(faces, clusters, labels, scorer), faces, labels, hints)
    placed = _state_rows(faces.ids, faces.media, clusters, placements)
    # Pets' bodies (and people's faceless figures) are "faces" of their own space here.
    return pa.concat_tables([placed, pa.Table.from_pylist(body_rows(library, labels), STATE)])


def _state_rows(
    faces: Sequence[str],
    media: Sequence[str],
    clusters: dict[str, str | None],
    placements: Sequence[Placement],
) -> pa.Table:
    """The state's rows of `faces` (of photos `media`), placed as `placements` say."""
    return pa.table(
        {
            "face": faces,
            "media_hash": media,
            "cluster": [clusters.get(face) for face in faces],
            "subject": [p.subject for p in placements],
            "status": [str(p.status) for p in placements],
            "confidence": pa.array([p.confidence for p in placements], pa.float32()),
        },
        STATE,
    )


def _with_hints(
    placements: list[Placement], faces: FaceSet, labels: Labels, hints: dict[str, list[str]]
) -> list[Placement]:
    """The names a Takeout sidecar lists for a photo, added as suggestions for its faces
    (`node.media.hints`) after the scorer placed them."""
    if not hints:
        return placements
    placed = [(p.subject, str(p.status), p.confidence) for p in placements]
    hinted = apply_hints(placed, faces.ids, faces.media, hints, labels)
    return [Placement(subject, Status(status), sure) for subject, status, sure in hinted]


def read_state(library: Library) -> State:
    """The current state: the stored table if its basis is current, else brought up to date.

    The last state read of each library is kept with its basis, so that a running node
    answering one search after another reads only the basis (a few table versions) while
    nothing changed. The basis is taken before anything is read: what is returned is at
    least as new as the basis it is kept under.

    A stale stored state (a process killed between a label write and its refresh) is
    refreshed and stored when the labels lock is free, so that only the first reader after
    it pays, not every command until the next edit. Where the lock is held (an edit or an
    index run is storing it now) or the library cannot be written, the state is computed
    in memory and nothing is written."""
    log = EventLog(library)
    basis = _basis(library, log)
    if (kept := _kept(library, basis)) is not None:
        return kept
    stored = library.table("people_state", STATE)
    if stored_basis(stored) != basis:
        try:
            with library.labels_lock(wait=False):
                return refresh(library)
        except (LibraryBusy, OSError, RuntimeError, ValueError) as exc:
            # Storing is optional here: held elsewhere, read-only, or a table being replaced
            # under it (lancedb's commit conflicts are RuntimeError or ValueError).
            _log.debug("people state of %s not stored by a reader: %s", library.root, exc)
    events = log.read()
    labels = fold(events)
    rows = _stored_rows(stored) if stored_basis(stored) == basis else _compute(library, labels)
    return _keep(library, basis, State(labels, events, rows))


def stored_basis(stored: Any) -> bytes | None:
    """The basis the stored rows were computed from. It lives in the `face` field's metadata,
    which an upsert keeps and a metadata update changes without rewriting rows; tables
    written before the incremental path carry it in the schema's metadata."""
    held = (stored.schema.field("face").metadata or {}).get(_BASIS)
    return held if held is not None else (stored.schema.metadata or {}).get(_BASIS)


def _kept(library: Library, basis: bytes) -> State | None:
    key = (str(library.root), basis)
    with _read_lock:
        if (kept := _read_states.get(key)) is not None:
            _read_states.move_to_end(key)
        return kept


def _keep(library: Library, basis: bytes, state: State) -> State:
    with _read_lock:
        _read_states[(str(library.root), basis)] = state
        while len(_read_states) > _READ_STATES_KEPT:
            _read_states.popitem(last=False)
    return state


_read_states: OrderedDict[tuple[str, bytes], State] = OrderedDict()
_read_lock = threading.Lock()


def refresh(library: Library) -> State:
    """Bring the stored state up to date. The caller holds the labels lock.

    When only the label log changed since the stored basis, or faces were added (an index
    run), only the faces that can move are placed again (`node.people.incremental`) and
    upserted; otherwise, or where that cannot be shown exact, everything is recomputed and the
    table overwritten with one commit. The log is read and folded whole only where no state
    of the stored basis is kept: after an edit in this process, only its events are."""
    log = EventLog(library)
    basis = _basis(library, log)
    stored = library.table("people_state", STATE)
    held = stored_basis(stored)
    if held == _PENDING.encode():
        held = None  # killed between an upsert and its basis: no rows of any basis to build on
    prior = _exactly_at(library, log, held)
    events, labels = _labels(log, prior)
    if held == basis:  # nothing changed
        kept = _kept(library, basis)
        rows = kept.rows if kept else _stored_rows(stored)
        return _keep(library, basis, State(labels, events, rows))
    if held is not None and (
        rows := _refresh_part(library, log, (held, basis), (events, labels), prior)
    ):
        return _keep(library, basis, State(labels, events, rows))
    return recompute(library, log, basis, events)


def _exactly_at(library: Library, log: EventLog, held: bytes | None) -> State | None:
    """The state kept under the basis `held`, if it was read from exactly the label log that
    basis names (a kept state can be newer: `read_state` takes the basis first)."""
    prior = None if held is None else _kept(library, held)
    if prior is None or held is None:
        return None
    then = log.ids(int(json.loads(held)["events"]))
    return prior if then == {e.id for e in prior.events} else None


def _labels(log: EventLog, prior: State | None) -> tuple[list[LabelEvent], Labels]:
    """The log now, and its fold: `prior`'s labels with the events since folded in where they
    come after (`Labels.extended`), else the whole log folded again."""
    if prior is not None and (now := log.ids()) is not None:
        held = {e.id for e in prior.events}
        if held <= now:
            new = log.read_ids(now - held)
            labels = prior.labels.extended(new) if new else prior.labels
            if labels is not None:
                return sorted([*prior.events, *new], key=lambda e: e.order), labels
    events = log.read()
    return events, fold(events)


def recompute(
    library: Library,
    log: EventLog | None = None,
    basis: bytes | None = None,
    events: list[LabelEvent] | None = None,
) -> State:
    """Place every face from scratch and store the state with one commit (overwriting the
    table): what `refresh` falls back to, and what each refresh cost before the incremental
    path. The caller holds the labels lock."""
    log = log or EventLog(library)
    basis = basis or _basis(library, log)
    events = log.read() if events is None else events
    labels = fold(events)
    rows = _compute(library, labels)
    if not _moved_since(library, json.loads(basis)):  # else the next refresh computes again
        stored = library.table("people_state", STATE)
        stored.add(rows.cast(_with_basis(basis)), mode="overwrite")
        stored.optimize(cleanup_older_than=_KEEP_OLD_STATE)  # each one is a whole new version
    return _keep(library, basis, State(labels, events, rows))


def _with_basis(basis: bytes) -> pa.Schema:
    face = STATE.field("face")
    return STATE.set(0, face.with_metadata({**(face.metadata or {}), _BASIS: basis}))


def _refresh_part(
    library: Library,
    log: EventLog,
    bases: tuple[bytes, bytes],
    current: tuple[list[LabelEvent], Labels],
    prior: State | None,
) -> pa.Table | None:
    """Place again only the faces that edits and new faces since the stored basis can move,
    and store them: the whole new rows, or None where the incremental path does not apply.
    `bases`: the stored basis and the current one; `current`: the log now and its fold;
    `prior`: the state kept from exactly the stored basis's log, if any.

    The stored rows must be exactly those of their basis, since the next refresh takes the
    faces of that basis as the ones already placed: where an index run wrote faces or
    clusters meanwhile, the rows are returned but not stored."""
    before, now = (json.loads(b) for b in bases)
    before.setdefault("space", now["space"])  # a basis stored before it named the table
    if {k: v for k, v in before.items() if k not in _INCREMENTAL} != {
        k: v for k, v in now.items() if k not in _INCREMENTAL
    }:
        return None
    old = prior.events if prior is not None else log.read_at(int(before["events"]))
    if old is None:
        return None
    then = None
    if (before["faces"], before["clusters"]) != (now["faces"], now["clusters"]):
        then = incremental.before_at(library, int(before["faces"]), int(before["clusters"]))
        if then is None:
            return None
    hints = people_hints(library)
    events, labels = current
    old_labels = prior.labels if prior is not None else fold(old)
    keys = (frozenset(e.id for e in old), frozenset(e.id for e in events))
    stored = library.table("people_state", STATE)
    # Only rows read from exactly the stored basis, with the same faces, are patched.
    exact = then is None and prior is not None
    base = prior.rows if exact and prior is not None else _stored_rows(stored)
    plan = incremental.plan(library, old_labels, labels, hints, keys, then, _placements(base))
    if plan is None:
        return None
    rows = _place(library, plan.faces, plan.clusters, labels, plan.scorer, hints)
    if plan.told:
        faces = list(plan.told)
        media, placements = zip(*(plan.told[f] for f in faces), strict=True)
        rows = pa.concat_tables([rows, _state_rows(faces, media, plan.clusters, placements)])
    rows = pa.concat_tables([rows, _relabelled(base, plan.relabelled)]).combine_chunks()
    if not _moved_since(library, now):
        _upsert(stored, rows, basis=bases[1])
    return _patched(base.cast(STATE), rows)


def _placements(rows: pa.Table) -> incremental.PlacedBefore:
    """How to read the placements of some faces from `rows` (a state): one filter of its
    columns for all of them."""

    def placed(faces: Sequence[str]) -> dict[str, Placement]:
        if not faces:
            return {}
        found = rows.filter(pc.is_in(rows["face"], pa.array(faces, pa.string())))
        columns = [found[c].to_pylist() for c in ("face", "subject", "status", "confidence")]
        return {
            face: Placement(subject, _STATUSES[status], confidence)
            for face, subject, status, confidence in zip(*columns, strict=True)
        }

    return placed


def _stored_rows(stored: Any) -> pa.Table:
    """The stored rows, in one chunk: a scan returns hundreds, and every filter of a state
    read later pays per chunk."""
    rows: pa.Table = stored.search().limit(None).to_arrow().combine_chunks()
    return rows


def _patched(base: pa.Table, rows: pa.Table) -> pa.Table:
    """`base` with the rows of `rows`' faces replaced by `rows`. Where they are few, the
    slices of `base` between them, which share its buffers, then `rows`: filtering 250,000
    rows into a new table cost an edit up to a quarter of a second, most of it allocating.
    Where they are many (naming a cluster), slices would be as many chunks, and every
    later filter pays per chunk: `base` is filtered. The chunks are combined once they are
    many."""
    replaced = pc.is_in(base["face"], value_set=rows["face"])
    gone = np.flatnonzero(replaced.to_numpy(zero_copy_only=False))
    if len(gone) > _SLICED:
        pieces = [base.filter(pc.invert(replaced))]
    else:
        starts = np.concatenate([[0], gone + 1]).tolist()
        ends = np.concatenate([gone, [base.num_rows]]).tolist()
        pieces = [base.slice(b, e - b) for b, e in zip(starts, ends, strict=True) if e > b]
    patched = pa.concat_tables([*pieces, rows])
    if patched.column("face").num_chunks > _MAX_CHUNKS:
        patched = patched.combine_chunks()
    return patched


def _relabelled(base: pa.Table, clusters: dict[str, str | None]) -> pa.Table:
    """The rows of faces that only changed cluster: their placement, with the new cluster."""
    if not clusters:
        return STATE.empty_table()
    rows = base.filter(pc.is_in(base["face"], pa.array(list(clusters), pa.string()))).cast(STATE)
    moved = pa.array([clusters[f] for f in rows["face"].to_pylist()], pa.string())
    return rows.set_column(rows.schema.get_field_index("cluster"), "cluster", moved)


def _upsert(stored: Any, rows: pa.Table, basis: bytes) -> None:
    """Upsert `rows` and then record `basis`. The basis is cleared first: a kill between the
    upsert and the last step leaves a table no basis matches, recomputed at the next refresh,
    never rows of one basis under another."""
    stored.update_field_metadata({"path": "face", "metadata": {_BASIS.decode(): _PENDING}})
    if rows.num_rows:
        Library.upsert(stored, "face", rows)
    stored.update_field_metadata({"path": "face", "metadata": {_BASIS.decode(): basis.decode()}})
    if stored.stats()["fragment_stats"]["num_fragments"] >= _MAX_FRAGMENTS:
        stored.optimize(cleanup_older_than=_KEEP_OLD_STATE)
