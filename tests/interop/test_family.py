"""Acceptance through the real CLI: every row of ../shared/interop/README.md, Takeout, Live
Photos and motion photos, on the family folder indexed once (conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from node.media.scan import LIVE_VIDEO
from tests.conftest import roost_json
from tests.interop.conftest import LONG_NAME, TAKEOUT, Family, snapshot

# One real `roost index` of the family folder (a few minutes on 2 cores), shared by both
# modules; the models are the real ones.
pytestmark = [pytest.mark.slow, pytest.mark.models, pytest.mark.timeout(1200)]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_show_is_the_command(family: Family) -> None:
    for photo in ("immich/el_torcal_rocks.jpg", "immich/portrait.jpg", "live/IMG_0001.JPG"):
        assert roost_json("show", family.root / photo, home=family.home) == family.show(photo)


def test_nothing_is_written_into_the_users_files(family: Family) -> None:
    family.show("immich/el_torcal_rocks.jpg")
    assert snapshot(family.root) == family.before


def test_summary_counts_what_came_from_other_apps(family: Family) -> None:
    assert family.summary["failed"] == []
    assert family.summary["imported"] == {
        "from_sidecars": 10,  # 3 XMP sidecars, 7 photos given something by Takeout
        "names_imported": 4,  # Marie and Pierre Curie, in each portrait
        "names_kept": 0,
        "names_refused": 0,
        "faces_found_in_regions": 0,  # Pierre Curie, in profile: not even looking there
        "faces_from_regions": 2,  # ... so his region itself is his face, in each portrait
        "regions_without_face": 0,
        "people_hints": 2,
        "motion_photos": 1,
        "live_photos": 3,
    }


# -- dates, time zones and places as Immich expects them ------------------------------------


def test_date_priority_takes_date_time_original(family: Family) -> None:
    shown = family.show("immich/date-priority-test.jpg")
    assert shown["taken_at"] == "2023-02-02T02:00:00"
    assert shown["time_zone"] is None
    assert shown["sources"]["taken_at"] == "exif:DateTimeOriginal"


def test_gps_datetime_is_utc_and_the_zone_comes_from_the_position(family: Family) -> None:
    shown = family.show("immich/gps-datetime.jpg")
    assert _instant(shown["taken_at"]) == datetime(2023, 11, 15, 12, 30, tzinfo=UTC)
    assert shown["taken_at"].startswith("2023-11-15T04:30:00")
    assert shown["time_zone"] == "America/Los_Angeles"
    assert shown["sources"]["taken_at"] == "xmp:GPSDateTime"
    assert shown["sources"]["time_zone"] == "gps"


def test_time_created_alone_is_ignored(family: Family) -> None:
    shown = family.show("immich/time-created.jpg")
    mtime = (family.root / "immich/time-created.jpg").stat().st_mtime
    assert shown["taken_at_source"] == "file"
    assert abs(_instant(shown["taken_at"]).timestamp() - mtime) < 1e-3


def test_a_naive_date_takes_the_zone_of_its_position(family: Family) -> None:
    shown = family.show("immich/datetimeoriginal-gps.jpg")
    assert shown["taken_at"] == "2025-12-01T11:30:00-07:00"
    assert shown["time_zone"] == "America/Denver"  # not Phoenix, also -07:00 in December


@pytest.mark.parametrize(
    ("photo", "sidecar", "year"),
    [
        ("el_torcal_rocks.jpg", "el_torcal_rocks.jpg.xmp", 2000),
        ("rocks_2020.jpg", "rocks_2020.xmp", 2020),
    ],
)
def test_xmp_sidecar_dates_win(family: Family, photo: str, sidecar: str, year: int) -> None:
    """UTF-16 LE sidecars with CRLF; `file.ext.xmp` beats `file.xmp`, and both beat the file's
    own DateTimeOriginal (2012)."""
    shown = family.show(f"immich/{photo}")
    assert _instant(shown["taken_at"]) == datetime(year, 9, 27, 12, 35, 33, tzinfo=UTC)
    assert shown["taken_at"].endswith("+02:00")
    assert shown["sources"]["taken_at"] == "sidecar:CreateDate"
    assert shown["sources"]["sidecars"] == [str(family.root / "immich" / sidecar)]


def test_odd_xmp_sidecar_reads_without_error(family: Family) -> None:
    shown = family.show("immich/iso-value-array.jpg")
    assert shown["metadata_problems"] == []
    assert shown["taken_at"] == "2009-11-28T13:42:39-05:00"  # the sidecar's, in its zone
    assert shown["time_zone"] == "America/New_York"
    assert shown["gps"] == pytest.approx({"lat": 40.2346441, "lon": -76.2871415})
    assert shown["sources"]["gps"] == "sidecar"


def test_places(family: Family) -> None:
    """The file's caption says Thompson Springs, Utah; its EXIF position (39.115 N, 108.401 W)
    is across the state line, beside Palisade, Colorado, which is what GeoNames names."""
    spot = family.show("immich/thompson-springs.jpg")
    assert spot["gps"] == pytest.approx({"lat": 39.115, "lon": -108.4009683})
    assert spot["sources"]["gps"] == "exif"
    assert family.show("immich/empty_gps.jpg")["gps"] is None
    found = roost_json("search", "place:Palisade", home=family.home)
    assert [h["path"] for h in found["hits"]] == [str(family.root / "immich/thompson-springs.jpg")]


def test_picasa_keywords(family: Family) -> None:
    shown = family.show("immich/picasa.jpg")
    assert shown["keywords"] == ["Frost", "Yard"]
    assert shown["sources"]["keywords"] == "exif"  # IPTC, where Picasa writes them


# -- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "size"),
    [
        ("8bit-sRGB.avif", "AVIF", (1617, 1080)),
        ("10bit-HDR-P3-nclx.avif", "AVIF", (3681, 5594)),
        ("8bit-sRGB.jxl", "JPEG XL", (1440, 1080)),
        ("16bit-HDR-P3-nclx.jxl", "JPEG XL", (5667, 3685)),
    ],
)
def test_avif_and_jpeg_xl_are_photos(
    family: Family, name: str, fmt: str, size: tuple[int, int]
) -> None:
    shown = family.show(f"immich/{name}")
    assert (shown["format"], shown["width"], shown["height"]) == (fmt, *size)


@pytest.mark.parametrize(("name", "fmt"), [("face.avif", "AVIF"), ("face.jxl", "JPEG XL")])
def test_faces_are_found_in_avif_and_jpeg_xl(family: Family, name: str, fmt: str) -> None:
    shown = family.show(f"formats/{name}")
    assert shown["format"] == fmt
    assert len(shown["faces"]) == 1 and shown["faces"][0]["score"] > 0.95


def test_motion_photo_is_its_still_and_its_clip_is_noted(family: Family) -> None:
    shown = family.show("immich/samsung-one-ui-6.heic")
    assert (shown["format"], shown["width"], shown["height"]) == ("HEIF", 3000, 4000)
    assert shown["taken_at"] == "2024-01-12T21:38:53.853000-08:00"
    clip = shown["motion_clip"]
    assert clip == {"offset": 452284, "length": 3226668, "mime": "video/mp4"}
    data = (family.root / "immich/samsung-one-ui-6.heic").read_bytes()
    assert data[clip["offset"] + 4 : clip["offset"] + 8] == b"ftyp"
    assert clip["offset"] + clip["length"] == len(data)


# -- names from face regions --------------------------------------------------------------


@pytest.mark.parametrize("name", ["portrait.jpg", "portrait-orientation-6.jpg"])
def test_face_regions_name_the_detected_faces(family: Family, name: str) -> None:
    shown = family.show(f"immich/{name}")
    assert (shown["width"], shown["height"]) == (840, 700)  # upright, in both files
    marie = next(f for f in shown["faces"] if f["person"] == "Marie Curie")
    x1, y1, x2, y2 = marie["box"]
    assert 260 < x1 < 320 and 140 < y1 < 200 and 330 < x2 < 380 and 260 < y2 < 300
    regions = {r["name"]: r for r in shown["regions"]}
    assert regions["Marie Curie"]["face"] == marie["id"]
    assert regions["Marie Curie"]["source"] == "xmp-mwg-regions"
    assert regions["Marie Curie"]["found_by"] == "detector"
    assert regions["Marie Curie"]["events"]  # the label events that named it, for undo
    # Pierre Curie stands in profile: the detector finds no face there, not even looking at his
    # region alone, so the region itself is his face, named by the same import.
    pierre = regions["Pierre Curie"]
    assert pierre["found_by"] == "metadata" and pierre["events"]
    w, h = shown["width"], shown["height"]
    px1, py1, px2, py2 = (v * s for v, s in zip(pierre["box"], (w, h, w, h), strict=True))
    inside = [f for f in shown["faces"] if f["box"][0] < px2 and px1 < f["box"][2]
              and f["box"][1] < py2 and py1 < f["box"][3]]  # fmt: skip
    assert [(f["id"], f["person"]) for f in inside] == [(pierre["face"], "Pierre Curie")]
    fx1, fy1, fx2, fy2 = inside[0]["box"]
    assert px1 - 1 <= fx1 < fx2 <= px2 + 1 and py1 - 1 <= fy1 < fy2 <= py2 + 1  # his region
    assert sorted(f["person"] or "" for f in shown["faces"]) == ["", "Marie Curie",
                                                                  "Pierre Curie"]  # fmt: skip


def test_imported_names_are_people_at_once(family: Family) -> None:
    people = roost_json("people", home=family.home)
    named = {p["name"]: p for p in people if p["kind"] == "person"}
    assert named["Marie Curie"]["faces"] == 2
    assert named["Pierre Curie"]["faces"] == 2


# -- Google Takeout -----------------------------------------------------------------------


def test_takeout_supplies_date_place_and_description(family: Family) -> None:
    shown = family.show(TAKEOUT / "IMG_0001.jpg")
    assert _instant(shown["taken_at"]) == datetime(2019, 7, 20, 16, 26, 40, tzinfo=UTC)
    assert shown["taken_at"].endswith("+02:00") and shown["time_zone"] == "Europe/Paris"
    assert shown["gps"] == {"lat": 48.8584, "lon": 2.2945}
    assert shown["description"] == "At the tower"
    sources = shown["sources"]
    assert (sources["taken_at"], sources["gps"], sources["description"]) == (
        "takeout:photoTakenTime", "takeout", "takeout",
    )  # fmt: skip
    assert shown["takeout_people"] == ["Grace Hopper"]


def test_the_photos_own_date_wins_over_takeout(family: Family) -> None:
    shown = family.show(TAKEOUT / "kite.jpg")
    assert shown["taken_at"].startswith("2010-06-06")
    assert shown["sources"]["taken_at"] == "exif:DateTimeOriginal"
    assert shown["gps"] == {"lat": -33.8908, "lon": 151.2743}  # the file had none
    assert shown["time_zone"] == "Australia/Sydney"


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        (LONG_NAME, 1560000000),  # a cut sidecar name
        ("IMG_0002.jpg", 1561000000),
        ("IMG_0002-edited.jpg", 1561000000),  # the original's sidecar
        ("IMG_0003(1).jpg", 1562000000),  # IMG_0003.jpg(1).json
        ("IMG_0004.jpg", 1563000000),  # .supplemental-metadata.json
    ],
)
def test_takeout_sidecar_naming_variants(family: Family, name: str, taken: int) -> None:
    shown = family.show(TAKEOUT / name)
    assert _instant(shown["taken_at"]).timestamp() == taken
    assert shown["sources"]["taken_at"] == "takeout:photoTakenTime"


def test_a_broken_takeout_sidecar_is_reported_and_the_photo_kept(family: Family) -> None:
    shown = family.show(TAKEOUT / "IMG_0005.jpg")
    assert shown["sources"]["taken_at"] == "file:mtime"
    assert any("IMG_0005.jpg.json" in p for p in shown["metadata_problems"])


def test_one_face_and_one_name_is_a_strong_suggestion(family: Family) -> None:
    face = family.show(TAKEOUT / "IMG_0001.jpg")["faces"][0]
    assert face["person"] is None  # a suggestion, not a label
    suggestions = {s["face"]: s for s in roost_json("suggestions", home=family.home)}
    assert suggestions[face["id"]]["name"] == "Grace Hopper"
    assert suggestions[face["id"]]["confidence"] == pytest.approx(0.9)


def test_several_faces_are_never_guessed(family: Family) -> None:
    faces = family.show(TAKEOUT / "IMG_0004.jpg")["faces"]
    assert len(faces) == 2
    suggestions = {s["face"] for s in roost_json("suggestions", home=family.home)}
    assert not suggestions & {f["id"] for f in faces}


# -- Live Photos ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("still", "video"),
    [
        ("IMG_0001.JPG", "IMG_0001.MOV"),  # content identifier (and name)
        ("IMG_0002.JPG", "IMG_0002.mov"),  # no identifiers: the name
        ("IMG_0003.JPG", None),  # the identifiers differ
        ("IMG_0005.JPG", "renamed-clip.MOV"),  # the identifier, whatever the name
    ],
)
def test_live_photo_pairs(family: Family, still: str, video: str | None) -> None:
    shown = family.show(f"live/{still}")
    assert shown["live_video"] == (str(family.root / "live" / video) if video else None)
    assert len(shown["faces"]) == 1  # the still is indexed as a photo


def test_a_live_photos_video_is_not_indexed_as_a_video_too(family: Family) -> None:
    """A MOV named as a still beside it is that Live Photo's moving part; a MOV with no still
    of its name (renamed, or alone) is a video of its own."""
    skipped = {p["path"]: p["reason"] for p in family.summary["skipped"]}
    live = family.root / "live"
    parts = {k for k, v in skipped.items() if v == LIVE_VIDEO}
    assert parts == {str(live / name) for name in ("IMG_0001.MOV", "IMG_0002.mov", "IMG_0003.MOV")}
    assert (
        str(live / "IMG_0004.MOV") not in skipped and str(live / "renamed-clip.MOV") not in skipped
    )
