"""Pets' bodies grouped into clusters, incrementally, by the faces' rule with pets' distances.

Appearance vectors are unit length, so distances lie in [0, 2]. Calibrated on the crops of the
cat breeds of `pets/` and checked on the dog breeds (docs/ARCHITECTURE.md, "Pets"): photos of
one breed lie at a median of 0.89 from each other, different breeds no closer than 0.90.
"""

from __future__ import annotations

from typing import Any

from node.library.store import Library
from node.people.clusters import CLUSTERS, ClusterRules, update_groups
from node.pets.bodies import PET_SPECIES, body_ids, load_bodies

PET_RULES = ClusterRules(join=0.85, nearest=3, merge=0.95, low_quality_join=0.80)


def pet_clusters_table(library: Library) -> Any:
    return library.table("pet_clusters", CLUSTERS)


def read_pet_clusters(library: Library) -> dict[str, str | None]:
    rows = pet_clusters_table(library).search().limit(None).to_arrow()
    return dict(zip(rows["face"].to_pylist(), rows["cluster"].to_pylist(), strict=True))


def update_pet_clusters(library: Library) -> int:
    """Cluster the pets' bodies that have no cluster row yet; return how many were processed."""
    return update_groups(
        pet_clusters_table(library),
        body_ids(library, PET_SPECIES),
        lambda: load_bodies(library, PET_SPECIES),
        PET_RULES,
    )
