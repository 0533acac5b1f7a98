"""Three devices, each person labeled on one of them: does federation name them on the others?

Indexes `--data` (`<identity>/<photo>`) with `roost index`, takes each photo's largest face as
its identity's, and deals the photos out to 3 simulated devices with disjoint photos: each
person's first 3 photos (by file name) go to one device, where they are labeled, and the rest
alternate between the two other devices, which never see a label of that person (they know the
person exists: label sync shares the subject). Then, on those other devices, it measures the
precision and recall of automatic assignment and of suggestions (assigned or suggested) for:

- `before`: today's distance rules, each device with its own labels;
- `local_only`: a personal model per device trained on its own labels alone;
- `federated`: rounds of `node.model` contributions added up (the secure aggregate is this sum
  within quantisation error; `tests/integration/test_federated.py` checks that on real Flower);
- `fedavg`: the same round with plain FedAvg of per-device prototypes (the ablation that shows
  why prototypes are aggregated as per-person sums and counts);
- `centralized`: one model trained with every label in one place.

With `--families`, folder names are `FAMILY_MEMBER` and every family is a library of its own:
the same simulation runs per family (relatives are each other's only negatives) and the counts
are pooled. Devices are simulated in-process with the node's own code (`node.model.local`,
`node.model.update`, `node.model.scorer`, `node.people.scoring`). Prints one JSON object last.

    python -m benchmarks.federated_eval --data ../shared/testdata/lfw_dev
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.measure import identity_folder_args, index_with_roost, largest_faces
from node.model.local import LabeledFaces, contribute
from node.model.personal import PersonalModel
from node.model.scorer import ModelScorer, local_people
from node.model.update import Contribution, combine, pack, unpack
from node.people.clusters import read_clusters
from node.people.faces import FaceSet
from node.people.scoring import CLUSTERED, SUGGESTED, Scorer, place_faces
from node.people.suggest import DistanceScorer
from protocol.labels import Edit, Kind, LabelEvent, Labels, Op, fold

DEVICES = 3
LABELS = 3
ROUNDS = 2


@dataclass(frozen=True)
class Face:
    id: str
    identity: str
    vector: np.ndarray


@dataclass(frozen=True)
class Device:
    faces: FaceSet
    labels: Labels
    truth: dict[str, str]  # face → identity, for faces to be measured here (never labeled here)
    labeled: LabeledFaces


def main() -> int:
    args = _args()
    with tempfile.TemporaryDirectory(prefix="roost-federated-") as scratch:
        home = args.home or Path(scratch) / "home"
        library = index_with_roost(args.data, home)
        clusters = read_clusters(library)
        found = largest_faces(library, args.data, ["id", "embedding"])
    faces = [
        Face(row["id"], path.parts[0], np.asarray(row["embedding"], np.float32))
        for path, row in sorted(found.items())
    ]
    groups = _families(faces) if args.families else {"all": faces}
    totals: dict[str, dict[str, int]] = {}
    for members in groups.values():
        for name, counts in simulate(members, clusters).items():
            total = totals.setdefault(name, {})
            for key, n in counts.items():
                total[key] = total.get(key, 0) + n
    result: dict[str, Any] = {
        "data": str(args.data),
        "families": len(groups) if args.families else None,
        "identities": len({f.identity for f in faces}),
        "faces": len(faces),
        "scenarios": {name: _rates(c) for name, c in totals.items()},
    }
    _print_summary(result)
    print(json.dumps(result))
    return 0


def _args() -> argparse.Namespace:
    return identity_folder_args(
        __doc__.splitlines()[0],
        lambda parser: parser.add_argument(
            "--families",
            action="store_true",
            help="folder names are FAMILY_MEMBER: one library per family",
        ),
    )


def _families(faces: list[Face]) -> dict[str, list[Face]]:
    groups: dict[str, list[Face]] = {}
    for face in faces:
        groups.setdefault(face.identity.split("_", 1)[0], []).append(face)
    return groups


def deal(faces: Sequence[Face]) -> tuple[list[list[Face]], dict[str, int]]:
    """Faces per device, and the device each identity is labeled on."""
    identities = sorted({f.identity for f in faces})
    home = {identity: n % DEVICES for n, identity in enumerate(identities)}
    devices: list[list[Face]] = [[] for _ in range(DEVICES)]
    for identity in identities:
        mine = sorted((f for f in faces if f.identity == identity), key=lambda f: f.id)
        devices[home[identity]] += mine[:LABELS]
        others = [d for d in range(DEVICES) if d != home[identity]]
        for n, face in enumerate(mine[LABELS:]):
            devices[others[n % len(others)]].append(face)
    return devices, home


def simulate(faces: Sequence[Face], clusters: dict[str, str | None]) -> dict[str, dict[str, int]]:
    """Counts of each scenario on the devices that never saw a person's labels."""
    dealt, home = deal(faces)
    identities = sorted(home)
    devices = [_device(n, dealt[n], home, identities) for n in range(DEVICES)]
    dim = faces[0].vector.shape[0]
    start = PersonalModel.initial(dim)
    results: dict[str, dict[str, int]] = {}
    results["before"] = _measure(
        devices, clusters, lambda d: DistanceScorer.from_faces(d.faces, clusters, d.labels)
    )
    local = [_round(start, [d], identities, 1) for d in devices]
    results["local_only"] = _measure(
        devices, clusters, lambda d: _scorers(local[_at(devices, d)])(d)
    )
    model = start
    for n in range(1, ROUNDS + 1):
        if n == ROUNDS:
            fedavg = _fedavg(model, devices, identities)
            results["fedavg"] = _measure(devices, clusters, _scorers(fedavg))
        model = _round(model, devices, identities, n)
        results[f"federated_round_{n}"] = _measure(devices, clusters, _scorers(model))
    pooled = LabeledFaces(
        np.concatenate([d.labeled.vectors for d in devices]),
        [s for d in devices for s in d.labeled.subjects],
    )
    central = start
    for n in range(1, ROUNDS + 1):
        central = _combine(central, [contribute(central, pooled, identities)], identities, n)
    results["centralized"] = _measure(devices, clusters, _scorers(central))
    return results


