"""Photos per second and peak memory of `roost index`, against face_recognition's pipeline, and
what the vision stages (objects, scene labels, bodies) add to it.

Every run is a fresh process on the same photos, one after the other; the ratios are what to
read, since absolute speed depends on the machine and on whatever else it is doing, and the CPU
times (the child's own user + system time) are steadier than wall time on a busy machine.

1. `roost index` without the vision models: faces, thumbnails, dates, places.
2. `roost index` with them (`--models`), on a fresh home: the same and the vision stages.
3. `roost index` again on the first run's home, with the models: only the vision stages run,
   as when a user installs the models into an existing library.
4. face_recognition's own pipeline (the baseline for faces).

The added cost a photo is (2 − 1) / photos; (3) / photos is the same cost paid later, with
the start of a process and the models' set-up spread over the photos.

    python -m benchmarks.index_throughput --data ../shared/testdata/faces --models ../shared/models
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO, Measured, photo_files, run_measured
from node.models.store import MODELS_ENV

SHARED_MODELS = REPO.parent / "shared" / "models"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of photos")
    parser.add_argument(
        "--models",
        type=Path,
        default=Path(os.environ.get(MODELS_ENV, SHARED_MODELS)),
        help=f"the vision models (default ${MODELS_ENV}, else {SHARED_MODELS})",
    )
    args = parser.parse_args()
    photos = photo_files(args.data)
    if not photos:
        parser.error(f"no photos under {args.data}")

    with tempfile.TemporaryDirectory(prefix="roost-bench-") as scratch:
        top = Path(scratch)
        without = {**os.environ, MODELS_ENV: str(top / "no-models")}
        with_models = {**os.environ, MODELS_ENV: str(args.models.resolve())}
        roost = _index(args.data, top / "plain", without)
        vision = _index(args.data, top / "vision", with_models)
        later = _index(args.data, top / "plain", with_models)
    summaries = [json.loads(run.stdout) for run in (roost, vision, later)]
    ran = set(summaries[1]["stages_run"])
    if not {"objects", "scene-labels", "bodies"} <= ran:
        parser.error(f"the vision stages did not run ({summaries[1]['stages_skipped']})")
    baseline = run_measured(
        [sys.executable, "-m", "benchmarks.face_recognition_baseline", *map(str, photos)]
    )

    n = len(photos)
    result: dict[str, Any] = {
        "photos": n,
        "roost_photos_per_s": round(n / roost.seconds, 3),
        "roost_peak_rss_mb": round(roost.peak_rss_mb),
        "roost_faces": summaries[0]["faces"],
        "roost_failed": len(summaries[0]["failed"]),
        "baseline": "face_recognition defaults: full decode, HOG upsample 1, 5-point, 1 jitter",
        "baseline_photos_per_s": round(n / baseline.seconds, 3),
        "baseline_peak_rss_mb": round(baseline.peak_rss_mb),
        "baseline_faces": int(baseline.stdout.strip()),
        "speedup": round(baseline.seconds / roost.seconds, 2),
        "rss_ratio": round(roost.peak_rss_mb / baseline.peak_rss_mb, 2),
        "vision": {
            "stages": sorted(ran - set(summaries[0]["stages_run"])),
            "index_ms_per_photo": _per_photo(roost, n),
            "index_with_vision_ms_per_photo": _per_photo(vision, n),
            "added_ms_per_photo": {
                "wall": round((vision.seconds - roost.seconds) * 1000 / n, 1),
                "cpu": round((vision.cpu_seconds - roost.cpu_seconds) * 1000 / n, 1),
            },
            "added_ratio": {
                "wall": round(vision.seconds / roost.seconds, 3),
                "cpu": round(vision.cpu_seconds / roost.cpu_seconds, 3),
            },
            "vision_stages_alone_ms_per_photo": _per_photo(later, n),
            "vision_stages_alone_ran": summaries[2]["stages_run"],
            "peak_rss_mb_with_vision": round(vision.peak_rss_mb),
            "load_average": [round(v, 2) for v in os.getloadavg()],
        },
    }
    _print(result)
    print(json.dumps(result))
    return 0


def _index(data: Path, home: Path, env: dict[str, str]) -> Measured:
    cmd = [sys.executable, "-m", "node.cli", "--home", str(home), "index", str(data), "--json"]
    return run_measured(cmd, env=env)


def _per_photo(run: Measured, photos: int) -> dict[str, float]:
    return {
        "wall": round(run.seconds * 1000 / photos, 1),
        "cpu": round(run.cpu_seconds * 1000 / photos, 1),
    }


def _print(r: dict[str, Any]) -> None:
    for who in ("roost", "baseline"):
        print(f"{who:9}{r[who + '_photos_per_s']} photos/s, {r[who + '_peak_rss_mb']} MB")
    v = r["vision"]
    added, ratio = v["added_ms_per_photo"], v["added_ratio"]
    print(
        f"vision stages ({', '.join(v['stages'])}): +{added['wall']} ms a photo wall "
        f"({ratio['wall']}×), +{added['cpu']} ms CPU ({ratio['cpu']}×); alone over an indexed "
        f"library {v['vision_stages_alone_ms_per_photo']['wall']} ms wall, "
        f"{v['vision_stages_alone_ms_per_photo']['cpu']} ms CPU a photo"
    )


if __name__ == "__main__":
    sys.exit(main())
