"""Who every body is: pets matched to named pets with pets' calibration; figures by hand only.

The rows have the people state's shape (`node.people.state.STATE`), so that a pet's body is,
for everything that reads the state, one more "face".
"""

from __future__ import annotations

from typing import Any

from node.library.store import Library
from node.people.suggest import CONFIRMED, UNCLUSTERED, Calibration, place_faces
from node.pets.bodies import FIGURE, PET_SPECIES, load_bodies
from node.pets.clusters import read_pet_clusters
from protocol.labels import Kind, Labels

# Logistic fit of distance to the nearest confirmed body of a pet → P(same pet); 0.99 at 0.835,
# 0.5 at 0.95, 0.25 at 0.977. Calibrated on cats, checked on dogs (docs/ARCHITECTURE.md).
PETS = Calibration(slope=40.0, midpoint=0.95, cluster_reach=0.95)


def body_rows(library: Library, labels: Labels) -> list[dict[str, Any]]:
    """One people-state row per body in the library."""
    pets = load_bodies(library, PET_SPECIES)
    clusters = read_pet_clusters(library)
    placements = place_faces(pets, clusters, labels, kind=Kind.PET, calibration=PETS)
    rows = [
        {"face": body, "media_hash": media, "cluster": clusters.get(body),
         "subject": p.subject, "status": p.status, "confidence": p.confidence}
        for body, media, p in zip(pets.ids, pets.media, placements, strict=True)
    ]  # fmt: skip
    figures = load_bodies(library, (FIGURE,))
    confirmed = labels.confirmed()
    for body, media in zip(figures.ids, figures.media, strict=True):
        subject = confirmed.get(body)
        rows.append(
            {"face": body, "media_hash": media, "cluster": None, "subject": subject,
             "status": CONFIRMED if subject else UNCLUSTERED, "confidence": 1.0 if subject else 0.0}
        )  # fmt: skip
    return rows
