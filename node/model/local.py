"""This device's part of a round, from its own confirmed faces (ids from the label registry).

Nothing here leaves the device except the `Contribution` it returns, which goes out only
through secure aggregation: sums and counts per person, sample-weighted adapter weights, and a
histogram. The device's faces, descriptors and labels stay where they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from node.library.store import Library
from node.model.calibration import histogram
from node.model.personal import PersonalModel
from node.model.scorer import THRESHOLDS
from node.model.store import ModelStore, Validation
from node.model.train import fine_tune
from node.model.update import FACE_CAP, HIST_CAP, SAMPLE_CAP, Contribution, combine
from node.people.clusters import pairwise_distances
from node.people.state import read_state, refresh
from node.vision.tables import is_body
from protocol.labels import Kind


@dataclass(frozen=True)
class LabeledFaces:
    """Confirmed faces of people on this device: descriptors and live subject ids, row by row."""

    vectors: np.ndarray  # (n, dim) float32
    subjects: list[str]


def labeled_faces(library: Library) -> LabeledFaces:
    """This device's confirmed faces of people (not pets, nor the bodies of people whose face
    was not found: those are named by hand, and are no face), in face-id order."""
    labels = read_state(library).labels
    kinds = labels.subjects
    confirmed = {
        f: s
        for f, s in sorted(labels.confirmed().items())
        if kinds[s].kind == Kind.PERSON and not is_body(f)
    }
    rows = library.faces_by_id(confirmed, ["embedding"])
    faces = [f for f in confirmed if f in rows]
    dim = library.faces.schema.field("embedding").type.list_size
    vectors = np.array([rows[f]["embedding"] for f in faces], np.float32).reshape(-1, dim)
    return LabeledFaces(vectors, [confirmed[f] for f in faces])


def contribute(
    model: PersonalModel, faces: LabeledFaces, subjects: Sequence[str], train: bool = True
) -> Contribution:
    """Train from the family's model on this device's labels and sum them up for the round.
    `subjects` is the round's subject order; faces of anyone else wait for a later round."""
    column = {s: k for k, s in enumerate(subjects)}
    taken: dict[int, int] = {}
    rows: list[int] = []
    picked: list[int] = []
    for i, subject in enumerate(faces.subjects):
        k = column.get(subject)
        if k is not None and taken.get(k, 0) < FACE_CAP and len(picked) < SAMPLE_CAP:
            taken[k] = taken.get(k, 0) + 1
            rows.append(k)
            picked.append(i)
    vectors, target = faces.vectors[picked], np.array(rows, np.int64)
    sums = np.zeros((len(subjects), model.dim))
    np.add.at(sums, target, vectors)
    counts = np.bincount(target, minlength=len(subjects)).astype(np.float64)
    raw, have = _prototypes(model, subjects, sums, counts)
    adapter, samples = model.adapter, 0.0
    if train and len(picked) >= 2 and int(have.sum()) >= 2:
        adapter = fine_tune(model.adapter, vectors, target, raw)
        samples = float(len(picked))
    impostors = np.zeros(0)
    if int(have.sum()) >= 2 and len(picked):
        distances = pairwise_distances(adapter(vectors), adapter(raw[have]))
        other = np.flatnonzero(have)[None, :] != target[:, None]
        impostors = distances[other][:HIST_CAP]
    return Contribution(adapter, samples, sums, counts, histogram(impostors))


def _prototypes(
    model: PersonalModel, subjects: Sequence[str], sums: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every person's raw prototype as this device knows it (the family's, else its own
    labels' mean) and which people have one."""
    raw = np.zeros((len(subjects), model.dim), np.float32)
    known = model.known()
    have = np.zeros(len(subjects), bool)
    for k, subject in enumerate(subjects):
        if subject in known:
            raw[k], have[k] = model.prototypes[known[subject]], True
        elif counts[k] > 0:
            raw[k], have[k] = sums[k] / counts[k], True
    return raw, have


def validate(model: PersonalModel, faces: LabeledFaces) -> Validation:
    """How the model does on this device's own labels: the share it would assign right by
    itself, and the share it would assign to somebody else."""
    known = model.known()
    rows = [i for i, s in enumerate(faces.subjects) if s in known]
    if not rows or len(known) < 1:
        return {"faces": 0.0, "recall": 0.0, "wrong": 0.0}
    order = sorted(known, key=known.__getitem__)
    prototypes = model.adapter(model.prototypes[[known[s] for s in order]])
    distances = pairwise_distances(model.adapter(faces.vectors[rows]), prototypes)
    sure = model.calibration.confidence(distances, len(order))
    top = np.argsort(-sure, axis=1)
    best = sure[np.arange(len(rows)), top[:, 0]]
    runner = sure[np.arange(len(rows)), top[:, 1]] if len(order) > 1 else np.zeros(len(rows))
    assigned = (best >= THRESHOLDS.auto) & (runner < THRESHOLDS.ambiguous)
    right = np.array([order[t] == faces.subjects[i] for t, i in zip(top[:, 0], rows, strict=True)])
    return {
        "faces": float(len(rows)),
        "recall": round(float((assigned & right).mean()), 4),
        "wrong": round(float((assigned & ~right).mean()), 4),
    }


def train_here(library: Library, device: str) -> PersonalModel | None:
    """A round of one: this device's labels alone make the next model (no federation, so
    nothing leaves the device). Returns the model if the store adopted it. The caller holds the
    library's write lock, as for any edit."""
    store = ModelStore(library.root)
    faces = labeled_faces(library)
    current = store.current() or PersonalModel.initial(
        library.faces.schema.field("embedding").type.list_size
    )
    subjects = sorted(set(faces.subjects) | set(current.known()))
    part = contribute(current, faces, subjects)
    model = combine(part, current, subjects, [device], current.round + 1, secure=False)
    adopted = store.offer(model, lambda m: validate(m, faces))
    refresh(library)
    return store.current() if adopted else None
