"""LanceDB access for the index: the only module that knows table names and predicates.

Two locks, so that labels never wait for indexing:

- the index lock (`<home>/library.lock`, `write_lock`): one process writes what is indexed —
  files, media, faces, and what is derived from them (clusters, places) — for a whole run;
- the labels lock (`<library>/labels.lock`, `Library.labels_lock`): one process at a time
  appends to the label log and rewrites the materialised people state. Label edits take only
  this one; an index run takes it only for its short last step (`node.derive`). Every holder
  keeps it for one state refresh, so an edit waits a bounded time whoever writes the index.

LanceDB versions every table, so a reader, or an edit reading faces and clusters, sees whole
commits of a run in progress and never half of one.

Crash safety rests on write order. A batch writes what the stages made (faces, thumbnails),
then media, then the stages' done markers, then files; each LanceDB write is one atomic commit,
and every write is an upsert on the table's key. A kill between commits leaves rows that no
marker or file claims yet, which the next run simply writes again (same keys, same values)
before marking them done and pointing a file at them.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from node.files import hold, write_atomic
from node.library.light_import import import_lancedb
from node.library.schema import (
    FILES,
    MEDIA,
    STAGES,
    THUMBNAILS,
    FileRecord,
    Marker,
    PhotoRecord,
    faces_schema,
)
from protocol.errors import RoostError

FORMAT_VERSION = 2  # 1: no stage markers, no thumbnails; media held embedder and face_count
READABLE_FORMATS = (1, 2)  # format 1 reads as is; `roost index` migrates it (node.library.migrate)
LABELS_WAIT = 30.0  # seconds an edit waits for the labels lock: several state refreshes
_CHUNK = 500  # keys per IN (...) predicate
LEGACY_FACES = "faces"  # the faces table of format 1 and of a library's first embedding space


class LibraryError(RoostError):
    """The library cannot be used as asked; the message says why and what to do."""


class LibraryMismatch(LibraryError):
    """The library on disk was built differently from what this run asks for."""


class LibraryBusy(LibraryError):
    """Another process holds the library's write lock."""


def quote(value: str) -> str:
    """`value` as an SQL string literal in a LanceDB predicate."""
    return "'" + value.replace("'", "''") + "'"


def in_clauses(column: str, values: Sequence[str]) -> Iterator[str]:
    """`column IN (...)` predicates over `values`, a few hundred at a time, quoted safely."""
    for start in range(0, len(values), _CHUNK):
        yield f"{column} IN ({', '.join(quote(v) for v in values[start : start + _CHUNK])})"


@dataclass(frozen=True)
class Space:
    """One embedding space: the embedder, its vector size and the faces table holding it."""

    embedder: str
    dim: int
    faces: str

    def to_json(self) -> dict[str, Any]:
        return {"embedder": self.embedder, "dim": self.dim, "faces": self.faces}


@dataclass(frozen=True)
class Meta:
    """`library.json`: the format, the embedding space searched now, and one being built."""

    format: int
    space: Space
    next_space: Space | None = None

    @classmethod
    def read(cls, path: Path) -> Meta:
        raw = json.loads(path.read_text())
        space = Space(raw["embedder"], int(raw["dim"]), raw.get("faces", LEGACY_FACES))
        pending = raw.get("reembed")
        next_space = Space(**pending) if pending else None
        return cls(int(raw.get("format", 0)), space, next_space)

    def write(self, path: Path) -> None:
        body: dict[str, Any] = {"format": self.format, **self.space.to_json()}
        if self.next_space is not None:
            body["reembed"] = self.next_space.to_json()
        write_atomic(path, json.dumps(body).encode(), mode=0o644)


