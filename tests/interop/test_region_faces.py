"""A named region no detector finds a face in becomes the face itself, through the real
`roost index`: only a named one, only where no face is, only when large enough, once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from node.media.regions import MIN_REGION_SIDE
from tests.conftest import TESTDATA, roost_json
from tests.index.library_rows import table_rows
from tests.interop.builders import mwg_sidecar

# Three real index runs of one photo with the real models (well under a minute on 2 cores).
pytestmark = [pytest.mark.slow, pytest.mark.models, pytest.mark.timeout(600)]

ALICE = TESTDATA / "faces/id00/img1.jpg"  # one face, which the face stage finds


def test_only_a_large_named_region_where_no_face_is_becomes_a_face(tmp_path: Path) -> None:
    album, home = tmp_path / "album", tmp_path / "home"
    album.mkdir()
    photo = album / "alice.jpg"
    shutil.copy2(ALICE, photo)
    roost_json("index", album, home=home)
    shown = roost_json("show", photo, home=home)
    w, h = shown["width"], shown["height"]
    fx1, fy1, fx2, fy2 = shown["faces"][0]["box"]
    face = (fx1 / w, fy1 / h, fx2 / w, fy2 / h)
    inner = ((3 * fx1 + fx2) / 4 / w, (3 * fy1 + fy2) / 4 / h, (fx1 + 3 * fx2) / 4 / w,
             (fy1 + 3 * fy2) / 4 / h)  # fmt: skip
    corner = (0.0, 0.0, 0.25, 0.25)  # clear of her face: a face drawn where none was found
    assert face[0] > 0.25 or face[1] > 0.25
    tiny = (0.8, 0.8, 0.8 + (MIN_REGION_SIDE - 2) / w, 0.8 + (MIN_REGION_SIDE - 2) / h)
    mwg_sidecar(
        album / "alice.jpg.xmp",
        [("Alice Doe", face), ("Inside Her", inner), ("Bob Roe", corner), ("Tiny Tim", tiny),
         ("", (0.75, 0.0, 1.0, 0.25))],  # unnamed: not a face region of anyone
        (w, h),
    )  # fmt: skip
    first = roost_json("index", album, home=home)
    assert first["stages_run"] == {"imports": 1}
    counts = first["imported"]
    assert (counts["names_imported"], counts["faces_from_regions"]) == (2, 1)
    assert counts["regions_without_face"] == 2  # inside her face, and the tiny one
    shown = roost_json("show", photo, home=home)
    regions = {r["name"]: r for r in shown["regions"]}
    assert set(regions) == {"Alice Doe", "Inside Her", "Bob Roe", "Tiny Tim"}
    assert regions["Alice Doe"]["found_by"] == "detector"
    assert regions["Inside Her"]["face"] is None  # her detected face already covers it
    assert regions["Tiny Tim"]["face"] is None
    bob = regions["Bob Roe"]
    assert bob["found_by"] == "metadata" and bob["events"]
    people = {f["id"]: f["person"] for f in shown["faces"]}
    assert sorted(people.values()) == ["Alice Doe", "Bob Roe"]
    assert people[bob["face"]] == "Bob Roe"
    row = next(r for r in table_rows(home, "faces") if r["id"] == bob["face"])
    x1, y1, x2, y2 = (corner[0] * w, corner[1] * h, corner[2] * w, corner[3] * h)
    assert row["box"] == pytest.approx([x1, y1, x2, y2], abs=1.0)  # the region itself
    marks = row["landmarks"]
    assert all(
        x1 <= x <= x2 and y1 <= y <= y2 for x, y in zip(marks[::2], marks[1::2], strict=True)
    )
    assert row["score"] == 0.0 and len(row["embedding"]) == 128

    # The sidecar read again (its mtime moved): the region is matched to the face it made,
    # not made a second one, and not named again.
    os.utime(album / "alice.jpg.xmp", ns=(1, 1))
    again = roost_json("index", album, home=home)
    assert again["stages_run"] == {"imports": 1}
    assert (again["imported"]["faces_from_regions"], again["imported"]["names_imported"]) == (0, 0)
    shown = roost_json("show", photo, home=home)
    assert {f["id"]: f["person"] for f in shown["faces"]} == people
    assert {r["name"]: r["found_by"] for r in shown["regions"]}["Bob Roe"] == "metadata"
