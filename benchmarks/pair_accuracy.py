"""Best-threshold face-pair accuracy through Roost's own pipeline.

Indexes a folder of identity subfolders (`<identity>/<photo>`) with `roost index`, takes the
largest face in each photo, and scores same/different pairs: those in `pairs.csv`
(`image_a,image_b,same`) when the folder has one, else every pair. A photo where no face was
found makes its pairs count as wrong, so a detector miss cannot flatter the figure.

    python -m benchmarks.pair_accuracy --data ../shared/testdata/faces
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.measure import identity_folder_args, index_with_roost, largest_faces, photo_files


def main() -> int:
    args = identity_folder_args(__doc__.splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="roost-pairs-") as scratch:
        library = index_with_roost(args.data, args.home or Path(scratch))
        faces = largest_faces(library, args.data, ["embedding"])
    vectors = {str(path): np.asarray(f["embedding"], np.float32) for path, f in faces.items()}
    result = score(read_pairs(args.data), vectors)
    result["embedder"] = library.embedder
    print(f"{result['accuracy']:.2%} best-threshold accuracy over {result['pairs']} pairs")
    print(json.dumps(result))
    return 0


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
