"""Read a library's tables straight from LanceDB, for comparing what two runs left on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lancedb
import numpy as np

KEYS = {"files": "path", "media": "hash", "faces": "id", "stages": "id", "thumbnails": "hash"}


def table_rows(home: Path, table: str) -> list[dict[str, Any]]:
    db = lancedb.connect(str(home / "library"))
    if table not in db.list_tables().tables:
        return []
    rows: list[dict[str, Any]] = db.open_table(table).to_arrow().to_pylist()
    return sorted(rows, key=lambda r: r[KEYS[table]])


def count_rows(home: Path, table: str) -> int:
    db = lancedb.connect(str(home / "library"))
    if table not in db.list_tables().tables:
        return 0
    return int(db.open_table(table).count_rows())


def assert_same_library(a: Path, b: Path) -> None:
    """Same rows in every table; floats equal up to the noise of a re-run on another thread."""
    for table in KEYS:
        assert_same_rows(table, table_rows(a, table), table_rows(b, table))


def assert_same_rows(
    table: str, rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]]
) -> None:
    key = KEYS[table]
    assert [r[key] for r in rows_a] == [r[key] for r in rows_b], f"{table} keys differ"
    for ra, rb in zip(rows_a, rows_b, strict=True):
        assert ra.keys() == rb.keys()
        for column in ra:
            va, vb = ra[column], rb[column]
            if isinstance(va, float) or (isinstance(va, list) and isinstance(va[0], float)):
                np.testing.assert_allclose(va, vb, atol=1e-3, err_msg=f"{table}.{column}")
            else:
                assert va == vb, f"{table}.{column} of {ra[key]}: {va!r} != {vb!r}"
