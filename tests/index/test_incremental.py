"""Content identity: moves, copies, deletions and edits on a real library of real photos."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TESTDATA, roost, roost_json
from tests.index.library_rows import table_rows

PHOTOS = ["faces/id00/img1.jpg", "faces/id03/img3.jpg", "multi_face/couple.jpg", "scenes/dog.jpg"]


@pytest.fixture
def album(tmp_path: Path) -> Path:
    album = tmp_path / "album"
    album.mkdir()
    for name in PHOTOS:
        shutil.copy2(TESTDATA / name, album / Path(name).name)
    return album


def _index(album: Path, home: Path) -> dict[str, Any]:
    summary: dict[str, Any] = roost_json("index", album, home=home)
    return summary


def test_second_run_is_unchanged_and_loads_no_model(album: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = _index(album, home)
    assert first["indexed"] == len(PHOTOS)
    assert first["models_loaded"] == ["mtcnn-facenet-pytorch-2.6", "dlib-resnet-v1"]
    second = _index(album, home)
    assert (second["indexed"], second["unchanged"], second["models_loaded"]) == (0, 4, [])


def test_move_copy_delete_and_edit(album: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _index(album, home)
    before = roost_json("show", album / "img1.jpg", home=home)

    # A move is recognised by content: no model work, same faces, new path.
    (album / "2019").mkdir()
    (album / "img1.jpg").rename(album / "2019" / "moved.jpg")
    moved = _index(album, home)
    assert (moved["indexed"], moved["relinked"], moved["removed"]) == (0, 1, 1)
    assert moved["models_loaded"] == []
    after = roost_json("show", album / "2019" / "moved.jpg", home=home)
    assert after["hash"] == before["hash"]
    assert after["faces"] == before["faces"]
    assert after["paths"] == [str(album / "2019" / "moved.jpg")]
    assert roost("show", album / "img1.jpg", home=home, check=False).returncode != 0

    # A duplicate is one photo with two paths.
    shutil.copy2(album / "couple.jpg", album / "couple-copy.jpg")
    dup = _index(album, home)
    assert (dup["indexed"], dup["relinked"], dup["models_loaded"]) == (0, 1, [])
    couple = roost_json("show", album / "couple-copy.jpg", home=home)
    assert couple["paths"] == [str(album / "couple-copy.jpg"), str(album / "couple.jpg")]
    assert len(table_rows(home, "media")) == len(PHOTOS)

    # Deleting one copy keeps the photo; deleting the last path removes it and its faces.
    (album / "couple.jpg").unlink()
    assert _index(album, home)["removed"] == 1
    assert roost_json("show", album / "couple-copy.jpg", home=home)["faces"] == couple["faces"]
    (album / "couple-copy.jpg").unlink()
    assert _index(album, home)["removed"] == 1
    assert couple["hash"] not in {r["hash"] for r in table_rows(home, "media")}
    assert not [f for f in table_rows(home, "faces") if f["media_hash"] == couple["hash"]]

    # Overwriting a file with other content re-indexes that path and drops the old content.
    dog = roost_json("show", album / "dog.jpg", home=home)
    shutil.copy(TESTDATA / "faces/id05/img16.jpg", album / "dog.jpg")
    edited = _index(album, home)
    assert edited["indexed"] == 1
    now = roost_json("show", album / "dog.jpg", home=home)
    assert now["hash"] != dog["hash"] and len(now["faces"]) >= 1
    assert dog["hash"] not in {r["hash"] for r in table_rows(home, "media")}
    assert {r["path"] for r in table_rows(home, "files")} == {str(p) for p in album.rglob("*.jpg")}


def test_other_roots_and_missing_roots_are_left_alone(album: Path, tmp_path: Path) -> None:
    """Indexing one folder must not forget another, nor a folder that is merely unmounted."""
    home = tmp_path / "home"
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy2(TESTDATA / "faces/id06/img29.jpg", other / "x.jpg")
    _index(album, home)
    _index(other, home)
    assert _index(album, home)["removed"] == 0
    shutil.move(album, tmp_path / "unplugged")
    gone = _index(album, home)
    assert gone["removed"] == 0 and "no such file" in gone["failed"][0]["reason"]
    assert len(table_rows(home, "media")) == len(PHOTOS) + 1
