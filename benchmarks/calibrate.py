"""Fit the family model's calibration prior on a folder of identity subfolders.

`node.model.calibration` blends a family's own impostor histogram with a prior: a logistic
F(d) = 1 / (1 + exp(-(d - midpoint) / scale)) for the chance that another person's face lies
within d of one person's prototype. This fits that logistic to `--data` the way the product uses
it: each identity's prototype is the mean of its first 3 faces (by file name, as a user labels
them), and every other identity's faces are its impostors. The logistic is pinned to the
empirical 0.1 % and 1 % quantiles of those distances, the tail the thresholds read (a 0.99
confidence with tens of people known lies there).

Fit on one part of the data and measure on another (cross-validate by identity):
`benchmarks.folds` splits a folder by identity, and `benchmarks.federated_eval` and
`benchmarks.labeling` take `--prior MIDPOINT:SCALE` to report on the other part with the prior
fitted here. Prints one JSON object last.

    python -m benchmarks.folds --data ../shared/testdata/lfw_dev --out /tmp/folds
    python -m benchmarks.calibrate --data /tmp/folds/even
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.federated_eval import LABELS
from benchmarks.measure import identity_folder_args, index_with_roost, largest_faces

TAIL = (0.001, 0.01)


def main() -> int:
    args = identity_folder_args(__doc__.splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="roost-calibrate-") as scratch:
        home = args.home or Path(scratch) / "home"
        library = index_with_roost(args.data, home)
        found = largest_faces(library, args.data, ["embedding"])
    by_identity: dict[str, list[np.ndarray]] = {}
    for path, row in sorted(found.items()):
        by_identity.setdefault(path.parts[0], []).append(np.asarray(row["embedding"], np.float64))
    distances = impostor_distances(by_identity)
    midpoint, scale = fit(distances)
    result = {
        "data": str(args.data),
        "identities": len(by_identity),
        "impostor_pairs": int(distances.size),
        "quantiles": {str(q): round(float(np.quantile(distances, q)), 4) for q in TAIL},
        "prior": {"midpoint": round(midpoint, 4), "scale": round(scale, 4)},
    }
    print(
        f"{result['identities']} identities, {distances.size} impostor pairs: "
        f"--prior {midpoint:.4f}:{scale:.4f}"
    )
    print(json.dumps(result))
    return 0


def impostor_distances(by_identity: dict[str, list[np.ndarray]]) -> np.ndarray:
    """Distances from every face to the prototype (first `LABELS` faces' mean) of every other
    identity that has that many faces."""
    names = [n for n, faces in by_identity.items() if len(faces) >= LABELS]
    prototypes = np.stack([np.mean(by_identity[n][:LABELS], axis=0) for n in names])
    out = []
    for name, faces in by_identity.items():
        others = [k for k, n in enumerate(names) if n != name]
        gaps = np.stack(faces)[:, None, :] - prototypes[others][None, :, :]
        out.append(np.linalg.norm(gaps, axis=2).ravel())
    return np.concatenate(out)


def fit(distances: np.ndarray) -> tuple[float, float]:
    """The logistic through the empirical quantiles at `TAIL`."""
    low, high = (float(np.quantile(distances, q)) for q in TAIL)
    logits = [math.log(q / (1 - q)) for q in TAIL]
    scale = (high - low) / (logits[1] - logits[0])
    return high - scale * logits[1], scale


if __name__ == "__main__":
    sys.exit(main())
