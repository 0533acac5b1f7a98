"""Seconds of video indexed per wall-clock second, and peak memory, of Roost's video indexing.

Three runs over the same videos, each in a fresh process of this one's tree:

- `roost index` on the videos (linked into an empty folder), the whole command: process start,
  model loading, indexing, committing;
- Roost's video analysis with the models already loaded (what a long run over a family's
  videos sees per video), `--repeat` times;
- the baseline: the same sampled frames, every face detected on them embedded, no tracking
  (each sample treated as a photo), with the models loaded.

The ratios are what to read: absolute speed depends on the machine and whatever else runs.
Video seconds per CPU second (all threads of the process) say how much work it was, which a
busy machine changes less than the wall clock.

    python -m benchmarks.video_throughput --data ../shared/testvideo
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from benchmarks.measure import run_measured
from node.faces.detect import Detection
from node.faces.embed import DEFAULT_EMBEDDER
from node.index.models import Models, RunModels
from node.index.run import IndexOptions
from node.media.formats import VIDEO_SUFFIXES
from node.video.analyse import VideoOptions, analyse
from node.video.read import Video
from node.video.sample import Sampler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of videos")
    parser.add_argument("--repeat", type=int, default=3, help="warm analyses of each video")
    parser.add_argument("--child", choices=["warm", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.files, args.repeat)))
        return 0
    videos = sorted(
        p.resolve()
        for p in args.data.rglob("*")
        if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
    )
    if not videos:
        parser.error(f"no videos under {args.data}")

    with tempfile.TemporaryDirectory(prefix="roost-bench-") as top:
        folder, home = Path(top) / "videos", Path(top) / "home"
        folder.mkdir()
        for n, video in enumerate(videos):
            (folder / f"{n:04d}-{video.name}").symlink_to(video)
        cmd = [sys.executable, "-m", "node.cli", "--home", str(home), "index", str(folder)]
        cold = run_measured([*cmd, "--json"])
    summary = json.loads(cold.stdout)
    me = [sys.executable, "-m", "benchmarks.video_throughput", "--data", str(args.data)]
    files = [str(v) for v in videos]
    repeat = ["--repeat", str(args.repeat)]
    warm_run = run_measured([*me, "--child", "warm", *repeat, *files])
    base_run = run_measured([*me, "--child", "baseline", "--repeat", "1", *files])
    warm, base = json.loads(warm_run.stdout), json.loads(base_run.stdout)

    seconds = warm["video_seconds"] / args.repeat
    result = {
        "videos": len(videos),
        "video_seconds": round(seconds, 2),
        "failed": len(summary["failed"]),
        "faces": summary["faces"],
        "command_video_s_per_s": round(seconds / cold.seconds, 2),
        "command_peak_rss_mb": round(cold.peak_rss_mb),
        "warm_video_s_per_s": round(warm["video_seconds"] / warm["wall"], 2),
        "warm_video_s_per_cpu_s": round(warm["video_seconds"] / warm["cpu"], 2),
        "warm_peak_rss_mb": round(warm_run.peak_rss_mb),
        "warm_detections": warm["detections"] // args.repeat,
        "warm_embeddings": warm["embeddings"] // args.repeat,
        "model_load_s": round(warm["load"], 2),
        "baseline": "the same samples, every detected face embedded, no tracking",
        "baseline_video_s_per_s": round(base["video_seconds"] / base["wall"], 2),
        "baseline_video_s_per_cpu_s": round(base["video_seconds"] / base["cpu"], 2),
        "baseline_embeddings": base["embeddings"],
        "speedup_vs_baseline": round(
            (warm["video_seconds"] / warm["wall"]) / (base["video_seconds"] / base["wall"]), 2
        ),
    }
    print(
        f"roost index  {result['command_video_s_per_s']}x real time (whole command), "
        f"{result['command_peak_rss_mb']} MB"
    )
    print(
        f"warm         {result['warm_video_s_per_s']}x real time "
        f"({result['warm_video_s_per_cpu_s']} video s per CPU s), "
        f"{result['warm_peak_rss_mb']} MB, {result['warm_embeddings']} descriptors"
    )
    print(
        f"baseline     {result['baseline_video_s_per_s']}x real time, "
        f"{result['baseline_embeddings']} descriptors"
    )
    print(json.dumps(result))
    return 0


def _child(kind: str, files: list[Path], repeat: int) -> dict[str, Any]:
    """Load the models, then time the analysis of `files`, `repeat` times over."""
    started = time.perf_counter()
    models = RunModels(
        Models(),
        embedder=DEFAULT_EMBEDDER,
        detect_side=IndexOptions.detect_side,
        min_face=VideoOptions.min_face,
        threads=IndexOptions.model_threads,
    )
    _ = models.detector, models.embedder
    counted = _Counted(models)
    load = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    seconds = 0.0
    for _ in range(repeat):
        for path in files:
            seconds += _analyse(kind, path, counted)
    return {
        "video_seconds": seconds,
        "wall": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "load": load,
        "detections": counted.detections,
        "embeddings": counted.embeddings,
    }


def _analyse(kind: str, path: Path, models: _Counted) -> float:
    if kind == "warm":
        return analyse(path, models).duration
    with Video(path) as video:
        for sample in Sampler(video):
            found = models.detector.detect(sample.image)
            models.embedder.embed(sample.image, found)
        return video.info.duration or 0.0


class _Counted:
    """The run's models, counting the faces detected and the descriptors computed."""

    def __init__(self, models: RunModels) -> None:
        self._models = models
        self.detections = 0
        self.embeddings = 0
        self.id, self.dim = models.embedder.id, models.embedder.dim

    @property
    def detector(self) -> _Counted:
        return self

    @property
    def embedder(self) -> _Counted:
        return self

    def detect(self, image: Image.Image) -> list[Detection]:
        found = self._models.detector.detect(image)
        self.detections += len(found)
        return found

    def embed(self, image: Image.Image, faces: Sequence[Detection]) -> np.ndarray:
        self.embeddings += len(faces)
        return self._models.embedder.embed(image, faces)


if __name__ == "__main__":
    sys.exit(main())
