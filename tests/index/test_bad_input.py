"""Broken input is reported with a clear reason, the run finishes, and good photos are indexed."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TESTDATA, roost, roost_json
from tests.media.badfiles import png_bomb, random_bytes, truncated_copy

# Root reads files whatever their mode; without these two capabilities it cannot.
NO_DAC_OVERRIDE = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")
GOOD = ["faces/id00/img1.jpg", "multi_face/couple.jpg", "edge_cases/32bit.png"]


@pytest.fixture(scope="module")
def bad_library() -> Iterator[tuple[Path, Path]]:
    """A folder of good and broken files, and an empty home."""
    top = Path(tempfile.mkdtemp(prefix="roost-bad-"))
    photos, home = top / "photos", top / "home"
    photos.mkdir()
    for name in GOOD:
        shutil.copy(TESTDATA / name, photos / name.replace("/", "_"))
    truncated_copy(TESTDATA / "faces/id01/img26.jpg", photos / "truncated.jpg")
    (photos / "empty.jpg").write_bytes(b"")
    random_bytes(photos / "random.jpg")
    (photos / "text.png").write_text("this is not a picture\n")
    png_bomb(photos / "bomb.png", 30000, 30000)
    png_bomb(photos / "huge.png", 12000, 12000)
    unreadable = photos / "unreadable.jpg"
    shutil.copy(TESTDATA / "faces/id02/img47.jpg", unreadable)
    unreadable.chmod(0)
    (photos / "notes.txt").write_text("holiday list\n")
    (photos / "nested").mkdir()
    (photos / "nested" / "back-to-top").symlink_to(photos, target_is_directory=True)
    (photos / "loop-a.jpg").symlink_to(photos / "loop-b.jpg")
    (photos / "loop-b.jpg").symlink_to(photos / "loop-a.jpg")
    yield photos, home
    shutil.rmtree(top)


def _index(photos: Path, home: Path) -> dict[str, Any]:
    prefix = NO_DAC_OVERRIDE if os.geteuid() == 0 else ()
    summary: dict[str, Any] = roost_json("index", photos, home=home, prefix=prefix)
    return summary


@pytest.fixture(scope="module")
def summary(bad_library: tuple[Path, Path]) -> dict[str, Any]:
    return _index(*bad_library)


def _reason(problems: list[dict[str, str]], name: str) -> str:
    matches = [p["reason"] for p in problems if Path(p["path"]).name == name]
    assert len(matches) == 1, f"{name} should be reported exactly once, got {problems}"
    return matches[0].lower()


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("truncated.jpg", ["truncated"]),
        ("empty.jpg", ["not a recognisable image"]),
        ("random.jpg", ["not a recognisable image"]),
        ("text.png", ["not a recognisable image"]),
        ("bomb.png", ["too large"]),
        ("huge.png", ["too large", "megapixels"]),
        ("unreadable.jpg", ["permission denied"]),
        ("loop-a.jpg", ["symbolic link loop"]),
        ("loop-b.jpg", ["symbolic link loop"]),
    ],
)
def test_each_bad_file_fails_with_a_clear_reason(
    summary: dict[str, Any], name: str, words: list[str]
) -> None:
    reason = _reason(summary["failed"], name)
    for word in words:
        assert word in reason


def test_skips_are_explained(summary: dict[str, Any]) -> None:
    assert "not a photo" in _reason(summary["skipped"], "notes.txt")
    assert "loop" in _reason(summary["skipped"], "back-to-top")


def test_good_photos_are_indexed_and_every_file_accounted_for(
    summary: dict[str, Any], bad_library: tuple[Path, Path]
) -> None:
    photos, home = bad_library
    assert summary["indexed"] == len(GOOD)
    assert summary["faces"] >= 3  # one in img1, two in the couple
    accounted = (
        summary["indexed"] + summary["unchanged"] + summary["relinked"]
        + len(summary["skipped"]) + len(summary["failed"])
    )  # fmt: skip
    assert accounted == summary["seen"] == 14  # 3 good, 7 broken, 4 skipped or looping
    couple = roost_json("show", photos / "multi_face_couple.jpg", home=home)
    assert len(couple["faces"]) == 2


def test_index_survives_and_second_run_is_clean(
    summary: dict[str, Any], bad_library: tuple[Path, Path]
) -> None:
    photos, home = bad_library
    again = _index(photos, home)
    assert again["unchanged"] == len(GOOD)
    assert again["indexed"] == 0
    assert again["models_loaded"] == []
    assert sorted(p["path"] for p in again["failed"]) == sorted(
        p["path"] for p in summary["failed"]
    )


def test_missing_folder_is_reported_not_fatal(tmp_path: Path) -> None:
    result = roost("index", tmp_path / "nope", "--json", home=tmp_path / "home")
    assert "no such file" in result.stdout


def test_unreadable_file_really_was_unreadable(bad_library: tuple[Path, Path]) -> None:
    photos, _ = bad_library
    mode = (photos / "unreadable.jpg").stat().st_mode
    assert not mode & (stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
