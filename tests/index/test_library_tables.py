"""A library's tables, opened once per `Library` (`Library.table`): what another process commits
is still read, and a table dropped is opened afresh."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

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
