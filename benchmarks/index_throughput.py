"""Photos per second and peak memory of `roost index`, against face_recognition's pipeline.

Both run on the same photos, one after the other, in fresh processes; the ratio is what to
read, since absolute speed depends on the machine and on whatever else it is doing.

    python -m benchmarks.index_throughput --data ../shared/testdata/faces
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import photo_files, run_measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of photos")
    args = parser.parse_args()
    photos = photo_files(args.data)
    if not photos:
        parser.error(f"no photos under {args.data}")

    with tempfile.TemporaryDirectory(prefix="roost-bench-") as home:
        roost = run_measured(
            [sys.executable, "-m", "node.cli", "--home", home, "index", str(args.data), "--json"]
        )
    summary = json.loads(roost.stdout)
    baseline = run_measured(
        [sys.executable, "-m", "benchmarks.face_recognition_baseline", *map(str, photos)]
    )

    result = {
        "photos": len(photos),
        "roost_photos_per_s": round(len(photos) / roost.seconds, 3),
        "roost_peak_rss_mb": round(roost.peak_rss_mb),
        "roost_faces": summary["faces"],
        "roost_failed": len(summary["failed"]),
        "baseline": "face_recognition defaults: full decode, HOG upsample 1, 5-point, 1 jitter",
        "baseline_photos_per_s": round(len(photos) / baseline.seconds, 3),
        "baseline_peak_rss_mb": round(baseline.peak_rss_mb),
        "baseline_faces": int(baseline.stdout.strip()),
        "speedup": round(baseline.seconds / roost.seconds, 2),
        "rss_ratio": round(roost.peak_rss_mb / baseline.peak_rss_mb, 2),
    }
    for who in ("roost", "baseline"):
        print(f"{who:9}{result[who + '_photos_per_s']} photos/s, {result[who + '_peak_rss_mb']} MB")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
