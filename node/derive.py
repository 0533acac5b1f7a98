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
    """Bring clusters, places and the people state up to date.

    The caller holds the index lock, which covers clusters and places. The people state and the
    label log belong to label edits too, so the labels lock is taken only for the refresh:
    an edit made while this run indexed waits for this step alone, and one made before it is
    folded in here."""
    clustered = update_clusters(library) + update_pet_clusters(library)
    located = update_places(library)
    if clustered or located:
        # Every run appends a small fragment to each; merge them now and then.
        for table in (clusters_table(library), pet_clusters_table(library), places_table(library)):
            table.optimize()
    with library.labels_lock(wait=True):
        if clustered or located:
            # Each label edit appended a fragment. Merged before the refresh, not after it:
            # the merge is a new version of the log, and a state stored under the version
            # before it would read as stale to every command until the next edit.
            EventLog(library).table.optimize()
        refresh(library)
