"""Libraries whose vision rows were made before the vision stages joined the registry kept
their own done markers: a `vision` table with one row per photo naming the model of each part.

Those markers become the registry's, under the stage each part is now, with the same versions,
so nothing is analysed again; then the table goes. Markers are written first and the table is
dropped last, so a kill in between leaves the table to be adopted again (the same rows).
"""

from __future__ import annotations

import pyarrow as pa

from node.library.schema import Marker
from node.library.store import Batch, Library
from node.vision.stages import BodyStage, ClipStage, ObjectStage, SceneLabelStage

OLD_TABLE = "vision"
PART_STAGES = {
    "objects": ObjectStage.name,
    "labels": SceneLabelStage.name,
    "bodies": BodyStage.name,
    "clip": ClipStage.name,
}


def adopt_vision_markers(library: Library) -> int:
    """Turn the old table's markers into stage markers; return how many. The caller holds the
    write lock."""
    if not library.has_table(OLD_TABLE):
        return 0
    old = library.table(OLD_TABLE, pa.schema([])).to_arrow().to_pylist()
    markers = [
        Marker(stage, row["hash"], row[part])
        for row in old
        for part, stage in PART_STAGES.items()
        if row.get(part)
    ]
    library.write(Batch(markers=markers))
    library.drop_table(OLD_TABLE)
    return len(markers)
