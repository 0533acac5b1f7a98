"""When one person's confirmed faces change, which faces can change placement
(`suggest.can_move`): checked against the distance rules themselves, placing a face before and
after on thousands of random arrangements with distances around every threshold. Wherever the
rule says a face cannot move, its placement after is exactly the one before."""

from __future__ import annotations

import numpy as np
import pytest

from node.people.scoring import CLUSTERED, FaceBatch, Placement, score_batch
from node.people.suggest import DistanceScorer, Prior, can_move, distances_to, placed_after
from protocol.labels import fold

SUBJECTS = ("a", "b", "c")
DIM = 8
CASES = 4000
EMPTY = fold([])


def _place(people: dict[str, np.ndarray], cluster: frozenset[str], good: bool) -> Placement:
    """The face at the origin, in a cluster whose confirmed people are `cluster`, placed."""
    scorer = DistanceScorer(people, {"k": cluster})
    batch = FaceBatch(["f"], np.zeros((1, DIM), np.float32), np.array([good]), ["k"])
    placed = score_batch(scorer, batch, EMPTY)[0] if people else None
    if placed is None:  # nobody's: as the state stores a face in a cluster
        return Placement(None, CLUSTERED, 0.0)
    # Stored as the state stores it: the confidence in float32.
    return Placement(placed.subject, placed.status, float(np.float32(placed.confidence)))


def _at(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` faces at distances around the rules' thresholds (0.2–0.75) from the origin."""
    directions = rng.normal(size=(count, DIM))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return (directions * rng.uniform(0.2, 0.75, size=(count, 1))).astype(np.float32)


@pytest.mark.parametrize("nearer", [True, False], ids=["gained", "lost"])
def test_a_face_the_rule_keeps_is_placed_as_before(nearer: bool) -> None:
    rng = np.random.default_rng(7 if nearer else 8)
    kept = 0
    for _ in range(CASES):
        people = {s: _at(rng, int(rng.integers(1, 4))) for s in SUBJECTS[: rng.integers(1, 4)]}
        cluster = frozenset(rng.choice(list(people), size=rng.integers(0, 2), replace=False))
        good = bool(rng.random() < 0.8)
        subject = str(rng.choice([*people, "new"] if nearer else list(people)))
        after = dict(people)
        if nearer:
            changing = _at(rng, int(rng.integers(1, 3)))
            mine = people.get(subject)
            after[subject] = changing if mine is None else np.concatenate([mine, changing])
        else:
            mine = people[subject]
            gone = rng.random(len(mine)) < 0.6
            changing = mine[gone]
            if not len(changing):
                continue
            if gone.all():
                del after[subject]
            else:
                after[subject] = mine[~gone]
        distance = float(np.sqrt(np.square(changing.astype(np.float64)).sum(axis=1).min()))
        placed = _place(people, cluster, good)
        prior = Prior(placed, cluster, cluster)
        if can_move(prior, subject, nearer, distance):
            continue
        kept += 1
        assert _place(after, cluster, good) == placed, (people, cluster, good, subject)
    assert kept > CASES // 4  # the rule keeps many faces, not a handful


def test_a_placement_told_from_the_one_before_is_the_scorers() -> None:
    """`placed_after`: where one person gains confirmed faces, the placement it tells from the
    one before and the exact distance to the faces that came is the scorer's own."""
    rng = np.random.default_rng(9)
    told = 0
    origin = np.zeros((1, DIM))
    for _ in range(CASES):
        people = {s: _at(rng, int(rng.integers(1, 4))) for s in SUBJECTS[: rng.integers(1, 4)]}
        cluster = frozenset(rng.choice(list(people), size=rng.integers(0, 2), replace=False))
        good = bool(rng.random() < 0.8)
        subject = str(rng.choice([*people, "new"]))
        came = _at(rng, int(rng.integers(1, 3)))
        mine = people.get(subject)
        after = {**people, subject: came if mine is None else np.concatenate([mine, came])}
        placed = _place(people, cluster, good)
        distance = float(distances_to(came, origin)[0])
        found = placed_after(Prior(placed, cluster, cluster), subject, distance, good)
        if found is None:
            continue
        told += 1
        nobody = Placement(None, CLUSTERED, 0.0)
        stored = Placement(found.subject, found.status, float(np.float32(found.confidence)))
        assert _place(after, cluster, good) == (stored if found.subject else nobody)
    assert told > CASES // 2
