"""Which named subject a face is proposed for: people only, never pets."""

from __future__ import annotations

import numpy as np

from node.people.faces import FaceSet
from node.people.scoring import CONFIRMED, SUGGESTED, UNCLUSTERED, place_faces
from node.people.suggest import FACES, DistanceScorer
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


def test_each_subject_s_distance_is_to_its_nearest_confirmed_face_exactly_within_reach() -> None:
    """The scorer's per-subject nearest distance equals the brute-force definition where it is
    within the rules' reach, and is infinite beyond (no candidate), whatever the batching:
    placing a few faces again must give bit for bit what placing all gives."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(30, 128)) / 11  # 30 people, far apart (about 1.4)
    refs = (np.repeat(centres, 30, axis=0) + rng.normal(size=(900, 128)) / 40).astype(np.float32)
    subjects = [f"s{i // 30}" for i in range(900)]
    order = sorted(set(subjects))
    scorer = DistanceScorer(
        {s: refs[[i for i in range(900) if subjects[i] == s]] for s in order}, {}
    )
    # Faces near one person's faces (within about 0.45), between two people, and far off.
    owners = rng.integers(0, 30, 300)
    faces = centres[owners] + rng.normal(size=(300, 128)) / 30
    faces[250:] = (centres[owners[250:]] + centres[(owners[250:] + 1) % 30]) / 2
    faces[290:] = rng.normal(size=(10, 128)) / 11
    reach = FACES.reach

    def brute(face: np.ndarray, subject: str) -> float:
        nearest = min(
            float(np.linalg.norm(face - refs[i].astype(np.float64)))
            for i in range(900)
            if subjects[i] == subject
        )
        return nearest if nearest <= reach else np.inf

    chosen = [*range(20), *range(250, 260), *range(290, 300)]
    expected = np.array([[brute(faces[i], s) for s in order] for i in chosen])
    got = scorer._nearest(faces)
    assert np.isfinite(expected[:20]).sum() >= 20  # each near face has its person within reach
    assert np.array_equal(np.isinf(got[chosen]), np.isinf(expected))
    assert np.allclose(got[chosen], expected, rtol=0, atol=1e-12)
    assert np.array_equal(got[:20], scorer._nearest(faces[:20]))
    for i in (0, 7, 19, 250, 299):  # alone, as an edit places a face again
        assert np.array_equal(got[i], scorer._nearest(faces[i : i + 1])[0])
