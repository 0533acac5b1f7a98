"""Bring a library written by an older Roost up to the current format, in place.

Format 1 (before stage markers) held files, media and faces, and a `media` row meant "fully
processed" by the one pipeline there was: detect, embed, crop. Migrating records exactly that
as done markers, so nothing already computed is computed again, while stages format 1 did not
have (the photo thumbnail) run on the next `roost index`. Every step can be repeated, and
`library.json` changes last, so a kill during migration leaves a format-1 library that the next
run migrates again.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from node.library.schema import MEDIA_V1_ONLY, STAGES, Marker
from node.library.store import FORMAT_VERSION, Library, Meta

_ROWS_PER_WRITE = 20_000


def migrate(library: Library, format1_stages: Mapping[str, str]) -> bool:
    """Migrate to the current format; `format1_stages` names the stages (and the versions) that
    format 1 ran on every photo it holds. Returns whether anything was migrated."""
    if library.format == FORMAT_VERSION:
        return False
    hashes = sorted(library.media_hashes())
    markers = [Marker(stage, h, v).row() for stage, v in format1_stages.items() for h in hashes]
    for start in range(0, len(markers), _ROWS_PER_WRITE):
        rows = pa.Table.from_pylist(markers[start : start + _ROWS_PER_WRITE], STAGES)
        Library.upsert(library.stages, "id", rows)
    stale = [c for c in MEDIA_V1_ONLY if c in library.media.schema.names]
    if stale:
        library.media.drop_columns(stale)
    library.set_meta(Meta(FORMAT_VERSION, library.meta.space, library.meta.next_space))
    return True
