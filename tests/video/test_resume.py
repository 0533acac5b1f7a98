"""`kill -9` in the middle of a video, then the same command: the index equals a clean run's."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pytest

from tests.conftest import REPO, TESTDATA, roost_json
from tests.index.library_rows import assert_same_library, count_rows
from tests.video.clips import remux

pytestmark = pytest.mark.slow
VIDEO_TABLES = {"videos": "hash", "face_spans": "face"}


def _rows(home: Path, table: str) -> list[dict[str, Any]]:
    db = lancedb.connect(str(home / "library"))
    if table not in db.list_tables().tables:
        return []
    rows: list[dict[str, Any]] = db.open_table(table).to_arrow().to_pylist()
    return sorted(rows, key=lambda r: r[VIDEO_TABLES[table]])


def _media_rows_now(home: Path) -> int:
    """The media rows of a library being written: a table LanceDB is still creating is listed
    before it can be opened, which counts as none yet."""
    try:
        return count_rows(home, "media")
    except ValueError:
        return 0


def test_kill_mid_video_and_resume_matches_a_clean_run(tmp_path: Path) -> None:
    album = tmp_path / "album"
    album.mkdir()
    shutil.copy2(TESTDATA / "faces/id00/img1.jpg", album / "a-photo.jpg")
    # Each frame shown 4× as long: 40 s of video, whose analysis (with the face models already
    # loaded by the photo before it) lasts long enough to be killed in the middle.
    remux(album / "b-clip.mp4", slower=4)
    clean = tmp_path / "clean"
    assert roost_json("index", album, home=clean)["indexed"] == 2

    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "node.cli", "--home", killed, "index", album, "--batch-size", "1"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(1200):  # bounded: at most ~2 minutes of polling
            assert proc.poll() is None, "the run finished before it could be killed"
            if _media_rows_now(killed) >= 1:  # the photo is in: the video is under way
                break
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert count_rows(killed, "media") == 1 and _rows(killed, "videos") == []

    resumed = roost_json("index", album, home=killed)
    assert (resumed["indexed"], resumed["unchanged"], resumed["failed"]) == (1, 1, [])
    assert_same_library(clean, killed)
    for table in VIDEO_TABLES:
        a, b = _rows(clean, table), _rows(killed, table)
        assert len(a) == len(b) > 0
        for ra, rb in zip(a, b, strict=True):
            for column in ra:
                if isinstance(ra[column], float):
                    np.testing.assert_allclose(ra[column], rb[column], atol=1e-3)
                else:
                    assert ra[column] == rb[column], f"{table}.{column}"
