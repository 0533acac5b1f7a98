"""LanceDB access for the index: the only module that knows table names and predicates.

Crash safety rests on write order. A batch writes faces, then media, then files; each LanceDB
write is one atomic commit, and every write is an upsert on the table's key. A kill between
commits leaves faces or media rows that no file points at yet, which the next run simply
writes again (same keys, same values) before pointing a file at them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from node.files import hold, write_atomic
from node.library.schema import FILES, MEDIA, FileRecord, PhotoRecord, faces_schema
from protocol.errors import RoostError

FORMAT_VERSION = 1
_CHUNK = 500  # keys per IN (...) predicate


class LibraryError(RoostError):
    """The library cannot be used as asked; the message says why and what to do."""


class LibraryMismatch(LibraryError):
    """The library on disk was built differently from what this run asks for."""


class LibraryBusy(LibraryError):
    """Another process holds the library's write lock."""


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def in_clauses(column: str, values: Sequence[str]) -> Iterator[str]:
    """`column IN (...)` predicates over `values`, a few hundred at a time, quoted safely."""
    for start in range(0, len(values), _CHUNK):
        yield f"{column} IN ({', '.join(_quote(v) for v in values[start : start + _CHUNK])})"


class Library:
    """The tables under `<home>/library`, plus `library.json` naming the embedding space."""

    def __init__(self, root: Path, embedder: str, dim: int) -> None:
        self.root = root
        self.embedder = embedder
        # Check for newer versions on every read: a long-lived reader (the TUI, a test) must
        # see what an index run or a label edit in another process has committed since.
        # Imported here, not at the top: lancedb takes seconds to import, and commands that
        # never open the library (family, node, --help) should not pay for it.
        os.environ.setdefault("LANCE_LOG", "error")  # Lance warns for every new table
        import lancedb

        self._db = lancedb.connect(str(root), read_consistency_interval=timedelta(0))
        self.files = self._db.create_table("files", schema=FILES, exist_ok=True)
        self.media = self._db.create_table("media", schema=MEDIA, exist_ok=True)
        self.faces = self._db.create_table("faces", schema=faces_schema(dim), exist_ok=True)

    @classmethod
    def open(cls, root: Path, *, embedder: str | None = None, dim: int | None = None) -> Library:
        """Open the library; create it for `embedder` if it does not exist.

        Vectors from two embedders must never share a table, so asking for another embedder
        than the one the library was built with is refused.
        """
        meta_file = root / "library.json"
        if meta_file.exists():
            meta = json.loads(meta_file.read_text())
            if meta.get("format") != FORMAT_VERSION:
                raise LibraryMismatch(
                    f"{root} has library format {meta.get('format')}; this Roost reads "
                    f"format {FORMAT_VERSION}"
                )
            if embedder is not None and meta["embedder"] != embedder:
                raise LibraryMismatch(
                    f"this library's faces were embedded with {meta['embedder']}; mixing "
                    f"{embedder} vectors into it is not possible. Index into a new --home to "
                    "switch models."
                )
            return cls(root, meta["embedder"], int(meta["dim"]))
        if embedder is None or dim is None:
            raise LibraryMismatch(f"no library at {root}; run `roost index PATH` first")
        root.mkdir(parents=True, exist_ok=True)
        library = cls(root, embedder, dim)
        meta = {"format": FORMAT_VERSION, "embedder": embedder, "dim": dim}
        write_atomic(meta_file, json.dumps(meta).encode(), mode=0o644)  # last: the tables exist
        return library

    def table(self, name: str, schema: pa.Schema) -> Any:
        """Another table in this library's database, created empty on first use.

        What is derived from the index (clusters, places) or said about it (labels) lives beside
        it, so that one folder is the whole library and one lock guards all of it.
        """
        try:
            return self._db.open_table(name)  # its schema may carry metadata `schema` lacks
        except ValueError:
            return self._db.create_table(name, schema=schema, exist_ok=True)

    # -- reading -----------------------------------------------------------------------------

    def known_files(self) -> dict[str, FileRecord]:
        rows = self.files.search().select(["path", "hash", "size", "mtime_ns"]).limit(None)
        return {r["path"]: FileRecord(**r) for r in rows.to_arrow().to_pylist()}

    def processed_hashes(self) -> set[str]:
        """Content fully processed with this library's embedder."""
        rows = self.media.search().select(["hash"]).limit(None).to_arrow()
        return set(rows.column("hash").to_pylist())

    def photo(self, media_hash: str) -> dict[str, Any] | None:
        rows = self._where(self.media, f"hash = {_quote(media_hash)}")
        return rows[0] if rows else None

    def paths_of(self, media_hash: str) -> list[str]:
        rows = self._where(self.files, f"hash = {_quote(media_hash)}", ["path"])
        return sorted(r["path"] for r in rows)

    def paths_by_hash(self, media_hashes: Iterable[str]) -> dict[str, list[str]]:
        """Every path of each of many photos, with one query per few hundred photos."""
        found: dict[str, list[str]] = {}
        for predicate in in_clauses("hash", sorted(set(media_hashes))):
            for row in self._where(self.files, predicate, ["path", "hash"]):
                found.setdefault(row["hash"], []).append(row["path"])
        return {digest: sorted(paths) for digest, paths in found.items()}

    def file(self, path: str) -> dict[str, Any] | None:
        rows = self._where(self.files, f"path = {_quote(path)}")
        return rows[0] if rows else None

    def faces_of(self, media_hash: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
        wanted = None if columns is None else sorted({"id", *columns})
        rows = self._where(self.faces, f"media_hash = {_quote(media_hash)}", wanted)
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

    def write(self, photos: Sequence[PhotoRecord], files: Sequence[FileRecord]) -> None:
        """Commit one batch in crash-safe order: faces, media, then the files that point at them."""
        face_rows = [row for p in photos for row in p.face_rows()]
        if face_rows:
            self.upsert(self.faces, "id", pa.Table.from_pylist(face_rows, self.faces.schema))
        if photos:
            media = pa.Table.from_pylist([p.media_row() for p in photos], MEDIA)
            self.upsert(self.media, "hash", media)
        if files:
            rows = [vars(f) for f in files]
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

    def drop_orphans(self) -> int:
        """Remove media (and their faces) that no file points at any more."""
        linked = set(
            self.files.search().select(["hash"]).limit(None).to_arrow()["hash"].to_pylist()
        )
        orphans = sorted(self.processed_hashes() - linked)
        for predicate in in_clauses("media_hash", orphans):
            self.faces.delete(predicate)
        for predicate in in_clauses("hash", orphans):
            self.media.delete(predicate)
        return len(orphans)

    def compact(self) -> None:
        """Merge the many small fragments an incremental run leaves into fewer files."""
        for table in (self.files, self.media, self.faces):
            table.optimize()


def write_lock(lock_file: Path) -> AbstractContextManager[None]:
    """One writer per library: a second indexer on the same home fails fast instead of racing."""
    return hold(
        lock_file,
        refuse=lambda who: LibraryBusy(
            f"the library is being written by {who}; wait for it to finish"
        ),
    )
