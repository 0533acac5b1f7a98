"""The personal model without Flower: contributions add up, the aggregate is the family's mean,
the file format refuses garbage, the store rolls back, the scorer says "nobody we know"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from node.model.calibration import BINS, Calibration
from node.model.local import LabeledFaces, contribute, validate
from node.model.personal import PersonalModel
from node.model.scorer import ModelScorer
from node.model.store import ModelStore
from node.model.update import FACE_CAP, combine, pack, template, unpack
from node.people.scoring import FaceBatch
from protocol.labels import Edit, Op, fold
from tests.protocol.test_labels import create, event

DIM = 8
RNG = np.random.default_rng(7)
CENTRES = RNG.normal(0.0, 1.0, (4, DIM)).astype(np.float32)
PEOPLE = ["p0", "p1", "p2", "p3"]


def faces_of(person: int, n: int, spread: float = 0.05) -> np.ndarray:
    return np.asarray(CENTRES[person] + RNG.normal(0.0, spread, (n, DIM)), np.float32)


def labeled(*people: int, n: int = 3) -> LabeledFaces:
    vectors = np.concatenate([faces_of(p, n) for p in people])
    return LabeledFaces(vectors, [PEOPLE[p] for p in people for _ in range(n)])


def round_of(devices: list[LabeledFaces], start: PersonalModel | None = None) -> PersonalModel:
    start = start or PersonalModel.initial(DIM)
    parts = [pack(contribute(start, d, PEOPLE)) for d in devices]
    total = unpack([np.sum(a, axis=0) for a in zip(*parts, strict=True)])
    return combine(total, start, PEOPLE, ["a", "b", "c"][: len(devices)], start.round + 1, True)


def test_packs_add_up_like_the_parts_they_pack() -> None:
    a, b = labeled(0, 1), labeled(2)
    start = PersonalModel.initial(DIM)
    pa, pb = (contribute(start, d, PEOPLE) for d in (a, b))
    summed = unpack([x + y for x, y in zip(pack(pa), pack(pb), strict=True)])
    np.testing.assert_allclose(summed.sums, pa.sums + pb.sums, atol=1e-9)
    np.testing.assert_allclose(summed.counts, pa.counts + pb.counts)
    np.testing.assert_allclose(summed.impostors, pa.impostors + pb.impostors)
    assert summed.samples == pytest.approx(pa.samples + pb.samples)
    assert all(np.abs(x).max() <= 1.0 for x in pack(pa))  # inside SecAgg+'s clipping range


def test_the_prototype_of_a_person_labeled_on_one_device_is_the_mean_of_their_labels() -> None:
    devices = [labeled(0, 1), labeled(2), labeled(3)]
    model = round_of(devices)
    np.testing.assert_allclose(model.prototypes[0], devices[0].vectors[:3].mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(model.prototypes[2], devices[1].vectors.mean(axis=0), atol=1e-5)
    assert list(model.counts) == [3, 3, 3, 3]
    assert model.version == 1 and model.participants == ("a", "b", "c")


def test_a_device_with_nothing_to_add_changes_nothing() -> None:
    model = round_of([labeled(0, 1), labeled(2)])
    with_idle = unpack(
        [x + y for x, y in zip(pack(contribute(PersonalModel.initial(DIM), labeled(0, 1), PEOPLE)),
                               template(len(PEOPLE), DIM), strict=True)]
    )  # fmt: skip
    assert with_idle.counts.sum() == 6
    assert model.counts[3] == 0  # nobody labeled p3: no prototype for them


def test_a_person_nobody_contributed_this_round_keeps_the_previous_prototype() -> None:
    first = round_of([labeled(0), labeled(1)])
    second = round_of([labeled(0)], start=first)  # p1's device was offline
    np.testing.assert_allclose(second.prototypes[1], first.prototypes[1])
    assert second.counts[1] == first.counts[1] == 3
    assert second.version == 2


def test_a_device_that_never_saw_a_person_names_them_after_the_round() -> None:
    model = round_of([labeled(0, 1), labeled(2, 3)])
    labels = fold([create(k, s, s) for k, s in enumerate(PEOPLE)])
    scorer = ModelScorer.build(model, labels, {})
    faces = np.concatenate([faces_of(2, 5), faces_of(0, 5)])
    batch = FaceBatch([f"f{i}" for i in range(10)], faces, np.ones(10, bool), [None] * 10)
    sure = scorer.confidences(batch, np.zeros((10, 4), bool))
    best = [scorer.subjects[i] for i in sure.argmax(axis=1)]
    assert best == ["p2"] * 5 + ["p0"] * 5
    assert (sure.max(axis=1) >= scorer.thresholds.auto).all()


def test_a_stranger_is_nobody_we_know() -> None:
    model = round_of([labeled(0, 1), labeled(2)])
    labels = fold([create(k, s, s) for k, s in enumerate(PEOPLE)])
    scorer = ModelScorer.build(model, labels, {})
    stranger = (CENTRES[3] + RNG.normal(0.0, 0.05, (4, DIM))).astype(np.float32)
    batch = FaceBatch(["s0", "s1", "s2", "s3"], stranger, np.ones(4, bool), [None] * 4)
    sure = scorer.confidences(batch, np.zeros((4, 3), bool))
    assert (sure < scorer.thresholds.suggest).all()


def test_forgotten_and_merged_people_follow_the_labels() -> None:
    model = round_of([labeled(0, 1), labeled(2)])
    labels = fold(
        [
            *(create(k, s, s) for k, s in enumerate(PEOPLE)),
            event(10, Edit(Op.FORGET, "p0")),
            event(11, Edit(Op.MERGE, "p2", into="p1")),
        ]
    )
    scorer = ModelScorer.build(model, labels, {})
    assert scorer.subjects == ["p1"]  # p0 forgotten; p2 merged into p1 (which keeps its own)


def test_a_model_file_round_trips_and_garbage_is_refused() -> None:
    model = round_of([labeled(0, 1)]).with_validation({"faces": 6.0, "recall": 1.0, "wrong": 0.0})
    again = PersonalModel.from_bytes(model.to_bytes())
    assert again.subjects == model.subjects and again.validation == model.validation
    np.testing.assert_array_equal(again.prototypes, model.prototypes)
    data = model.to_bytes()
    for bad in (b"", b"not a model", data[: len(data) // 2]):
        with pytest.raises(ValueError):
            PersonalModel.from_bytes(bad)


def test_a_worse_model_is_refused_and_the_previous_one_kept(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    mine = labeled(0, 1)
    good = round_of([mine])
    assert store.offer(good, lambda m: validate(m, mine))
    assert store.current_version() == 1
    # A new model whose prototypes of p0 and p1 are swapped: it names this device's labels wrong.
    swapped = dataclasses.replace(good, version=2, prototypes=good.prototypes[[1, 0, 2, 3]])
    assert validate(swapped, mine)["wrong"] > 0
    assert not store.offer(swapped, lambda m: validate(m, mine))
    assert store.current_version() == 1 and store.rolled_back() == [2]
    better = round_of([mine], start=dataclasses.replace(good, version=2))
    assert store.offer(better, lambda m: validate(m, mine))
    assert (store.current_version(), store.previous().version) == (3, 1)  # type: ignore[union-attr]
    assert store.roll_back() == 1 and store.current_version() == 1


def test_few_labels_lean_on_the_prior() -> None:
    """Three impostor pairs, all far apart, are no reason to name everything closer."""
    none, few, near = (Calibration(np.zeros(BINS)) for _ in range(3))
    few.impostors[300] = 3  # at distance 1.5
    near.impostors[50] = 3  # at 0.25: seen impostors that close are believed
    assert none.distance_for(0.99, 10) == pytest.approx(few.distance_for(0.99, 10), abs=0.01)
    assert few.distance_for(0.99, 10) < 0.6
    assert near.distance_for(0.99, 10) < 0.26


def test_counts_are_capped_per_person() -> None:
    many = LabeledFaces(faces_of(0, FACE_CAP + 10), ["p0"] * (FACE_CAP + 10))
    part = contribute(PersonalModel.initial(DIM), many, PEOPLE, train=False)
    assert part.counts[0] == FACE_CAP
