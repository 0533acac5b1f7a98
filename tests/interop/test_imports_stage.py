"""The imports stage through the real `roost index`: sidecars added, edited and removed after a
photo was indexed, a library from before the stage gaining its imports by running only it, and
copies of one photo of which only one has a sidecar."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from node.faces.detect import MtcnnDetector
from node.library.store import Library
from node.people.events import EventLog
from protocol.labels import Source
from tests.conftest import TESTDATA, roost_json
from tests.index.library_rows import table_rows
from tests.interop.builders import INTEROP, mwg_sidecar, stripped_copy, takeout_json

# Several real index runs with the real models (a minute or two on 2 cores).
pytestmark = [pytest.mark.slow, pytest.mark.models, pytest.mark.timeout(900)]

ALICE = TESTDATA / "faces/id00/img1.jpg"  # EXIF DateTimeOriginal 2019-07-20, one face


def _show(home: Path, photo: Path) -> Any:
    return roost_json("show", photo, home=home)


def _region_of(shown: dict[str, Any]) -> tuple[float, float, float, float]:
    """The photo's one face as a region another app would have drawn around it."""
    x1, y1, x2, y2 = shown["faces"][0]["box"]
    w, h = shown["width"], shown["height"]
    return (x1 - 10) / w, (y1 - 20) / h, (x2 + 10) / w, (y2 + 5) / h


def test_a_sidecar_added_edited_and_removed_later_is_picked_up(tmp_path: Path) -> None:
    album, home = tmp_path / "album", tmp_path / "home"
    album.mkdir()
    photo = album / "alice.jpg"
    shutil.copy2(ALICE, photo)
    first = roost_json("index", album, home=home)
    assert first["stages_run"] == {"faces": 1, "thumbnail": 1, "imports": 1}
    shown = _show(home, photo)
    assert shown["taken_at"].startswith("2019-07-20") and shown["faces"][0]["person"] is None

    size = (shown["width"], shown["height"])
    sidecar = album / "alice.jpg.xmp"
    mwg_sidecar(
        sidecar, [("Alice Doe", _region_of(shown))], size, created="2015-05-05T10:00:00+01:00"
    )
    added = roost_json("index", album, home=home)
    assert added["stages_run"] == {"imports": 1} and added["unchanged"] == 0
    assert added["models_loaded"] == []  # the region is a face found before: no model needed
    assert added["imported"]["names_imported"] == 1
    shown = _show(home, photo)
    assert shown["faces"][0]["person"] == "Alice Doe"
    assert shown["taken_at"] == "2015-05-05T10:00:00+01:00"  # the media row follows the sidecar
    assert shown["sources"]["taken_at"] == "sidecar:CreateDate"
    assert roost_json("search", "2015", home=home)["total"] == 1

    mwg_sidecar(
        sidecar, [("Alice Smith", _region_of(shown))], size, created="2016-06-06T10:00:00+01:00"
    )
    edited = roost_json("index", album, home=home)
    assert edited["stages_run"] == {"imports": 1}
    assert edited["imported"]["names_imported"] == 0  # an import names a face once
    shown = _show(home, photo)
    assert shown["taken_at"] == "2016-06-06T10:00:00+01:00"
    assert shown["faces"][0]["person"] == "Alice Doe"

    sidecar.unlink()
    removed = roost_json("index", album, home=home)
    assert removed["stages_run"] == {"imports": 1}
    shown = _show(home, photo)
    assert shown["taken_at"].startswith("2019-07-20") and shown["sources"]["sidecars"] == []
    assert shown["faces"][0]["person"] == "Alice Doe"  # a label is undone by the user only

    again = roost_json("index", album, home=home)
    assert (again["unchanged"], again["stages_run"], again["models_loaded"]) == (1, {}, [])


def test_a_library_from_before_the_stage_gains_imports_by_running_only_it(tmp_path: Path) -> None:
    album, home = tmp_path / "album", tmp_path / "home"
    album.mkdir()
    shutil.copy2(INTEROP / "metadata/faces/portrait.jpg", album)
    stripped_copy(ALICE, album / "IMG_0001.jpg")
    takeout_json(album / "IMG_0001.jpg.json", title="IMG_0001.jpg", taken=1563640000,
                 people=["Grace Hopper"])  # fmt: skip

    waited = roost_json("index", album, "--stage", "imports", home=home)
    assert waited["indexed"] == 2 and waited["stages_run"] == {}  # no faces to match yet
    before = roost_json("index", album, "--stage", "faces", "--stage", "thumbnail", home=home)
    assert before["stages_run"] == {"faces": 2, "thumbnail": 2} and "imported" not in before
    assert table_rows(home, "faces") and not _sources(home)
    faces = {f["id"]: f["box"] for f in table_rows(home, "faces")}

    gained = roost_json("index", album, "--stage", "imports", home=home)
    assert gained["stages_run"] == {"imports": 2}
    assert gained["imported"]["names_imported"] == 2  # Marie Curie, and Pierre's region
    assert gained["imported"]["faces_from_regions"] == 1  # Pierre Curie, in profile
    assert gained["imported"]["people_hints"] == 1
    after = {f["id"]: f["box"] for f in table_rows(home, "faces")}
    assert {k: v for k, v in after.items() if k in faces} == faces  # the detected ones stay
    pierre = next(r for r in _show(home, album / "portrait.jpg")["regions"]
                  if r["name"] == "Pierre Curie")  # fmt: skip
    assert set(after) - set(faces) == {pierre["face"]} and pierre["found_by"] == "metadata"
    people = {p["name"] for p in roost_json("people", home=home)}
    assert {"Marie Curie", "Grace Hopper"} <= people
    events = EventLog(Library.open(home / "library")).read()
    assert {e.edit.source for e in events} == {Source.XMP_MWG_REGIONS, Source.GOOGLE_TAKEOUT}
    shown = _show(home, album / "IMG_0001.jpg")
    assert shown["sources"]["taken_at"] == "takeout:photoTakenTime"  # the media row took it

    done = roost_json("index", album, home=home)
    assert (done["unchanged"], done["stages_run"], done["models_loaded"]) == (2, {}, [])


