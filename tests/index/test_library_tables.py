"""A library's tables, opened once per `Library` (`Library.table`): what another process commits
is still read, and a table dropped is opened afresh."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from node.library.schema import FILES, THUMBNAILS
from node.library.store import Library

SCHEMA = pa.schema([pa.field("key", pa.string(), nullable=False)])


def _open(root: Path) -> Library:
    return Library.open(root, embedder="probe", dim=4)


def test_a_table_is_opened_once_and_still_reads_what_another_library_commits(
    tmp_path: Path,
) -> None:
    reader, writer = _open(tmp_path / "library"), _open(tmp_path / "library")
    table = reader.table("notes", SCHEMA)
    assert reader.table("notes", SCHEMA) is table
    version = table.version
    writer.table("notes", SCHEMA).add(pa.table({"key": ["a", "b"]}, SCHEMA))
    assert table.version > version
    assert sorted(table.to_arrow()["key"].to_pylist()) == ["a", "b"]


def test_a_dropped_table_is_opened_afresh_and_empty(tmp_path: Path) -> None:
    library = _open(tmp_path / "library")
    library.table("notes", SCHEMA).add(pa.table({"key": ["a"]}, SCHEMA))
    library.drop_table("notes")
    assert library.table("notes", SCHEMA).count_rows() == 0


def _files(*pairs: tuple[str, str]) -> pa.Table:
    return pa.table(
        {
            "path": [p for p, _ in pairs],
            "hash": [h for _, h in pairs],
            "size": [1] * len(pairs),
            "mtime_ns": [0] * len(pairs),
        },
        FILES,
    )


def test_compacting_indexes_paths_by_hash_and_paths_written_after_are_still_found(
    tmp_path: Path,
) -> None:
    library = _open(tmp_path / "library")
    library.files.add(_files(("/a.jpg", "h1"), ("/b.jpg", "h2"), ("/c.jpg", "h1")))
    library.compact()
    library.compact()  # a second time finds the index there
    assert [i.columns for i in library.files.list_indices()] == [["hash"]]
    library.files.add(_files(("/d.jpg", "h2")))
    assert library.paths_by_hash(["h1", "h2", "h3"]) == {
        "h1": ["/a.jpg", "/c.jpg"],
        "h2": ["/b.jpg", "/d.jpg"],
    }


def _thumbnails(*hashes: str) -> pa.Table:
    return pa.table(
        {
            "hash": list(hashes),
            "width": [1] * len(hashes),
            "height": [1] * len(hashes),
            "jpeg": [h.encode() for h in hashes],
        },
        THUMBNAILS,
    )


def test_compacting_indexes_thumbnails_by_hash_and_those_written_after_are_still_found(
    tmp_path: Path,
) -> None:
    library = _open(tmp_path / "library")
    library.thumbnail_table.add(_thumbnails("h1", "h2"))
    library.compact()
    assert [i.columns for i in library.thumbnail_table.list_indices()] == [["hash"]]
    library.thumbnail_table.add(_thumbnails("h3"))
    assert library.thumbnails(["h1", "h3", "h4"]) == {"h1": b"h1", "h3": b"h3"}