class Library:
    """The tables under `<home>/library`, plus `library.json` naming the embedding space."""

    def __init__(self, root: Path, meta: Meta) -> None:
        self.root = root
        self.meta = meta
        # Check for newer versions on every read: a long-lived reader (the TUI, a test) must
        # see what an index run or a label edit in another process has committed since.
        # Imported here, not at the top: lancedb takes seconds to import, and commands that
        # never open the library (family, node, --help) should not pay for it.
        os.environ.setdefault("LANCE_LOG", "error")  # Lance warns for every new table
        lancedb = import_lancedb()  # without the parts Roost never uses: a second less
        self._db = lancedb.connect(str(root), read_consistency_interval=timedelta(0))
        self._tables: dict[str, Any] = {}  # opened once: every read checks for newer versions
        self._tables_lock = threading.Lock()
        self.files = self.table("files", FILES)
        self.media = self.table("media", MEDIA)  # format 1's has two more columns
        self.faces = self._faces_table(meta.space)

    @property
    def embedder(self) -> str:
        return self.meta.space.embedder

    @property
    def format(self) -> int:
        return self.meta.format

    def _faces_table(self, space: Space) -> Any:
        return self.table(space.faces, faces_schema(space.dim))

    @classmethod
    def open(cls, root: Path, *, embedder: str | None = None, dim: int | None = None) -> Library:
        """Open the library; create it for `embedder` if it does not exist.

        Vectors from two embedders must never share a table, so asking for another embedder
        than the one the library was built with is refused; `roost index --reembed` switches.
        """
        meta_file = root / "library.json"
        if meta_file.exists():
            meta = Meta.read(meta_file)
            if meta.format not in READABLE_FORMATS:
                raise LibraryMismatch(
                    f"{root} has library format {meta.format}; this Roost reads formats "
                    f"{', '.join(map(str, READABLE_FORMATS))}"
                )
            if embedder is not None and embedder not in (
                meta.space.embedder,
                meta.next_space.embedder if meta.next_space else None,
            ):
                raise LibraryMismatch(
                    f"this library's faces were embedded with {meta.space.embedder}; mixing "
                    f"{embedder} vectors into it is not possible. Re-embed every face with "
                    f"`roost index PATH --reembed --embedder {embedder}`."
                )
            return cls(root, meta)
        if embedder is None or dim is None:
            raise LibraryMismatch(f"no library at {root}; run `roost index PATH` first")
        root.mkdir(parents=True, exist_ok=True)
        meta = Meta(FORMAT_VERSION, Space(embedder, dim, LEGACY_FACES))
        library = cls(root, meta)
        meta.write(meta_file)  # written last: its presence means the tables exist
        return library

    def set_meta(self, meta: Meta) -> None:
        """Replace `library.json` (one atomic rename) and reopen the faces table it names."""
        meta.write(self.root / "library.json")
        self.meta = meta
        self.faces = self._faces_table(meta.space)

    def table(self, name: str, schema: pa.Schema) -> Any:
        """Another table in this library's database, created empty on first use.

        What is derived from the index (clusters, places) or said about it (labels) lives beside
        it, so that one folder is the whole library and one lock guards all of it.

        Opened once per `Library` (an edit asks for a dozen tables, and opening one is a
        round trip): reads through it still see what was committed since (above).
        """
        with self._tables_lock:
            if (kept := self._tables.get(name)) is not None:
                return kept
        try:
            table = self._db.open_table(name)  # its schema may carry metadata `schema` lacks
        except ValueError:
            table = self._db.create_table(name, schema=schema, exist_ok=True)
        with self._tables_lock:
            return self._tables.setdefault(name, table)

    def table_at(self, name: str, version: int) -> Any | None:
        """A table as it stood at `version` (what a stored state was computed from); None if
        that version is gone, cleaned up since."""
        try:
            table = self._db.open_table(name)
            table.checkout(version)
        except ValueError:  # "Version N no longer exists", or no such table
            return None
        return table

    def has_table(self, name: str) -> bool:
        return name in self._db.list_tables().tables

    def labels_lock(self, wait: bool | float | None = None) -> AbstractContextManager[None]:
        """Hold the labels lock: append to the label log and refresh the people state.
        By default wait up to `LABELS_WAIT` seconds, then refuse with `LibraryBusy`."""
        wait = LABELS_WAIT if wait is None else wait
        return hold(
            self.root / "labels.lock",
            wait=wait,
            refuse=lambda who: LibraryBusy(
                f"the labels are being written by {who}, for longer than {wait:.0f} s; "
                "try again when it is done"
            ),
        )

    def drop_table(self, name: str) -> None:
        """Remove a table if it exists (derived data rebuilt from scratch, a finished space)."""
        with self._tables_lock:
            self._tables.pop(name, None)
        if self.has_table(name):
            self._db.drop_table(name)

    def drop_stray_faces_tables(self) -> None:
        """Drop faces tables `library.json` no longer names (a space a kill left behind)."""
        named = {s.faces for s in (self.meta.space, self.meta.next_space) if s is not None}
        for name in self._db.list_tables().tables:
            if (name == LEGACY_FACES or name.startswith("faces-")) and name not in named:
                self.drop_table(name)

    def faces_table_named(self, name: str) -> Any | None:
        """A faces table by name, if it exists (an earlier space's, during a re-embed)."""
        if name == self.meta.space.faces:
            return self.faces
        return self._db.open_table(name) if name in self._db.list_tables().tables else None

    def faces_of_space(self, space: Space) -> Any:
        """The faces table of `space` (the current one, or one being re-embedded into)."""
        return self.faces if space == self.meta.space else self._faces_table(space)

    @property
    def stages(self) -> Any:
        """Done markers: (stage, content hash) → the stage's version when it ran."""
        return self.table("stages", STAGES)

    @property
    def thumbnail_table(self) -> Any:
        return self.table("thumbnails", THUMBNAILS)

    # -- reading -----------------------------------------------------------------------------

    def known_files(self) -> dict[str, FileRecord]:
        rows = self.files.search().select(["path", "hash", "size", "mtime_ns"]).limit(None)
        return {r["path"]: FileRecord(**r) for r in rows.to_arrow().to_pylist()}

    def media_hashes(self) -> set[str]:
        """Content that was decoded and whose metadata is recorded."""
        rows = self.media.search().select(["hash"]).limit(None).to_arrow()
        return set(rows.column("hash").to_pylist())

    def markers(self) -> dict[str, dict[str, str]]:
        """Stage → {content hash: version of the stage that last completed on it}."""
        rows = self.stages.search().select(["stage", "hash", "version"]).limit(None).to_arrow()
        done: dict[str, dict[str, str]] = {}
        for stage, digest, version in zip(
            rows["stage"].to_pylist(),
            rows["hash"].to_pylist(),
            rows["version"].to_pylist(),
            strict=True,
        ):
            done.setdefault(stage, {})[digest] = version
        return done

    def thumbnails(self, hashes: Iterable[str]) -> dict[str, bytes]:
        """Content hash → the photo's small JPEG, for those of `hashes` that have one."""
        found: dict[str, bytes] = {}
        for predicate in in_clauses("hash", sorted(set(hashes))):
            for row in self._where(self.thumbnail_table, predicate, ["hash", "jpeg"]):
                found[row["hash"]] = row["jpeg"]
        return found

    def photo(self, media_hash: str) -> dict[str, Any] | None:
        rows = self._where(self.media, f"hash = {quote(media_hash)}")
        return rows[0] if rows else None

    def paths_of(self, media_hash: str) -> list[str]:
        rows = self._where(self.files, f"hash = {quote(media_hash)}", ["path"])
        return sorted(r["path"] for r in rows)

    def paths_by_hash(self, media_hashes: Iterable[str]) -> dict[str, list[str]]:
        """Every path of each of many photos, with one query per few hundred photos."""
        found: dict[str, list[str]] = {}
        for predicate in in_clauses("hash", sorted(set(media_hashes))):
            for row in self._where(self.files, predicate, ["path", "hash"]):
                found.setdefault(row["hash"], []).append(row["path"])
        return {digest: sorted(paths) for digest, paths in found.items()}

    def file(self, path: str) -> dict[str, Any] | None:
        rows = self._where(self.files, f"path = {quote(path)}")
        return rows[0] if rows else None

    def faces_of(self, media_hash: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
        wanted = None if columns is None else sorted({"id", *columns})
        rows = self._where(self.faces, f"media_hash = {quote(media_hash)}", wanted)
        return sorted(rows, key=lambda r: r["id"])

    def faces_by_id(self, face_ids: Iterable[str], columns: list[str]) -> dict[str, dict[str, Any]]:
        """Face id → the asked columns, for a page of faces (e.g. box, score, thumbnail).

        Pets' bodies (`node.vision.tables`) are faces to everything that labels and shows them,
        and have these columns too, so their ids are answered from their own table."""
        from node.vision.tables import bodies_table, is_body

        wanted = sorted(set(face_ids))
        found: dict[str, dict[str, Any]] = {}
        for table, ids in (
            (self.faces, [i for i in wanted if not is_body(i)]),
            (bodies_table(self), [i for i in wanted if is_body(i)]),
        ):
            for predicate in in_clauses("id", ids):
                for row in self._where(table, predicate, sorted({"id", *columns})):
                    found[row["id"]] = row
        return found

    def rows_of(
        self, table: Any, column: str, hashes: Iterable[str], columns: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Rows of `table` whose `column` is one of `hashes` (what earlier stages wrote)."""
        rows: list[dict[str, Any]] = []
        for predicate in in_clauses(column, sorted(set(hashes))):
            rows += self._where(table, predicate, columns)
        return rows

    @staticmethod
    def _where(
        table: Any, predicate: str, columns: list[str] | None = None
    ) -> list[dict[str, Any]]:
        query = table.search().where(predicate)
        if columns:
            query = query.select(columns)
        rows: list[dict[str, Any]] = query.limit(None).to_arrow().to_pylist()
        return rows

    # -- writing -----------------------------------------------------------------------------

    def write(self, batch: Batch) -> None:
        """Commit one batch in crash-safe order (see `Batch`)."""
        for made in batch.stage_rows:
            made.write()
        if batch.photos:
            media = pa.Table.from_pylist([p.media_row() for p in batch.photos], MEDIA)
            self.upsert(self.media, "hash", media)
        if batch.markers:
            done = pa.Table.from_pylist([m.row() for m in batch.markers], STAGES)
            self.upsert(self.stages, "id", done)
        if batch.files:
            rows = [vars(f) for f in batch.files]
            self.upsert(self.files, "path", pa.Table.from_pylist(rows, FILES))

    @staticmethod
    def upsert(table: Any, key: str, data: pa.Table) -> None:
        """Insert or replace rows by `key`: writing a row twice never duplicates it."""
        (
            table.merge_insert(key)
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(data)
        )

    def forget_paths(self, paths: Iterable[str]) -> None:
        for predicate in in_clauses("path", sorted(paths)):
            self.files.delete(predicate)

    def content_tables(self) -> dict[str, str]:
        """Every table holding rows per content: name → its content-hash column."""
        tables = {"stages": "hash", "thumbnails": "hash", self.meta.space.faces: "media_hash"}
        if self.meta.next_space is not None:
            tables[self.meta.next_space.faces] = "media_hash"
        return tables

    def drop_orphans(self, also: Mapping[str, str] | None = None) -> int:
        """Remove content no file points at any more, from media and every per-content table.

        Media goes last, so a kill part-way leaves the content to be found orphaned again.
        """
        linked = set(
            self.files.search().select(["hash"]).limit(None).to_arrow()["hash"].to_pylist()
        )
        orphans = sorted(self.media_hashes() - linked)
        if not orphans:
            return 0
        present = set(self._db.list_tables().tables)
        for name, column in {**self.content_tables(), **(also or {})}.items():
            if name in present:
                table = self._db.open_table(name)
                for predicate in in_clauses(column, orphans):
                    table.delete(predicate)
        for predicate in in_clauses("hash", orphans):
            self.media.delete(predicate)
        return len(orphans)

    def compact(self) -> None:
        """Merge the many small fragments an incremental run leaves into fewer files, and
        bring the scalar indexes up to date (creating them the first time)."""
        present = set(self._db.list_tables().tables)
        indexed = {"files": "hash", "thumbnails": "hash", self.meta.space.faces: "id"}
        for name in ["files", "media", *self.content_tables()]:
            if name in present:
                table = self._db.open_table(name)
                if name in indexed:
                    _ensure_index(table, indexed[name])
                table.optimize()  # also folds rows written since into the indexes


def _ensure_index(table: Any, column: str) -> None:
    """A B-tree index on `column`, created if the table has none. Reading 50 photos' paths
    by hash (every search's hits) scanned the whole files table, 24 ms at 150,000 photos,
    and 50 faces by id (a page of the TUI's cards) the whole faces table, 38 ms at 250,000
    faces; with the indexes (and the compaction) 9 and 18 ms. A family device's search reads
    its 50 hits' thumbnails by hash: 4.6 ms at 10,000 photos by a scan, 2.8 with the index.
    Rows written after it are found by a scan of their fragments until the next `optimize`
    folds them in."""
    if not any(index.columns == [column] for index in table.list_indices()):
        from lancedb.index import BTree

        table.create_index(column, config=BTree())


@dataclass
class StageRows:
    """Rows a stage wrote for some photos: upserted by `key`; with `replace`, rows of those
    photos (by `hash_column`) that this write does not hold are deleted after the upsert, so a
    re-run that finds less leaves nothing stale behind."""

    table: Any
    key: str
    rows: pa.Table
    hash_column: str
    replace: Sequence[str] = ()

    def write(self) -> None:
        if self.rows.num_rows:
            Library.upsert(self.table, self.key, self.rows)
        if not self.replace:
            return
        keep = set(self.rows.column(self.key).to_pylist())
        for predicate in in_clauses(self.hash_column, sorted(set(self.replace))):
            stale = self.table.search().where(predicate).select([self.key]).limit(None)
            gone = [k for k in stale.to_arrow().column(self.key).to_pylist() if k not in keep]
            for clause in in_clauses(self.key, gone):
                self.table.delete(clause)


@dataclass
class Batch:
    """One commit's worth of work, written in crash-safe order: what the stages made, then the
    media rows of new content, then the stages' done markers, then the files that point at the
    content. A kill between two of these writes leaves rows that no marker or file claims yet,
    which the next run writes again with the same keys and values."""

    stage_rows: list[StageRows] = field(default_factory=list)
    photos: list[PhotoRecord] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.photos) + len(self.markers) + len(self.files)


def write_lock(lock_file: Path, *, wait: bool = False) -> AbstractContextManager[None]:
    """One index writer per library: a second one fails fast instead of racing, or, with
    `wait`, waits for the first to finish (a foreground `roost index` while the node indexes).
    Label edits do not take it (see `Library.labels_lock`)."""
    return hold(
        lock_file,
        wait=wait,
        refuse=lambda who: LibraryBusy(
            f"the library is being written by {who}; wait for it to finish"
        ),
    )
