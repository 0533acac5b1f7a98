"""Searching the real album by who, when and where, with answers written by hand.

Who: Alice is id00 (named from one face: the rest of her cluster is assigned by Roost, including
her face in couple.jpg, checked by eye), Dave the other face in couple.jpg, Bob is id04 and June
id08 (each named as a cluster), Scooby the dog. When and where: see tests/albums.py.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from node.library.store import Library
from node.people import edits
from node.people.clusters import read_clusters
from node.search import QueryError
from node.search.family import search_family
from node.search.run import Answer, Hit, parse, search
from protocol.query import DateRange, Query
from tests.albums import FILE_DATE, Album, copy_home

NOW = datetime(2025, 3, 10, 14, 30)
ALICE = [f"faces/id00/img{n}.jpg" for n in (1, 10, 11, 2, 4, 5, 6, 7)]
COUPLE = "multi_face/couple.jpg"
DOG = "pets/dogs/shiba_inu/shiba_inu_147.jpg"


@pytest.fixture(scope="module")
def library(album: Album, tmp_path_factory: pytest.TempPathFactory) -> Library:
    home = copy_home(album, tmp_path_factory.mktemp("search") / "home")
    library = Library.open(home / "library")
    clusters = read_clusters(library)
    edits.name(library, album.face_of("faces/id00/img1.jpg"), "Alice")
    couple = library.file(str(album.path(COUPLE)))
    assert couple is not None
    (dave,) = [
        f["id"] for f in library.faces_of(couple["hash"], []) if f["id"] != album.face_of(COUPLE)
    ]
    edits.name(library, dave, "Dave")
    edits.name(library, str(clusters[album.face_of("faces/id04/img13.jpg")]), "Bob")
    edits.name(library, str(clusters[album.face_of("faces/id08/img39.jpg")]), "June")
    edits.name(library, album.face_of(DOG), "Scooby", pet=True)
    return library


def ask(library: Library, text: str, now: datetime = NOW) -> Answer[Hit]:
    return search(library, parse(library, text, now))


def found(album: Album, answer: Answer[Hit]) -> list[str]:
    return sorted(album.relative(hit.path) for hit in answer.hits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # people and pets, AND, only
        ("Alice", sorted([*ALICE, COUPLE])),
        ("alice and dave", [COUPLE]),
        ("Dave", [COUPLE]),
        ("only Alice", sorted(ALICE)),
        ("Bob", [f"faces/id04/img{n}.jpg" for n in (13, 14, 15, 57, 58)]),
        ("Scooby", [DOG]),
        ("pet:Scooby", [DOG]),
        ("June in 2012", ["faces/id08/img39.jpg"]),
        # time (EXIF and IPTC dates; every other photo is dated by its file: 2023-06-15)
        ("Alice 2019", ["faces/id00/img1.jpg"]),
        ("2019", ["faces/id00/img1.jpg", "faces/id01/img26.jpg"]),
        ("summer 2019", ["faces/id00/img1.jpg"]),
        ("March 2019", ["faces/id01/img26.jpg"]),
        ("2019-07", ["faces/id00/img1.jpg"]),
        ("spring 2016", ["faces/id05/img61.jpg"]),
        ("Bob 2018", ["faces/id04/img13.jpg"]),
        ("2018", ["faces/id03/img3.jpg", "faces/id04/img13.jpg"]),
        (
            "between 2015 and 2017",
            [
                "faces/id04/img14.jpg",
                "faces/id05/img61.jpg",
                "faces/id08/img41.jpg",
                "faces/id09/img19.jpg",
            ],
        ),
        ("before 2013", ["faces/id08/img39.jpg"]),
        ("Scooby summer 2023", [DOG]),
        # place (GPS written into the copies' EXIF)
        ("Paris", ["faces/id00/img2.jpg", "faces/id00/img4.jpg"]),
        ("Alice in Paris", ["faces/id00/img2.jpg", "faces/id00/img4.jpg"]),
        ("Ile-de-France", ["faces/id00/img2.jpg", "faces/id00/img4.jpg"]),
        ("France", ["faces/id00/img2.jpg", "faces/id00/img4.jpg", "faces/id04/img14.jpg"]),
        ("Bob in France 2016", ["faces/id04/img14.jpg"]),
        ("Lyon", ["faces/id04/img14.jpg"]),
        ("Italy", ["faces/id05/img16.jpg"]),
        ("Rome in 2023", ["faces/id05/img16.jpg"]),
        # the structured form, for scripts
        ("person:Alice year:2019", ["faces/id00/img1.jpg"]),
        ("after:2018-01-01 before:2019-01-01", ["faces/id03/img3.jpg", "faces/id04/img13.jpg"]),
        ("place:France person:Bob", ["faces/id04/img14.jpg"]),
        ("person:Alice only:true place:Paris", ["faces/id00/img2.jpg", "faces/id00/img4.jpg"]),
    ],
)
def test_finds_exactly_the_expected_photos(
    album: Album, library: Library, text: str, expected: list[str]
) -> None:
    assert found(album, ask(library, text)) == sorted(expected)


@pytest.mark.parametrize(
    "taken",
    [
        DateRange(datetime(486, 12, 2), datetime(2013, 1, 1)),  # once refused by LanceDB's SQL
        DateRange(datetime(1, 1, 15), datetime(2012, 12, 2), 30),  # once an OverflowError
    ],
)
def test_a_range_reaching_back_to_the_first_centuries_is_searched(
    album: Album, library: Library, taken: DateRange
) -> None:
    """Typed years lie in 1800-2199, but a peer's query may carry any date a date can hold."""
    assert found(album, search(library, Query(taken=taken))) == ["faces/id08/img39.jpg"]


