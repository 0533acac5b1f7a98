"""Pets by name, simulated on folders of breeds: name one photo's pet of each of two breeds and
measure what Roost assigns to them, before and after a user answers its suggestions.

Indexes `--data` (`[<species>/]<breed>/<photo>`, e.g. ../shared/testdata/pets) and any `--extra`
folders (say faces/, which must gain no pet) with `roost index` and the vision models
(`--models`, default $ROOST_MODELS); what the vision stages cost is measured by
`benchmarks.index_throughput`. The pet of a breed photo is its most confident dog or cat body;
other bodies are bystanders without truth. Then:

1. Clusters: purity and completeness of the pet clusters over the breed photos.
2. For every pair of breeds of one species (the hard case: a second named pet of the same kind
   to confuse it with), on fresh labels: the user names the first photo's pet of each (by body
   id) through the functions the CLI calls; Roost assigns what it is sure of. Precision is the
   share of the assigned pets (of every breed photo in the library) that show the right breed,
   undefined when none was assigned; recall the share of that breed's other photos assigned.
   Other bodies of a photo (a second dog) have no truth and are only counted. Then the user
   answers every suggestion (confirm right, reject wrong) and both are measured again.

No individual-animal model exists here, so a breed stands in for one pet: a family with one dog
of a breed. Prints one JSON object on its last line.

    python -m benchmarks.pets --data ../shared/testdata/pets --extra ../shared/testdata/faces
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO, photo_files
from node.library.store import Library
from node.models.store import MODELS_ENV
from node.people import edits
from node.people.state import read_state
from node.pets.clusters import read_pet_clusters
from node.vision.tables import bodies_table

MAX_REVIEW_ROUNDS = 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of breed folders")
    parser.add_argument("--extra", type=Path, action="append", default=[], help="more photos")
    parser.add_argument("--models", type=Path, help=f"the vision models (default ${MODELS_ENV})")
    parser.add_argument("--home", type=Path, help="reuse (or keep) this node home")
    args = parser.parse_args()
    if args.models:
        os.environ[MODELS_ENV] = str(args.models.resolve())
    data = args.data.resolve()
    with tempfile.TemporaryDirectory(prefix="roost-pets-") as scratch:
        home = args.home or Path(scratch) / "home"
        library = _index([data, *args.extra], home)
        truth, species = pet_truth(library, data)
        result: dict[str, Any] = {"data": str(data), "pets": len(truth)}
        result["breeds"] = dict(sorted(Counter(truth.values()).items()))
        result["clusters"] = cluster_quality(library, truth)
        result["extra_bodies"] = _extra_bodies(library, args.extra)
        pairs: dict[str, list[dict[str, Any]]] = {}
        for kind in sorted(set(species.values())):
            breeds = sorted(b for b, s in species.items() if s == kind)
            for a, b in itertools.combinations(breeds, 2):
                fresh = _fresh_copy(home, Path(scratch) / f"{a}-{b}")
                pairs.setdefault(kind, []).append(simulate(fresh, truth, (a, b)))
        result["pairs"] = {kind: _summary(runs) for kind, runs in pairs.items()}
    _print(result)
    print(json.dumps(result))
    return 0


def _index(folders: list[Path], home: Path) -> Library:
    cmd = [sys.executable, "-m", "node.cli", "--home", str(home), "index"]
    cmd += [str(folder.resolve()) for folder in folders]
    subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return Library.open(home / "library")


def pet_truth(library: Library, data: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Body id → breed for the best dog or cat of each breed photo; breed → species."""
    rows = bodies_table(library).search().select(["id", "media_hash", "species", "score"])
    best: dict[str, dict[str, Any]] = {}
    for row in rows.limit(None).to_arrow().to_pylist():
        if row["species"] in ("dog", "cat"):
            held = best.get(row["media_hash"])
            if held is None or row["score"] > held["score"]:
                best[row["media_hash"]] = row
    truth, species = {}, {}
    for photo in photo_files(data):
        record = library.file(str(photo))
        if record is None or record["hash"] not in best:
            continue
        breed = photo.parent.name
        truth[best[record["hash"]]["id"]] = breed
        # The folder above the breed names its species (the detector calls a Sphynx a dog).
        above = photo.parent.parent
        species[breed] = above.name if above != data else best[record["hash"]]["species"]
    return truth, species


def cluster_quality(library: Library, truth: dict[str, str]) -> dict[str, Any]:
    clusters = read_pet_clusters(library)
    members: dict[str, list[str]] = {}
    for body, breed in truth.items():
        if clusters.get(body) is not None:
            members.setdefault(str(clusters[body]), []).append(breed)
    clustered = sum(len(m) for m in members.values())
    majority = sum(Counter(m).most_common(1)[0][1] for m in members.values())
    largest: dict[str, int] = {}
    for m in members.values():
        for breed, n in Counter(m).items():
            largest[breed] = max(largest.get(breed, 0), n)
    return {
        "clusters": len(members),
        "impure": sum(1 for m in members.values() if len(set(m)) > 1),
        "purity": round(majority / max(clustered, 1), 4),
        "completeness": round(sum(largest.values()) / max(len(truth), 1), 4),
        "unclustered": len(truth) - clustered,
    }


