"""What the index run derives from new faces and photos before it returns: clusters (of faces and
of pets), places, and who every face and pet is.

Each step only handles what has no row yet and commits once, so the whole is idempotent and
resumable like the indexing before it: a run killed here redoes just this on its next start.
"""

from __future__ import annotations

from node.library.store import Library
from node.people.clusters import clusters_table, update_clusters
from node.people.events import EventLog
from node.people.state import refresh
from node.pets.clusters import pet_clusters_table, update_pet_clusters
from node.places import places_table, update_places


def forget_face_derivations(library: Library) -> None:
    """Drop what was derived from face vectors (clusters, the people state): after a switch of
    embedding space it would compare vectors of two models. Labels are kept: they name faces by
    id, and the next `derive` places them in the new space."""
    library.drop_table("clusters")
    library.drop_table("people_state")


def derive(library: Library) -> None:
    """Bring clusters, places and the people state up to date. The caller holds the lock."""
    clustered = update_clusters(library) + update_pet_clusters(library)
    located = update_places(library)
    refresh(library)
    if clustered or located:
        # Every run and every label edit appends a small fragment; merge them now and then.
        derived = (clusters_table(library), pet_clusters_table(library), places_table(library))
        for table in (*derived, EventLog(library).table):
            table.optimize()
