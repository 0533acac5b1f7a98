"""`kill -9` mid-run, then the same command: the index equals that of one clean run."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO, TESTDATA, roost_json
from tests.index.library_rows import assert_same_library, count_rows

ALBUM = [
    *sorted((TESTDATA / "faces").glob("id0[0-3]/*.jpg")),
    TESTDATA / "multi_face/couple.jpg",
    TESTDATA / "edge_cases/obama.jpg",
]


def _kill_after_commits(album: Path, home: Path, at_least: int) -> None:
    """Start `roost index` and SIGKILL it once `at_least` photos are committed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "node.cli", "--home", home, "index", album, "--batch-size", "2"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(1200):  # bounded: at most ~2 minutes of polling
            if proc.poll() is not None:
                raise AssertionError("the run finished before it could be killed")
            if count_rows(home, "media") >= at_least:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("no progress to interrupt")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_kill_and_resume_matches_a_clean_run(tmp_path: Path) -> None:
    album = tmp_path / "album"
    album.mkdir()
    for photo in ALBUM:
        shutil.copy2(photo, album / f"{photo.parent.name}-{photo.name}")
    # Two copies of one photo, so the resumed run must also handle duplicates.
    shutil.copy2(ALBUM[0], album / "zz-copy.jpg")

    clean = tmp_path / "clean"
    assert roost_json("index", album, home=clean)["indexed"] == len(ALBUM)

    killed = tmp_path / "killed"
    _kill_after_commits(album, killed, at_least=2)
    first_kill = count_rows(killed, "media")
    _kill_after_commits(album, killed, at_least=first_kill + 2)
    assert 0 < count_rows(killed, "media") < len(ALBUM)
    resumed = roost_json("index", album, home=killed)
    # A photo killed after its media row but before its done markers is "updated" (known
    # content whose stages had not all finished), one killed earlier is "indexed".
    done = resumed["indexed"] + resumed["updated"] + resumed["unchanged"] + resumed["relinked"]
    assert done == len(ALBUM) + 1
    assert resumed["failed"] == []

    assert_same_library(clean, killed)
    assert roost_json("index", album, home=killed)["unchanged"] == len(ALBUM) + 1
