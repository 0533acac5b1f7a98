"""Place names from real camera GPS, offline: the Italy walk in places/ (9 photos, 2008-10-22,
GPS and dates listed in places/manifest.csv) found by country, region, city and date."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from node.library.store import Library
from node.places import Place, locate, places_of, update_places
from node.search.run import parse, search
from tests.albums import with_gps
from tests.conftest import TESTDATA, roost_json

PLACES = TESTDATA / "places"


def walk() -> list[dict[str, str]]:
    with open(PLACES / "manifest.csv", newline="") as f:
        return [
            row for row in csv.DictReader(f) if row["DateTimeOriginal"].startswith("2008:10:22")
        ]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    root = tmp_path_factory.mktemp("places")
    photos = root / "photos"
    photos.mkdir()
    for row in walk():
        shutil.copyfile(PLACES / row["file"], photos / Path(row["file"]).name)
    roost_json("index", photos, home=root / "home")
    return Library.open(root / "home" / "library")


def test_the_walk_is_nine_photos_in_arezzo() -> None:
    rows = walk()
    assert len(rows) == 9
    places = locate([(float(r["gps_lat"]), float(r["gps_lon"])) for r in rows])
    assert set(places) == {Place("Arezzo", "Tuscany", "Italy", "IT")}


def test_open_sea_and_wilderness_get_no_place() -> None:
    assert locate([(0.0, -30.0), (-80.0, 0.0)]) == [None, None]
    assert locate([]) == []


@pytest.mark.parametrize(
    "text", ["Italy", "Tuscany", "Arezzo", "Italy 2008", "october 2008", "place:Italy year:2008"]
)
def test_search_by_place_and_date_finds_the_whole_walk(library: Library, text: str) -> None:
    answer = search(library, parse(library, text, datetime(2025, 1, 1)))
    assert sorted(Path(h.path).name for h in answer.hits) == sorted(
        Path(r["file"]).name for r in walk()
    )
    assert {h.place for h in answer.hits} == {"Arezzo, Tuscany, Italy"}


def test_a_place_of_another_country_finds_nothing(library: Library) -> None:
    answer = search(library, parse(library, "place:France", datetime(2025, 1, 1)))
    assert answer.hits == []
    assert answer.notes == [
        "no photo matches all of that; photos matching each part alone — France: 0"
    ]


def test_a_photo_with_no_place_in_reach_is_looked_up_once(tmp_path: Path) -> None:
    """Mid-Atlantic GPS: no place, remembered as such, so later runs do not geocode it again."""
    photos = tmp_path / "photos"
    photos.mkdir()
    with_gps(TESTDATA / "faces/id00/img1.jpg", photos / "at-sea.jpg", 0.0, -30.0)
    roost_json("index", photos, home=tmp_path / "home")
    library = Library.open(tmp_path / "home" / "library")
    assert library.media.count_rows("lat IS NOT NULL") == 1
    assert places_of(library) == {}
    assert update_places(library) == 0
