"""A user naming people from a few examples, simulated on a folder of identity subfolders.

Indexes `--data` (`<identity>/<photo>`) with `roost index`, which also clusters the faces, then:

1. Clusters: purity (the share of clustered faces that belong to their cluster's majority
   identity) and completeness (the share of each identity's faces in its largest cluster).
2. For 1 and then 3 labels per person, on a fresh copy of the labels: the user names that many
   faces of every identity (the first photos by file name) through the same functions the CLI
   calls; Roost assigns what it is sure of, and the precision and recall of those automatic
   assignments are measured. Then the user answers every suggestion (confirms right ones,
   rejects wrong ones) until none is left, and precision, recall, the number of answers, and
   whether any rejected pair came back are measured again.
3. Strangers: with 3 labels for only every other identity, how many faces of the unnamed half
   Roost assigns to someone anyway (each one is an error).

Steps 2 and 3 run twice: with the distance rules (`rules`), and with the personal model
(`model`) trained on this device's labels alone after the user names faces, and again after the
review (`node.model.local.train_here`, a round of one).

The identity of a photo is its largest face; the other faces in it (bystanders) have no known
identity and are only counted. Prints one JSON object on its last line.

    python -m benchmarks.labeling --data ../shared/testdata/lfw_dev
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.measure import identity_folder_args, index_with_roost, largest_faces
from node.library.store import Library
from node.model.local import train_here
from node.people import edits
from node.people.clusters import read_clusters
from node.people.state import read_state

MAX_REVIEW_ROUNDS = 20
SCORERS = ("rules", "model")


def main() -> int:
    args = identity_folder_args(__doc__.splitlines()[0])
    data = args.data
    with tempfile.TemporaryDirectory(prefix="roost-labeling-") as scratch:
        home = args.home or Path(scratch) / "home"
        truth = identity_faces(index_with_roost(data, home), data)
        result: dict[str, Any] = {"data": str(data), "identities": len(set(truth.values()))}
        result["faces"] = len(truth)
        result["clusters"] = cluster_quality(Library.open(home / "library"), truth)
        for scorer in SCORERS:
            part: dict[str, Any] = {}
            for labels in (1, 3):
                library = _fresh_copy(home, Path(scratch) / f"{scorer}-labels-{labels}")
                part[f"labels_{labels}"] = simulate(
                    library, truth, labels, sorted(set(truth.values())), scorer == "model"
                )
            library = _fresh_copy(home, Path(scratch) / f"{scorer}-strangers")
            named = sorted(set(truth.values()))[::2]
            part["strangers"] = strangers(library, truth, named, scorer == "model")
            result[scorer] = part
    _print_summary(result)
    print(json.dumps(result))
    return 0


def identity_faces(library: Library, data: Path) -> dict[str, str]:
    """Face id → identity (folder name), for the largest face of each photo."""
    return {face["id"]: path.parts[0] for path, face in largest_faces(library, data, []).items()}


def cluster_quality(library: Library, truth: dict[str, str]) -> dict[str, Any]:
    clusters = read_clusters(library)
    members: dict[str, list[str]] = {}
    for face, identity in truth.items():
        cluster = clusters.get(face)
        if cluster is not None:
            members.setdefault(cluster, []).append(identity)
    clustered = sum(len(m) for m in members.values())
    majority = sum(Counter(m).most_common(1)[0][1] for m in members.values())
    largest: dict[str, int] = {}
    for cluster_members in members.values():
        for identity, n in Counter(cluster_members).items():
            largest[identity] = max(largest.get(identity, 0), n)
    return {
        "clusters": len(members),
        "impure_clusters": sum(1 for m in members.values() if len(set(m)) > 1),
        "purity": round(majority / max(clustered, 1), 4),
        "completeness": round(sum(largest.values()) / len(truth), 4),
        "unclustered": len(truth) - clustered,
        "bystanders_clustered": sum(
            1 for face, c in clusters.items() if c is not None and face not in truth
        ),
    }


def _fresh_copy(home: Path, to: Path) -> Library:
    """The indexed library without any labels: label experiments must not see each other."""
    shutil.copytree(home / "library", to / "library")
    shutil.rmtree(to / "library" / "label_events.lance", ignore_errors=True)
    shutil.rmtree(to / "library" / "model", ignore_errors=True)
    return Library.open(to / "library")


def _examples(truth: dict[str, str], identities: list[str], n: int) -> list[tuple[str, str]]:
    """(face, identity): the first n photos' faces of each identity, as a user would pick."""
    chosen = []
    for identity in identities:
        faces = sorted(f for f, i in truth.items() if i == identity)
        chosen += [(face, identity) for face in faces[:n]]
    return chosen


