"""What one device adds to a round, and how the total becomes the family's next model.

Every part of a contribution is a sum or a count, so the secure-aggregated total of all
devices' contributions is all the coordinator needs, and all it ever sees:

- the adapter's weights times the number of faces they were trained on, and that number
  (sample-weighted averaging: a device with more labels moves the shared weights more);
- per subject, the sum of its confirmed descriptors on this device and their count: the
  family's prototype is the total sum over the total count, exactly the mean of all its labeled
  faces, whichever devices hold them. Averaging per-device prototypes (plain FedAvg) would
  instead shrink a person labeled on one device of three towards zero, which is what washes
  classes out under label skew (`benchmarks/federated_eval.py` measures both);
- the calibration's impostor histogram (`node.model.calibration`).

SecAgg+ quantises values within a clipping range, so `pack` scales each part into [-1, 1] by a
fixed cap (a device counts at most `FACE_CAP` faces per person and `SAMPLE_CAP` training faces
in a round); every device gives SecAgg+ the same weight, so the aggregate is the plain mean and
times the number of participants it is the sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from node.model.calibration import BINS, Calibration
from node.model.personal import Adapter, PersonalModel

FACE_CAP = 64  # faces per person per device counted in one round
SAMPLE_CAP = 1024  # training faces per device that weight its adapter
HIST_CAP = 65536  # impostor distances (face, other person's prototype) per device per round
CLIP = 1.0  # every packed value lies in [-CLIP, CLIP]: SecAgg+'s clipping range


@dataclass(frozen=True)
class Contribution:
    """One device's part of a round (or, summed, all of theirs)."""

    adapter: Adapter  # trained weights (for a total: the sample-weighted sum)
    samples: float  # faces the adapter was trained on
    sums: np.ndarray  # (subjects, dim): sum of confirmed descriptors per subject
    counts: np.ndarray  # (subjects,)
    impostors: np.ndarray  # (BINS,): histogram of face-to-other-prototype distances


def pack(part: Contribution) -> list[np.ndarray]:
    """The arrays a device hands to secure aggregation; linear, so packs add up like parts."""
    weight = part.samples / SAMPLE_CAP
    return [
        *(np.asarray(a, np.float64) * weight for a in part.adapter.arrays()),
        np.array([weight]),
        np.asarray(part.sums, np.float64) / FACE_CAP,
        np.asarray(part.counts, np.float64) / FACE_CAP,
        np.asarray(part.impostors, np.float64) / HIST_CAP,
    ]


def unpack(arrays: Sequence[np.ndarray]) -> Contribution:
    """The inverse of `pack` (of one pack, or of the sum of several). Its adapter is still
    weighted by samples: `combine` divides the total by them."""
    *adapter, weight, sums, counts, impostors = (np.asarray(a, np.float64) for a in arrays)
    return Contribution(
        Adapter.from_arrays([a * SAMPLE_CAP for a in adapter]),
        float(weight[0]) * SAMPLE_CAP,
        sums * FACE_CAP,
        counts * FACE_CAP,
        impostors * HIST_CAP,
    )


def template(subjects: int, dim: int) -> list[np.ndarray]:
    """Zero arrays of a round's shapes: what a device with nothing to add sends."""
    empty = Contribution(Adapter.identity(dim), 0.0, np.zeros((subjects, dim)),
                         np.zeros(subjects), np.zeros(BINS))  # fmt: skip
    return pack(empty)


def combine(
    total: Contribution,
    previous: PersonalModel,
    subjects: Sequence[str],
    participants: Sequence[str],
    round_number: int,
    secure: bool,
) -> PersonalModel:
    """The next model from a round's total. A person nobody contributed faces for this round
    (their device was offline) keeps the previous prototype; so does the adapter if no device
    trained, and the calibration if no device measured."""
    counts = np.rint(total.counts).clip(min=0)
    dim = previous.dim
    prototypes = np.zeros((len(subjects), dim), np.float32)
    kept = np.zeros(len(subjects))
    known = previous.known()
    for k, subject in enumerate(subjects):
        if counts[k] > 0:
            prototypes[k] = total.sums[k] / counts[k]
            kept[k] = counts[k]
        elif subject in known:
            prototypes[k] = previous.prototypes[known[subject]]
            kept[k] = previous.counts[known[subject]]
    if total.samples >= 1.0:
        adapter = Adapter.from_arrays([a / total.samples for a in total.adapter.arrays()])
    else:
        adapter = previous.adapter
    impostors = np.rint(total.impostors).clip(min=0)
    if impostors.sum() < 1:
        impostors = previous.calibration.impostors
    return PersonalModel(
        version=previous.version + 1,
        round=round_number,
        participants=tuple(participants),
        subjects=tuple(subjects),
        adapter=adapter,
        prototypes=prototypes,
        counts=kept,
        calibration=Calibration(impostors),
        secure_aggregation=secure,
    )
