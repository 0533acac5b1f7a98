"""Who every body is: pets scored by the pet scorer, figures named by hand only.

Bodies go through the same door as faces (`node.people.scoring.place_faces`). Pets have a
scorer of their own: the distance rules over the confirmed bodies of the family's pets, with
the calibration of this space. Figures have one that knows nobody. The rows have the people
state's shape (`node.people.state.STATE`), so that a body is, for everything that reads the
state, one more "face".
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from node.library.store import Library
from node.people.faces import FaceSet
from node.people.scoring import FaceBatch, Placement, Thresholds, place_faces
from node.people.suggest import DistanceRules, DistanceScorer
from node.pets.bodies import FIGURE, PET_SPECIES, load_bodies
from node.pets.clusters import pet_clusters_table, read_pet_clusters
from node.vision.tables import bodies_table
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
    """One people-state row per body in the library.

    An edit of people's names moves no body, yet placing every pet's body again is work
    that grows with the library: the last rows are kept per library, with the table
    versions the bodies were read at and what the labels say of those bodies (`_said`),
    and given again while both are the same."""
    versions = _versions(library)
    kept = _kept.get(str(library.root))
    bodies = kept.bodies if kept is not None and kept.versions == versions else _read(library)
    said = _said(labels, [*bodies.pets.ids, *bodies.figures.ids])
    if kept is not None and kept.bodies is bodies and kept.said == said:
        return kept.rows
    pets, clusters, figures = bodies.pets, bodies.clusters, bodies.figures
    rows = _rows(
        pets, clusters, place_faces(pets, clusters, labels, pet_scorer(pets, clusters, labels))
    ) + _rows(figures, {}, place_faces(figures, {}, labels, ByHandOnly()))
    if _versions(library) == versions:  # else an index run wrote bodies while they were read
        _kept[str(library.root)] = _Placed(versions, bodies, said, rows)
    return rows


@dataclass(frozen=True)
class _Bodies:
    pets: FaceSet
    clusters: dict[str, str | None]  # the pets' bodies' clusters
    figures: FaceSet


@dataclass(frozen=True)
class _Placed:
    versions: tuple[int, int]
    bodies: _Bodies
    said: Hashable
    rows: list[dict[str, Any]]


_kept: dict[str, _Placed] = {}


def _versions(library: Library) -> tuple[int, int]:
    return int(bodies_table(library).version), int(pet_clusters_table(library).version)


def _read(library: Library) -> _Bodies:
    pets = load_bodies(library, PET_SPECIES)
    return _Bodies(pets, read_pet_clusters(library), load_bodies(library, (FIGURE,)))


def _said(labels: Labels, bodies: list[str]) -> Hashable:
    """Everything placing `bodies` reads of the labels: each one's confirmed subject and
    rejections, and every subject's kind (which subjects are pets)."""
    confirmed, rejected = labels.confirmed(), labels.rejected()
    return (
        tuple((confirmed.get(b), frozenset(rejected.get(b, ()))) for b in bodies),
        frozenset((s, subject.kind) for s, subject in labels.subjects.items()),
    )


def _rows(
    bodies: FaceSet, clusters: dict[str, str | None], placements: list[Placement]
) -> list[dict[str, Any]]:
    return [
        {"face": body, "media_hash": media, "cluster": clusters.get(body),
         "subject": p.subject, "status": p.status, "confidence": p.confidence}
        for body, media, p in zip(bodies.ids, bodies.media, placements, strict=True)
    ]  # fmt: skip
