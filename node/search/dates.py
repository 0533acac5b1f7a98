"""When each photo was taken, held in memory per version of the media table.

Every search with a person or a date reads the hash and dates of the photos it may return. At a
family's size (150,000 photos) a scan of those three columns is most of a search's time, and a
running node answers search after search while the media table stays as it was. So the columns
are read once per version and filtered here; a new version (an index run) is read again.
"""

from __future__ import annotations

import threading
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from node.library.store import Library

_COLUMNS = ["hash", "taken_at", "taken_local"]
_kept: dict[str, tuple[int, pa.Table]] = {}  # library root → (media version, its dates)
_lock = threading.Lock()


def taken(library: Library, start: datetime | None = None, end: datetime | None = None) -> pa.Table:
    """Hash, taken_at and taken_local of every photo whose local date lies in [start, end)
    (either open)."""
    rows = _dates(library)
    moment = rows["taken_local"]
    if start is not None:
        rows = rows.filter(pc.greater_equal(moment, pa.scalar(start, moment.type)))
        moment = rows["taken_local"]
    if end is not None:
        rows = rows.filter(pc.less(moment, pa.scalar(end, moment.type)))
    return rows


def _dates(library: Library) -> pa.Table:
    version = int(library.media.version)
    with _lock:
        kept = _kept.get(str(library.root))
    if kept is not None and kept[0] == version:
        return kept[1]
    rows = library.media.search().select(_COLUMNS).limit(None).to_arrow().combine_chunks()
    if int(library.media.version) == version:  # else an index run wrote while it was read
        with _lock:
            _kept[str(library.root)] = (version, rows)
    return rows