def simulate(
    library: Library, truth: dict[str, str], n: int, identities: list[str], model: bool
) -> dict[str, Any]:
    examples = _examples(truth, identities, n)
    for face, identity in examples:
        edits.name(library, face, identity)
    if model:
        train_here(library, "benchmark")
    named = {face for face, _ in examples}
    automatic = _score(library, truth, named)
    confirms = rejects = 0
    rejected: set[tuple[str, str]] = set()
    resuggested = 0
    for _ in range(MAX_REVIEW_ROUNDS):
        state = read_state(library)
        waiting = state.suggestions()
        if not waiting:
            break
        subjects = state.labels.subjects
        right = []
        for row in waiting:
            assert row.subject is not None
            name = subjects[row.subject].name
            if (row.face, name) in rejected:
                resuggested += 1
            if truth.get(row.face) == name:
                right.append(row.face)
            else:
                edits.reject(library, row.face, row.subject)
                rejected.add((row.face, name))
                rejects += 1
        if right:
            edits.confirm(library, right)
            confirms += len(right)
    if model:
        train_here(library, "benchmark")
    reviewed = _score(library, truth, named)
    return {
        "automatic": automatic,
        "after_review": {**reviewed, "confirmed": confirms, "rejected": rejects},
        "rejections_suggested_again": resuggested,
    }


def _score(library: Library, truth: dict[str, str], named: set[str]) -> dict[str, Any]:
    """Precision and recall over identity faces the user did not name themselves."""
    state = read_state(library)
    subjects = state.labels.subjects
    assigned = {r.face: subjects[r.subject].name for r in state.assigned() if r.subject}
    targets = [f for f in truth if f not in named]
    made = [f for f in targets if f in assigned]
    right = sum(1 for f in made if assigned[f] == truth[f])
    return {
        "precision": round(right / max(len(made), 1), 4),
        "recall": round(right / max(len(targets), 1), 4),
        "assigned": len(made),
        "wrong": len(made) - right,
        "bystanders_assigned": sum(1 for f in assigned if f not in truth),
    }


def strangers(
    library: Library, truth: dict[str, str], named: list[str], model: bool
) -> dict[str, Any]:
    for face, identity in _examples(truth, named, 3):
        edits.name(library, face, identity)
    if model:
        train_here(library, "benchmark")
    state = read_state(library)
    assigned = {r.face for r in state.assigned()}
    suggested = {r.face for r in state.suggestions()}
    unnamed = [f for f, identity in truth.items() if identity not in named]
    return {
        "named_identities": len(named),
        "faces_of_unnamed": len(unnamed),
        "wrongly_assigned": sum(1 for f in unnamed if f in assigned),
        "suggested": sum(1 for f in unnamed if f in suggested),
    }


def _print_summary(r: dict[str, Any]) -> None:
    c = r["clusters"]
    print(
        f"{r['data']}: {r['faces']} identity faces of {r['identities']} people → "
        f"{c['clusters']} clusters, purity {c['purity']:.2%}, completeness "
        f"{c['completeness']:.2%}, {c['impure_clusters']} impure"
    )
    for scorer in SCORERS:
        for n in (1, 3):
            auto, done = (
                r[scorer][f"labels_{n}"]["automatic"],
                r[scorer][f"labels_{n}"]["after_review"],
            )
            print(
                f"{scorer}: {n} label(s) per person: automatic precision {auto['precision']:.2%} "
                f"recall {auto['recall']:.2%}; after {done['confirmed'] + done['rejected']} "
                f"answers precision {done['precision']:.2%} recall {done['recall']:.2%}"
            )
        s = r[scorer]["strangers"]
        print(
            f"{scorer}: strangers: {s['wrongly_assigned']} of {s['faces_of_unnamed']} faces of "
            f"unnamed people assigned to someone, {s['suggested']} suggested"
        )


if __name__ == "__main__":
    sys.exit(main())