def test_copies_take_the_sidecars_of_the_copy_that_has_them(tmp_path: Path) -> None:
    """The same bytes in a Takeout export and in a backup without sidecars: one photo, with the
    export's date and people, and runs that follow leave it alone."""
    export, backup, home = tmp_path / "export", tmp_path / "backup", tmp_path / "home"
    export.mkdir()
    backup.mkdir()
    stripped_copy(ALICE, export / "IMG_0001.jpg")
    shutil.copy2(export / "IMG_0001.jpg", backup / "IMG_0001.jpg")
    takeout_json(export / "IMG_0001.jpg.json", title="IMG_0001.jpg", taken=1563640000,
                 people=["Grace Hopper"])  # fmt: skip
    roost_json("index", backup, home=home)  # the copy without a sidecar comes first
    assert _show(home, backup / "IMG_0001.jpg")["sources"]["taken_at"] == "file:mtime"

    both = roost_json("index", backup, export, home=home)
    assert both["updated"] == 1 and both["stages_run"] == {"imports": 1}
    shown = _show(home, backup / "IMG_0001.jpg")
    assert shown["paths"] == [str(backup / "IMG_0001.jpg"), str(export / "IMG_0001.jpg")]
    assert shown["sources"]["taken_at"] == "takeout:photoTakenTime"
    assert shown["takeout_people"] == ["Grace Hopper"]
    for roots in ((backup, export), (backup,), (export,)):
        again = roost_json("index", *roots, home=home)
        assert again["stages_run"] == {}, roots  # whichever copy a run sees


def _sources(home: Path) -> list[dict[str, Any]]:
    import lancedb

    db = lancedb.connect(str(home / "library"))
    if "photo_sources" not in db.list_tables().tables:
        return []
    rows: list[dict[str, Any]] = db.open_table("photo_sources").to_arrow().to_pylist()
    return rows


SCENE = (
    TESTDATA
    / "places/drewnoakes_metadata-extractor-images/jpg__Samsung_SM-G935L_Galaxy_S7_Edge.jpg"
)


def _small_face_photo(target: Path) -> tuple[float, float, float, float]:
    """A real scene with a real face pasted into it 16 px across (too small for the face
    stage's whole-photo pass at 960 px); returns the face's normalised box."""
    with Image.open(SCENE) as opened:
        scene = opened.convert("RGB")
    scene.thumbnail((2048, 2048))
    with Image.open(ALICE) as opened:
        face_photo = opened.convert("RGB")
    face = MtcnnDetector(detect_side=960).detect(face_photo)[0].box
    scale = 16 / (face[2] - face[0])
    small = face_photo.resize((round(face_photo.width * scale), round(face_photo.height * scale)))
    scene.paste(small, (900, 300))
    scene.save(target, quality=95)
    x1, y1, x2, y2 = (900 + face[0] * scale, 300 + face[1] * scale, 900 + face[2] * scale,
                      300 + face[3] * scale)  # fmt: skip
    w, h = x2 - x1, y2 - y1
    drawn = (x1 - 0.1 * w, y1 - 0.25 * h, x2 + 0.1 * w, y2 + 0.05 * h)
    return (drawn[0] / scene.width, drawn[1] / scene.height, drawn[2] / scene.width,
            drawn[3] / scene.height)  # fmt: skip


def test_a_face_found_only_inside_its_region_is_a_face_and_keeps_its_id(tmp_path: Path) -> None:
    album, home = tmp_path / "album", tmp_path / "home"
    album.mkdir()
    photo = album / "crowd.jpg"
    region = _small_face_photo(photo)
    with Image.open(photo) as opened:
        size = opened.size
    # "Nobody": a named region on an empty spot, too small to be made a face itself (15 px).
    mwg_sidecar(album / "crowd.jpg.xmp", [("Alice Doe", region), ("Nobody", (0.05, 0.6, 0.0573,
                0.61))], size)  # fmt: skip
    first = roost_json("index", album, home=home)
    assert first["faces"] == 0  # the face stage found none
    assert first["imported"]["faces_found_in_regions"] == 1
    assert first["imported"]["faces_from_regions"] == 0
    assert first["imported"]["regions_without_face"] == 1  # the one on an empty spot
    shown = _show(home, photo)
    regions = {r["name"]: r for r in shown["regions"]}
    assert regions["Alice Doe"]["found_by"] == "region"
    assert regions["Nobody"]["face"] is None
    assert [f["person"] for f in shown["faces"]] == ["Alice Doe"]
    face = shown["faces"][0]["id"]

    # Another detector version: the face stage runs again and drops what it does not find;
    # the imports stage runs with it, finds the face again, under the same id and name.
    import lancedb

    stages = lancedb.connect(str(home / "library")).open_table("stages")
    stages.update(
        where="stage = 'faces'", values={"version": "older-detector+dlib-resnet-v1@faces"}
    )
    again = roost_json("index", album, home=home)
    assert again["stages_run"] == {"faces": 1, "imports": 1}
    shown = _show(home, photo)
    assert [(f["id"], f["person"]) for f in shown["faces"]] == [(face, "Alice Doe")]
