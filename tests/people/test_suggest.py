"""Which named subject a face is proposed for: people only, never pets."""

from __future__ import annotations

import numpy as np

from node.people.faces import FaceSet
from node.people.scoring import CONFIRMED, SUGGESTED, UNCLUSTERED, place_faces
from node.people.suggest import DistanceScorer
from protocol.labels import Edit, Kind, Op, fold
from tests.protocol.test_labels import create, event


def _faces(*vectors: list[float]) -> FaceSet:
    n = len(vectors)
    return FaceSet(
        ids=[f"f{i}" for i in range(n)],
        media=[f"m{i}" for i in range(n)],
        vectors=np.array(vectors, np.float32),
        good=np.ones(n, bool),
    )


def test_a_face_near_a_pets_face_is_not_proposed_for_the_pet() -> None:
    """Human-face vectors near a pet's hand-placed "face" carry no identity: no suggestion."""
    faces = _faces([0.0, 0.0], [0.5, 0.0], [10.0, 0.0], [10.5, 0.0])
    labels = fold(
        [
            create(1, "dog", "Scooby", kind=Kind.PET),
            create(2, "alice", "Alice"),
            event(3, Edit(Op.ASSIGN, "dog", faces=("f0",))),
            event(4, Edit(Op.ASSIGN, "alice", faces=("f2",))),
        ]
    )
    placed = place_faces(faces, {}, labels, DistanceScorer.from_faces(faces, {}, labels))
    assert (placed[0].subject, placed[0].status) == ("dog", CONFIRMED)
    assert (placed[1].subject, placed[1].status) == (None, UNCLUSTERED)
    assert (placed[3].subject, placed[3].status) == ("alice", SUGGESTED)
