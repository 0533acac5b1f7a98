"""Best-threshold face-pair accuracy through Roost's own pipeline.

Indexes a folder of identity subfolders (`<identity>/<photo>`) with `roost index`, takes the
largest face in each photo, and scores same/different pairs: those in `pairs.csv`
(`image_a,image_b,same`) when the folder has one, else every pair. A photo where no face was
found makes its pairs count as wrong, so a detector miss cannot flatter the figure.

    python -m benchmarks.pair_accuracy --data ../shared/testdata/faces
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.measure import REPO, photo_files
from node.library.store import Library


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of identity subfolders")
    parser.add_argument("--home", type=Path, help="reuse (or keep) this node home")
    args = parser.parse_args()
    data = args.data.resolve()
    with tempfile.TemporaryDirectory(prefix="roost-pairs-") as scratch:
        home = args.home or Path(scratch)
        cmd = [sys.executable, "-m", "node.cli", "--home", str(home), "index", str(data), "--json"]
        subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        library = Library.open(home / "library")
        vectors = largest_face_vectors(library, data)
    pairs = read_pairs(data)
    result = score(pairs, vectors)
    result["embedder"] = library.embedder
    print(f"{result['accuracy']:.2%} best-threshold accuracy over {result['pairs']} pairs")
    print(json.dumps(result))
    return 0


def largest_face_vectors(library: Library, data: Path) -> dict[str, np.ndarray]:
    """Relative photo path → embedding of its largest face (photos without a face are absent)."""
    vectors = {}
    for photo in photo_files(data):
        record = library.file(str(photo))
        if record is None:
            continue
        faces = library.faces_of(record["hash"], ["box", "embedding"])
        if faces:
            big = max(faces, key=lambda f: _area(f["box"]))
            vectors[str(photo.relative_to(data))] = np.asarray(big["embedding"], np.float32)
    return vectors


def _area(box: list[float]) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def read_pairs(data: Path) -> list[tuple[str, str, bool]]:
    listed = data / "pairs.csv"
    if listed.is_file():
        with open(listed, newline="") as f:
            return [(r["image_a"], r["image_b"], r["same"] == "1") for r in csv.DictReader(f)]
    photos = [str(p.relative_to(data)) for p in photo_files(data)]
    return [(a, b, Path(a).parent == Path(b).parent) for a, b in itertools.combinations(photos, 2)]


def score(pairs: list[tuple[str, str, bool]], vectors: dict[str, np.ndarray]) -> dict[str, object]:
    usable = [(a, b, same) for a, b, same in pairs if a in vectors and b in vectors]
    missed = len(pairs) - len(usable)
    dist = np.array([float(np.linalg.norm(vectors[a] - vectors[b])) for a, b, _ in usable])
    same = np.array([s for _, _, s in usable])
    best_correct, best_threshold = 0, 0.0
    for threshold in np.unique(dist):
        correct = int(((dist <= threshold) == same).sum())
        if correct > best_correct:
            best_correct, best_threshold = correct, float(threshold)
    return {
        "pairs": len(pairs),
        "same_pairs": int(sum(s for _, _, s in pairs)),
        "pairs_without_face": missed,
        "accuracy": round(best_correct / len(pairs), 4),
        "threshold": round(best_threshold, 4),
        "mean_same_distance": round(float(dist[same].mean()), 4) if same.any() else None,
        "mean_different_distance": round(float(dist[~same].mean()), 4) if (~same).any() else None,
    }


if __name__ == "__main__":
    sys.exit(main())
