"""Who every body is: pets scored by the pet scorer, figures named by hand only.

Bodies go through the same door as faces (`node.people.scoring.place_faces`). Pets have a
scorer of their own: the distance rules over the confirmed bodies of the family's pets, with
the calibration of this space. Figures have one that knows nobody. The rows have the people
state's shape (`node.people.state.STATE`), so that a body is, for everything that reads the
state, one more "face".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from node.library.store import Library
from node.people.faces import FaceSet
from node.people.scoring import FaceBatch, Placement, Thresholds, place_faces
from node.people.suggest import DistanceRules, DistanceScorer
from node.pets.bodies import FIGURE, PET_SPECIES, load_bodies
from node.pets.clusters import read_pet_clusters
from protocol.labels import Kind, Labels

# Logistic fit of distance to the nearest confirmed body of a pet → P(same pet); 0.99 at 0.835,
# 0.5 at 0.95, 0.25 at 0.977. Calibrated on cats, checked on dogs (docs/ARCHITECTURE.md, "Pets").
# The bars are the faces': a wrong automatic assignment is worse than a question.
PETS = DistanceRules(
    "pet appearance",
    Thresholds(auto=0.99, suggest=0.25, ambiguous=0.5),
    slope=40.0,
    midpoint=0.95,
    cluster_reach=0.95,
)


def pet_scorer(pets: FaceSet, clusters: dict[str, str | None], labels: Labels) -> DistanceScorer:
    """The scorer of pets' bodies: nearest confirmed body of each named pet, pets only."""
    return DistanceScorer.from_faces(pets, clusters, labels, kind=Kind.PET, rules=PETS)


class ByHandOnly:
    """The scorer of people's figures: it knows nobody, so a figure is whom the user named, or
    nobody (clothes are no identity)."""

    name = "by hand only"
    thresholds = PETS.thresholds
    subjects: tuple[str, ...] = ()

    def confidences(self, batch: FaceBatch, excluded: np.ndarray) -> np.ndarray:
        return np.zeros((len(batch.ids), 0))


def body_rows(library: Library, labels: Labels) -> list[dict[str, Any]]:
    """One people-state row per body in the library."""
    pets = load_bodies(library, PET_SPECIES)
    clusters = read_pet_clusters(library)
    figures = load_bodies(library, (FIGURE,))
    return _rows(
        pets, clusters, place_faces(pets, clusters, labels, pet_scorer(pets, clusters, labels))
    ) + _rows(figures, {}, place_faces(figures, {}, labels, ByHandOnly()))


def _rows(
    bodies: FaceSet, clusters: dict[str, str | None], placements: list[Placement]
) -> list[dict[str, Any]]:
    return [
        {"face": body, "media_hash": media, "cluster": clusters.get(body),
         "subject": p.subject, "status": p.status, "confidence": p.confidence}
        for body, media, p in zip(bodies.ids, bodies.media, placements, strict=True)
    ]  # fmt: skip
