"""The acceptance run: `roost index ../shared/testdata --json` over every real test photo."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from node.library.store import Library
from tests.conftest import TESTDATA, roost_json
from tests.media.test_exif import README_DATES

Indexed = tuple[Path, dict[str, Any]]
# The first test builds the ~900-photo index (see conftest.testdata_index): minutes on 2 cores.
pytestmark = pytest.mark.timeout(1800)


def _all_files() -> list[Path]:
    return [Path(d) / f for d, _, names in os.walk(TESTDATA) for f in names]


def test_every_file_is_accounted_for(testdata_index: Indexed) -> None:
    _, summary = testdata_index
    files = _all_files()
    assert summary["seen"] == len(files)
    assert summary["failed"] == []
    skipped = {Path(p["path"]).name for p in summary["skipped"]}
    assert skipped == {f.name for f in files if f.suffix in (".md", ".csv")}
    assert summary["indexed"] + summary["relinked"] == len(files) - len(summary["skipped"])


def test_every_identity_photo_has_a_face(testdata_index: Indexed) -> None:
    home, _ = testdata_index
    library = Library.open(home / "library")
    photos = sorted((TESTDATA / "faces").glob("id*/*.jpg"))
    assert len(photos) == 61
    without = []
    for photo in photos:
        record = library.file(str(photo))
        assert record is not None, photo
        if not library.faces_of(record["hash"], ["id"]):
            without.append(photo.name)
    assert without == []


@pytest.mark.parametrize(("name", "faces"), [("couple.jpg", 2), ("selfie-many-people.jpg", 4)])
def test_group_photos(testdata_index: Indexed, name: str, faces: int) -> None:
    home, _ = testdata_index
    shown = roost_json("show", TESTDATA / "multi_face" / name, home=home)
    assert len(shown["faces"]) == faces
    assert all(f["score"] > 0.9 and f["person"] is None for f in shown["faces"])


def test_readme_exif_dates(testdata_index: Indexed) -> None:
    home, _ = testdata_index
    for name, day in README_DATES.items():
        shown = roost_json("show", TESTDATA / name, home=home)
        assert shown["taken_at"].startswith(day), name
        assert shown["taken_at_source"] == "exif"


def test_second_run_is_all_unchanged_and_loads_no_model(testdata_index: Indexed) -> None:
    home, first = testdata_index
    again = roost_json("index", TESTDATA, home=home)
    photos = first["indexed"] + first["relinked"]
    assert (again["unchanged"], again["indexed"], again["relinked"]) == (photos, 0, 0)
    assert again["models_loaded"] == []
