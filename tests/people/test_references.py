"""The confirmed faces the distance rules compare against, kept edit by edit
(`node.people.references`) and scored from (`DistanceScorer.moved`): updating them by an
edit's changed faces gives what building them from scratch gives."""

from __future__ import annotations

import random

import numpy as np

from node.people.faces import FaceSet
from node.people.references import References
from node.people.scoring import FaceBatch
from node.people.suggest import DistanceScorer

FACES = [f"f{i:03d}" for i in range(300)]
SUBJECTS = ["alice", "bob", "carol", "dora"]


def _random(rng: random.Random) -> tuple[dict[str, str], dict[str, str | None]]:
    refs = {f: rng.choice(SUBJECTS) for f in rng.sample(FACES, 120)}
    clusters = {f: (f"c{rng.randrange(15)}" if rng.random() < 0.8 else None) for f in FACES}
    return refs, clusters


def test_references_moved_by_an_edit_are_those_built_after_it() -> None:
    for seed in range(40):
        rng = random.Random(seed)
        refs, clusters = _random(rng)
        before = References.build(refs, clusters)
        moves: dict[str, str | None] = {
            f: rng.choice([*SUBJECTS, None, None]) for f in rng.sample(FACES, 25)
        }
        after = dict(refs)
        for face, subject in moves.items():
            if subject is None:
                after.pop(face, None)
            else:
                after[face] = subject
        moved = before.moved(moves, clusters)
        built = References.build(after, clusters)
        assert dict(moved.by_face) == dict(built.by_face)
        assert dict(moved.by_subject) == dict(built.by_subject)
        assert dict(moved.evidence) == dict(built.evidence)
        assert {c: dict(n) for c, n in moved.counts.items()} == {
            c: dict(n) for c, n in built.counts.items()
        }
        assert dict(before.by_face) == refs  # the references moved from are kept


def test_a_scorer_moved_by_an_edit_scores_as_one_built_after_it_bit_for_bit() -> None:
    rng = random.Random(7)
    vectors = (np.random.default_rng(7).normal(size=(len(FACES), 128)) / 11).astype(np.float32)
    faces = FaceSet(FACES, FACES, vectors, np.ones(len(FACES), bool))
    where = faces.index()
    refs, clusters = _random(rng)
    before = References.build(refs, clusters)
    scorer = DistanceScorer.from_references(before, faces, where)
    moves: dict[str, str | None] = {f: "bob" for f in rng.sample(FACES, 10)} | {
        f: None
        for f, s in refs.items()
        if s == "dora"  # every face of one person taken back
    }
    after = before.moved(moves, clusters)
    moved = scorer.moved(after, before.touched(moves), faces, where)
    built = DistanceScorer.from_references(after, faces, where)
    assert moved.subjects == built.subjects == ["alice", "bob", "carol"]
    batch = FaceBatch(FACES, vectors, faces.good, [clusters[f] for f in FACES])
    excluded = np.zeros((len(FACES), 3), bool)
    assert np.array_equal(moved.confidences(batch, excluded), built.confidences(batch, excluded))
    assert scorer.subjects == SUBJECTS  # the scorer moved from is kept