def _extra_bodies(library: Library, extra: list[Path]) -> int:
    """Dog or cat bodies found in the extra folders (faces/: each one is a false pet)."""
    rows = bodies_table(library).search().select(["media_hash", "species"]).limit(None)
    pets = {r["media_hash"] for r in rows.to_arrow().to_pylist() if r["species"] != "person"}
    hashes = {
        record["hash"]
        for folder in extra
        for photo in photo_files(folder.resolve())
        if (record := library.file(str(photo))) is not None
    }
    return len(pets & hashes)


def _fresh_copy(home: Path, to: Path) -> Library:
    shutil.copytree(home / "library", to / "library")
    shutil.rmtree(to / "library" / "label_events.lance", ignore_errors=True)
    return Library.open(to / "library")


def simulate(library: Library, truth: dict[str, str], breeds: tuple[str, str]) -> dict[str, Any]:
    named = {}
    for breed in breeds:
        first = min(b for b, t in truth.items() if t == breed)  # ids sort like content hashes
        edits.name(library, first, breed, pet=True)
        named[first] = breed
    automatic = _score(library, truth, named, breeds)
    confirms = rejects = 0
    for _ in range(MAX_REVIEW_ROUNDS):
        state = read_state(library)
        waiting = [r for r in state.suggestions() if r.subject in state.labels.subjects]
        if not waiting:
            break
        right = []
        for row in waiting:
            assert row.subject is not None
            if truth.get(row.face) == state.labels.subjects[row.subject].name:
                right.append(row.face)
            else:
                edits.reject(library, row.face, row.subject)
                rejects += 1
        if right:
            edits.confirm(library, right)
            confirms += len(right)
    reviewed = _score(library, truth, named, breeds)
    return {
        "breeds": list(breeds),
        "automatic": automatic,
        "after_review": {**reviewed, "answers": confirms + rejects},
    }


def _score(
    library: Library, truth: dict[str, str], named: dict[str, str], breeds: tuple[str, str]
) -> dict[str, Any]:
    state = read_state(library)
    subjects = state.labels.subjects
    assigned = {
        r.face: subjects[r.subject].name
        for r in state.assigned()
        if r.subject in subjects and r.face not in named
    }
    judged = {body: name for body, name in assigned.items() if body in truth}
    right = sum(1 for body, name in judged.items() if truth[body] == name)
    targets = sum(1 for body, breed in truth.items() if breed in breeds and body not in named)
    return {
        "precision": round(right / len(judged), 4) if judged else None,  # none assigned
        "recall": round(right / max(targets, 1), 4),
        "assigned": len(judged),
        "wrong": len(judged) - right,
        "bystanders_assigned": len(assigned) - len(judged),  # a photo's other bodies
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def stat(stage: str, key: str) -> dict[str, float]:
        values = [run[stage][key] for run in runs if run[stage][key] is not None]
        return {"min": min(values), "mean": round(sum(values) / len(values), 4)}

    return {
        "pairs": len(runs),
        "automatic": {k: stat("automatic", k) for k in ("precision", "recall")},
        "after_review": {k: stat("after_review", k) for k in ("precision", "recall")},
        "wrong_automatic": sum(run["automatic"]["wrong"] for run in runs),
        "wrong_after_review": sum(run["after_review"]["wrong"] for run in runs),
        "pairs_with_nothing_automatic": sum(1 for r in runs if r["automatic"]["precision"] is None),
        "answers_mean": round(sum(r["after_review"]["answers"] for r in runs) / len(runs), 2),
        "runs": runs,
    }


def _print(r: dict[str, Any]) -> None:
    c = r["clusters"]
    print(
        f"{r['data']}: {r['pets']} pets of {len(r['breeds'])} breeds → {c['clusters']} clusters, "
        f"purity {c['purity']:.2%}, completeness {c['completeness']:.2%}; "
        f"{r['extra_bodies']} pets found in the extra folders"
    )
    for kind, s in r["pairs"].items():
        a, d = s["automatic"], s["after_review"]
        print(
            f"{kind}, {s['pairs']} pairs of breeds: automatic precision "
            f"{a['precision']['mean']:.2%} (min {a['precision']['min']:.2%}) recall "
            f"{a['recall']['mean']:.2%}; after "
            f"{s['answers_mean']} answers precision {d['precision']['mean']:.2%} (min "
            f"{d['precision']['min']:.2%}) recall {d['recall']['mean']:.2%}"
        )


if __name__ == "__main__":
    sys.exit(main())