def test_hits_carry_media_date_place_and_people(album: Album, library: Library) -> None:
    (paris, _) = sorted(ask(library, "Alice in Paris").hits, key=lambda h: h.path)
    assert album.relative(paris.path) == "faces/id00/img2.jpg"
    assert paris.place == "Paris, Ile-de-France, France"
    assert paris.people == ("Alice",)
    assert paris.taken_at.startswith(FILE_DATE.date().isoformat())
    (couple,) = ask(library, "Dave").hits
    assert couple.people == ("Alice", "Dave")
    assert couple.place is None
    assert len(paris.media) == 64 and paris.media != couple.media


def test_confirmed_faces_rank_above_assigned_ones(album: Album, library: Library) -> None:
    hits = ask(library, "Alice").hits
    assert album.relative(hits[0].path) == "faces/id00/img1.jpg"  # the face the user named
    assert hits[0].score == 1.0
    assert all(0.99 <= hit.score < 1.0 for hit in hits[1:])


def test_a_fuzzy_date_reaches_past_its_year_and_ranks_those_photos_lower(
    album: Album, library: Library
) -> None:
    answer = ask(library, "10 years ago", now=datetime(2029, 8, 1))  # 2019, ± 183 days
    scores = {album.relative(hit.path): hit.score for hit in answer.hits}
    assert scores == {
        "faces/id00/img1.jpg": 1.0,
        "faces/id01/img26.jpg": 1.0,
        "faces/id03/img3.jpg": 0.5,  # 2018-11-27
        "faces/id04/img13.jpg": 0.5,  # 2018-09-18
    }
    assert [hit.score for hit in answer.hits] == [1.0, 1.0, 0.5, 0.5]


def test_relative_dates_are_read_against_now(album: Album, library: Library) -> None:
    assert found(album, ask(library, "Alice last summer", now=datetime(2019, 9, 1))) == [
        "faces/id00/img1.jpg"
    ]


def test_unknown_names_are_reported_and_match_nothing(library: Library) -> None:
    answer = ask(library, "Alice and Zed")
    assert answer.hits == [] and answer.query.unknown_names == ("Zed",)
    assert "Zed" in answer.notes[0] and "roost name" in answer.notes[0]
    assert answer.unknown == ("Zed",)


def test_an_empty_answer_says_what_each_part_matches(library: Library) -> None:
    answer = ask(library, "Alice 2012")
    assert answer.hits == []
    assert answer.notes == [
        "no photo matches all of that; photos matching each part alone — Alice: 9, 2012: 1"
    ]
    (note,) = ask(library, "only Dave").notes
    assert "Dave: 1" in note and "'only' leaves out" in note
    assert ask(library, "June 2012").hits == []  # the month, not June the person


def test_scene_words_are_reported_not_silently_dropped(album: Album, library: Library) -> None:
    answer = ask(library, "Alice at the beach 2019")
    assert found(album, answer) == ["faces/id00/img1.jpg"]
    (note,) = answer.notes  # the album was indexed without the vision models
    assert note.startswith(
        "scene words (beach) cannot be searched on this device: no photo here has been analysed"
    )
    alone = ask(library, "beach")
    assert alone.hits == [] and alone.notes


def test_contradictory_dates_are_an_error(library: Library) -> None:
    with pytest.raises(QueryError, match="contradict"):
        parse(library, "2019 before 2010", NOW)


def test_the_answer_as_json(library: Library) -> None:
    query = parse(library, "Alice 2019", NOW)
    answer = search_family(library, query, None, local=True).to_json()
    assert set(answer) == {"query", "hits", "devices", "unknown_names", "total", "notes"}
    assert answer["query"]["subjects"] == ["Alice"]
    assert answer["query"]["taken"]["start"] == "2019-01-01"
    (hit,) = answer["hits"]
    assert set(hit) == {
        "device_id", "device", "media", "taken_at", "place", "people", "score", "also_on", "path",
        "kind", "duration", "spans",
    }  # fmt: skip
    (here,) = answer["devices"]
    assert (here["answered"], here["hits"], here["error"]) == (True, 1, None)
    assert hit["device_id"] == here["id"]
    assert hit["people"] == ["Alice"] and hit["taken_at"].startswith("2019-07-20")
    assert (hit["kind"], hit["duration"], hit["spans"]) == ("photo", None, [])


def test_limit_keeps_the_best(library: Library) -> None:
    answer = search(library, parse(library, "Alice", NOW), limit=3)
    assert (len(answer.hits), answer.total) == (3, 9)


def test_a_date_written_after_a_search_is_searched_by_the_same_process(
    album: Album, tmp_path: Path
) -> None:
    """The dates a process holds (`node.search.dates`) are read again once the media table
    has a new version: a running node answers with what an index run wrote since."""
    library = Library.open(copy_home(album, tmp_path / "home") / "library")
    assert ask(library, "1999").hits == []
    record = library.file(str(album.path(DOG)))
    assert record is not None
    library.media.update(
        where=f"hash = '{record['hash']}'",
        values={"taken_local": datetime(1999, 6, 1, 12), "taken_at": "1999-06-01T12:00:00"},
    )
    assert found(album, ask(library, "1999")) == [DOG]
