"""Broken and hostile videos through a real `roost index`: each is reported with its reason, the
run finishes, good files are indexed, and the work per file is bounded.

Every file is made from the real clip in the test (tests/video/clips.py)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.measure import run_measured
from tests.conftest import TESTDATA, roost_json
from tests.index.test_bad_input import NO_DAC_OVERRIDE
from tests.video.clips import (
    CLIP,
    absurd_resolution,
    corrupted,
    remux,
    truncated,
    unknown_codec,
)

pytestmark = pytest.mark.slow
Indexed = tuple[Path, Path, dict[str, Any], float]

# Indexed, each with a note on what limited it.
LIMITED = {
    "scratched.mp4": "corrupt stream",
    "cut-after-index.mp4": "truncated: frames end at",
    "long.mp4": "long video: one frame every",
}
# Refused, each with its reason.
REFUSED = {
    "empty.mp4": "empty file",
    "cut-short.mp4": "truncated: the file ends inside its 'mdat' box",
    "zq9x.mov": "unknown codec",
    "huge.mkv": "absurd resolution: 16000x16000",
    "notes.mp4": "not a recognisable video",
    "photo.m4v": "not a recognisable video",
    "unreadable.mp4": "permission denied",
}


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Indexed]:
    """A folder of the clip and broken videos, indexed once: (folder, home, summary, peak
    resident memory of the run in MB)."""
    top = tmp_path_factory.mktemp("bad-videos")
    folder, home = top / "videos", top / "home"
    folder.mkdir()
    shutil.copy(CLIP, folder / "clip.mp4")
    corrupted(folder / "scratched.mp4")
    truncated(folder / "cut-after-index.mp4", faststart=True)
    (folder / "cut-after-index.whole.mp4").unlink()
    remux(folder / "long.mp4", slower=600)  # 100 minutes, one frame every 20 s
    (folder / "empty.mp4").write_bytes(b"")
    truncated(folder / "cut-short.mp4")
    unknown_codec(folder / "zq9x.mov")
    absurd_resolution(folder / "huge.mkv")
    (folder / "notes.mp4").write_text("what to film at the party\n")
    shutil.copy(TESTDATA / "faces/id00/img1.jpg", folder / "photo.m4v")
    shutil.copy(CLIP, folder / "unreadable.mp4")
    (folder / "unreadable.mp4").chmod(0)
    summary, peak = _index(folder, home)
    yield folder, home, summary, peak
    shutil.rmtree(top)


def _index(folder: Path, home: Path) -> tuple[dict[str, Any], float]:
    """`roost index --json` on `folder`, without the power to read unreadable files even as
    root: (summary, the run's peak resident memory in MB)."""
    prefix = NO_DAC_OVERRIDE if os.geteuid() == 0 else ()
    cmd = [*prefix, sys.executable, "-m", "node.cli", "--home", str(home), "index", str(folder)]
    run = run_measured([*cmd, "--json"])
    summary: dict[str, Any] = json.loads(run.stdout)
    return summary, run.peak_rss_mb


def _reason(problems: list[dict[str, str]], name: str) -> str:
    matches = [p["reason"] for p in problems if Path(p["path"]).name == name]
    assert len(matches) == 1, f"{name} should be reported exactly once, got {problems}"
    return matches[0]


@pytest.mark.parametrize(("name", "reason"), sorted(REFUSED.items()))
def test_each_bad_video_is_refused_with_its_reason(bad: Indexed, name: str, reason: str) -> None:
    assert reason in _reason(bad[2]["failed"], name).lower()


@pytest.mark.parametrize(("name", "reason"), sorted(LIMITED.items()))
def test_damaged_or_long_videos_are_indexed_with_a_note(
    bad: Indexed, name: str, reason: str
) -> None:
    folder, home, summary, _ = bad
    assert reason in _reason(summary["notes"], name)
    shown = roost_json("show", folder / name, home=home)
    assert shown["kind"] == "video"
    assert any(reason in note for note in shown["video"]["notes"])


def test_everything_is_accounted_for(bad: Indexed) -> None:
    folder, home, summary, _ = bad
    assert summary["indexed"] == 1 + len(LIMITED)
    assert summary["seen"] == summary["indexed"] + len(summary["failed"]) == 1 + 10
    clip = roost_json("show", folder / "clip.mp4", home=home)
    assert len(clip["faces"]) >= 6 and clip["video"]["notes"] == []


def test_memory_stays_bounded(bad: Indexed) -> None:
    """The face models take most of it; a frame of the absurd file alone would take 768 MB."""
    assert bad[3] < 1500


def test_a_long_video_costs_what_a_short_one_does(
    bad: Indexed,
) -> None:
    folder, home, _, _ = bad
    long = roost_json("show", folder / "long.mp4", home=home)["video"]
    assert long["duration"] > 5000
    assert long["samples"] <= 300  # the cap
    # One sample per keyframe reached: the clip's six keyframes, each held for 20 s.
    assert long["samples"] <= 12


def test_a_second_run_reads_nothing_again(bad: Indexed) -> None:
    folder, home, summary, _ = bad
    again, _ = _index(folder, home)
    assert (again["unchanged"], again["indexed"]) == (summary["indexed"], 0)
    assert sorted(p["path"] for p in again["failed"]) == sorted(
        p["path"] for p in summary["failed"]
    )