def _at(devices: list[Device], device: Device) -> int:
    return next(n for n, d in enumerate(devices) if d is device)


def _device(n: int, faces: list[Face], home: dict[str, int], identities: list[str]) -> Device:
    events = [
        _event(k, Edit(Op.SUBJECT, i, name=i, kind=Kind.PERSON)) for k, i in enumerate(identities)
    ]
    labeled = [f for f in faces if home[f.identity] == n]
    for k, face in enumerate(labeled):
        events.append(_event(len(identities) + k, Edit(Op.ASSIGN, face.identity, faces=(face.id,))))
    face_set = FaceSet(
        [f.id for f in faces],
        [f.id for f in faces],
        np.stack([f.vector for f in faces]),
        np.ones(len(faces), bool),
    )
    truth = {f.id: f.identity for f in faces if home[f.identity] != n}
    vectors = (
        np.stack([f.vector for f in labeled])
        if labeled
        else np.zeros((0, face_set.vectors.shape[1]), np.float32)
    )
    return Device(
        face_set, fold(events), truth, LabeledFaces(vectors, [f.identity for f in labeled])
    )


def _event(at: int, edit: Edit) -> LabelEvent:
    return LabelEvent(edit, f"{at:06d}", at, "benchmark")


def _round(
    model: PersonalModel, devices: Sequence[Device], subjects: list[str], n: int
) -> PersonalModel:
    return _combine(model, [contribute(model, d.labeled, subjects) for d in devices], subjects, n)


def _combine(
    model: PersonalModel, parts: Sequence[Contribution], subjects: list[str], n: int
) -> PersonalModel:
    """What the coordinator computes from the secure sum of the parts' packs."""
    packs = [pack(p) for p in parts]
    total = unpack([np.sum(arrays, axis=0) for arrays in zip(*packs, strict=True)])
    return combine(total, model, subjects, [f"device-{k}" for k in range(len(parts))], n, True)


def _fedavg(model: PersonalModel, devices: Sequence[Device], subjects: list[str]) -> PersonalModel:
    """Plain FedAvg: each device's prototype means (zero where it has no faces of someone),
    averaged with each device's number of labeled faces as its weight."""
    parts = [contribute(model, d.labeled, subjects) for d in devices]
    weights = np.array([p.counts.sum() for p in parts])
    means = [p.sums / np.maximum(p.counts, 1)[:, None] for p in parts]
    averaged = sum(w * m for w, m in zip(weights, means, strict=True)) / weights.sum()
    federated = _combine(model, parts, subjects, ROUNDS)
    return dataclasses.replace(federated, prototypes=np.asarray(averaged, np.float32))


def _scorers(model: PersonalModel) -> Callable[[Device], Scorer]:
    """Each device's scorer with `model`: the model's people and its own labels."""
    return lambda d: ModelScorer.build(model, d.labels, local_people(d.faces, d.labels))


def _measure(
    devices: Sequence[Device], clusters: dict[str, str | None], scorer: Callable[[Device], Scorer]
) -> dict[str, int]:
    counts = {"faces": 0, "assigned": 0, "assigned_right": 0, "proposed": 0, "proposed_right": 0}
    for device in devices:
        placed = place_faces(device.faces, clusters, device.labels, scorer(device))
        for face, placement in zip(device.faces.ids, placed, strict=True):
            if face not in device.truth:
                continue
            counts["faces"] += 1
            right = placement.subject == device.truth[face]
            if placement.subject is not None and placement.status in (CLUSTERED, SUGGESTED):
                counts["proposed"] += 1
                counts["proposed_right"] += right
                if placement.status == CLUSTERED:
                    counts["assigned"] += 1
                    counts["assigned_right"] += right
    return counts


def _rates(c: dict[str, int]) -> dict[str, Any]:
    return {
        "automatic": {
            "precision": round(c["assigned_right"] / max(c["assigned"], 1), 4),
            "recall": round(c["assigned_right"] / max(c["faces"], 1), 4),
        },
        "suggestions": {
            "precision": round(c["proposed_right"] / max(c["proposed"], 1), 4),
            "recall": round(c["proposed_right"] / max(c["faces"], 1), 4),
        },
        **c,
    }


def _print_summary(r: dict[str, Any]) -> None:
    print(
        f"{r['data']}: {r['faces']} identity faces of {r['identities']} people on {DEVICES} devices"
    )
    for name, s in r["scenarios"].items():
        a, p = s["automatic"], s["suggestions"]
        print(
            f"  {name:20} automatic P {a['precision']:.2%} R {a['recall']:.2%}   "
            f"suggestions P {p['precision']:.2%} R {p['recall']:.2%}   ({s['faces']} faces)"
        )


if __name__ == "__main__":
    sys.exit(main())
