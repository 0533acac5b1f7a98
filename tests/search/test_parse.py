"""The query language end to end: names, places, dates, fields, and the errors users will meet."""

from __future__ import annotations

from datetime import datetime

import pytest

from node.search import QueryError, parse_query
from protocol.errors import RoostError
from protocol.query import DateRange, Query

NOW = datetime(2025, 3, 10, 14, 30)  # a Monday
NAMES = ("Alice", "Bob", "Uncle Bob", "Grandpa Joe", "Scooby", "June")
PLACES = ("Paris", "Italy", "New York", "France", "St. Louis")

YEAR_2015 = DateRange(datetime(2015, 1, 1), datetime(2016, 1, 1))
YEAR_2019 = DateRange(datetime(2019, 1, 1), datetime(2020, 1, 1))
JULY_2019 = DateRange(datetime(2019, 7, 1), datetime(2019, 8, 1))
YEARS_2015_TO_2017 = DateRange(datetime(2015, 1, 1), datetime(2018, 1, 1))
THE_90S = DateRange(datetime(1990, 1, 1), datetime(2000, 1, 1))
THE_2010S = DateRange(datetime(2010, 1, 1), datetime(2020, 1, 1))


def parse(text: str) -> Query:
    return parse_query(text, known_names=NAMES, known_places=PLACES, now=NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alice", Query(subjects=("Alice",))),
        ("ALICE", Query(subjects=("Alice",))),
        ("Alice and Bob", Query(subjects=("Alice", "Bob"))),
        ("Alice with Bob", Query(subjects=("Alice", "Bob"))),
        ("Alice & Bob", Query(subjects=("Alice", "Bob"))),
        ("Alice&Bob", Query(subjects=("Alice", "Bob"))),
        ("Alice - Bob", Query(subjects=("Alice", "Bob"))),
        ("Bob, Alice", Query(subjects=("Alice", "Bob"))),
        ("photos of Alice and Bob", Query(subjects=("Alice", "Bob"))),
        ("pictures of bob and alice", Query(subjects=("Alice", "Bob"))),
        ("Alice and alice", Query(subjects=("Alice",))),
        ("only Alice", Query(subjects=("Alice",), only=True)),
        ("Alice alone", Query(subjects=("Alice",), only=True)),
        ("just Alice and Bob", Query(subjects=("Alice", "Bob"), only=True)),
        ("Uncle Bob", Query(subjects=("Uncle Bob",))),
        ("uncle bob and grandpa joe", Query(subjects=("Grandpa Joe", "Uncle Bob"))),
        ("Uncle Bob and Bob", Query(subjects=("Bob", "Uncle Bob"))),
        ("Alice playing with Scooby", Query(subjects=("Alice", "Scooby"))),
        ('"uncle bob"', Query(subjects=("Uncle Bob",))),
        ("Alice's birthday", Query(subjects=("Alice",), text=("birthday",))),
        ("pet:Scooby", Query(subjects=("Scooby",))),
        ("person:scooby", Query(subjects=("Scooby",))),
        ('person:"Uncle Bob"', Query(subjects=("Uncle Bob",))),
    ],
)
def test_people_and_pets(text: str, expected: Query) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a capitalised word nothing explains is a name nobody has labelled, and is reported
        ("Alice and Rob", Query(subjects=("Alice",), unknown_names=("Rob",))),
        ("Alice with Uncle Rob", Query(subjects=("Alice",), unknown_names=("Uncle Rob",))),
        ("Rob and Jim", Query(unknown_names=("Jim", "Rob"))),
        ("Rob's birthday", Query(text=("birthday",), unknown_names=("Rob",))),
        ("only Rob", Query(only=True, unknown_names=("Rob",))),
        ("Beach Alice", Query(subjects=("Alice",), unknown_names=("Beach",))),
        # quotes and fields always mean a name, whatever the case
        ('"rob" at the beach', Query(text=("beach",), unknown_names=("rob",))),
        ("person:Rob", Query(unknown_names=("Rob",))),
        ('pet:"Mr Whiskers"', Query(unknown_names=("Mr Whiskers",))),
        # a lower-case word nothing explains is kept for scene search
        ("Alice at the beach", Query(subjects=("Alice",), text=("beach",))),
        ("birthday cake", Query(text=("birthday", "cake"))),
        ("text:beach", Query(text=("beach",))),
        ('text:"sun set"', Query(text=("sun set",))),
    ],
)
def test_unknown_words_are_reported_not_dropped(text: str, expected: Query) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paris", Query(places=("Paris",))),
        ("in Paris", Query(places=("Paris",))),
        ("in PARIS", Query(places=("Paris",))),
        ("Alice in Italy", Query(subjects=("Alice",), places=("Italy",))),
        ("new york", Query(places=("New York",))),
        ("Paris, France", Query(places=("France", "Paris"))),
        ("St. Louis", Query(places=("St. Louis",))),
        ("place:paris", Query(places=("Paris",))),
        ('place:"new york"', Query(places=("New York",))),
        # another family device may know a place this one does not
        ("place:Atlantis", Query(places=("Atlantis",))),
    ],
)
def test_places(text: str, expected: Query) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Alice playing with Scooby 10 years ago",
            Query(
                subjects=("Alice", "Scooby"),
                taken=DateRange(datetime(2015, 1, 1), datetime(2016, 1, 1), 183),
            ),
        ),
        (
            "Alice in Paris in July 2019",
            Query(subjects=("Alice",), places=("Paris",), taken=JULY_2019),
        ),
        ("in the 2010s", Query(taken=THE_2010S)),
        ("Alice in the 90s", Query(subjects=("Alice",), taken=THE_90S)),
        ("photos from 2019", Query(taken=YEAR_2019)),
        ("between 2015 and 2017 with Bob", Query(subjects=("Bob",), taken=YEARS_2015_TO_2017)),
        ("last summer", Query(taken=DateRange(datetime(2024, 6, 1), datetime(2024, 9, 1)))),
        ("year:2019", Query(taken=YEAR_2019)),
        ("month:2019-07", Query(taken=JULY_2019)),
        ("after:2015-01-01", Query(taken=DateRange(datetime(2015, 1, 1), None))),
        ("before:2016-01-01", Query(taken=DateRange(None, datetime(2016, 1, 1)))),
        ("after:2015-01-01 before:2016-01-01", Query(taken=YEAR_2015)),
        (
            "year:2019 tolerance:30d",
            Query(taken=DateRange(datetime(2019, 1, 1), datetime(2020, 1, 1), 30)),
        ),
        (
            "after 2015 before:2018-01-01",
            Query(taken=DateRange(datetime(2016, 1, 1), datetime(2018, 1, 1))),
        ),
    ],
)
def test_dates(text: str, expected: Query) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the longest match wins: two words of date beat one word of name ...
        ("June 2019", Query(taken=DateRange(datetime(2019, 6, 1), datetime(2019, 7, 1)))),
        # ... and a name beats a date or place of the same length
        ("June in 2019", Query(subjects=("June",), taken=YEAR_2019)),
        ("june", Query(subjects=("June",))),
        ("Uncle Bob in New York", Query(subjects=("Uncle Bob",), places=("New York",))),
    ],
)
def test_longest_match_then_person_place_time(text: str, expected: Query) -> None:
    assert parse(text) == expected


def test_the_structured_form() -> None:
    text = (
        'person:Alice person:"Uncle Bob" only:true after:2015-01-01 before:2016-01-01 place:Paris'
    )
    assert parse(text) == Query(
        subjects=("Alice", "Uncle Bob"), only=True, taken=YEAR_2015, places=("Paris",)
    )


def test_structured_and_natural_mix() -> None:
    assert parse("Alice person:Bob in Paris year:2019 only:false") == Query(
        subjects=("Alice", "Bob"), places=("Paris",), taken=YEAR_2019
    )


@pytest.mark.parametrize(
    ("natural", "structured"),
    [
        (
            "photos of Alice and Bob in Paris in summer 2015",
            "person:Bob person:Alice place:Paris after:2015-06-01 before:2015-09-01",
        ),
        ("July 2019", "month:2019-07"),
        ("jul 2019", "after:2019-07-01 before:2019-08-01"),
        ("2019", "year:2019"),
        ("only Uncle Bob", 'person:"uncle bob" only:true'),
        ("Scooby", "pet:Scooby"),
        ("Alice 10 years ago", "person:Alice after:2015-01-01 before:2016-01-01 tolerance:183d"),
        ("since 2018", "after:2018-01-01"),
        ("before 2010", "before:2010-01-01"),
        ("Rob at the beach", "person:Rob text:beach"),
    ],
)
def test_a_meaning_written_either_way_is_one_query(natural: str, structured: str) -> None:
    assert parse(natural) == parse(structured)


@pytest.mark.parametrize(
    ("natural", "structured"),
    [
        ("Alice", "person:Alice"),
        ("only Alice and Scooby", "person:Alice person:Scooby only:true"),
        (
            "Alice with Uncle Rob in New York last summer",
            'person:Alice person:"Uncle Rob" after:2024-06-01 before:2024-09-01 place:"New York"',
        ),
        (
            "Grandpa Joe 2 months ago at the beach",
            'person:"Grandpa Joe" after:2025-01-01 before:2025-02-01 tolerance:15d text:beach',
        ),
        ("since March 2016 in St. Louis", 'after:2016-03-01 place:"St. Louis"'),
    ],
)
def test_natural_renders_as_structured(natural: str, structured: str) -> None:
    assert parse(natural).to_structured_string() == structured


@pytest.mark.parametrize(
    "text",
    [
        "Alice",
        "only Alice and Bob",
        "uncle bob and grandpa joe in new york",
        "Alice with Uncle Rob at the beach",
        "Alice playing with Scooby 10 years ago",
        "Paris, France in the 90s",
        "between July 2019 and March 2020",
        "since 2018",
        "before 2010",
        "winter 2015",
        "yesterday",
        '"O\'Brien" 2019',
        "text:10:30 place:Atlantis year:2019 tolerance:7d",
        "2199",  # its end, before:2200-01-01, lies past the latest plausible year (fuzz)
    ],
)
def test_structured_string_parses_back_to_an_equal_query(text: str) -> None:
    query = parse(text)
    assert parse(query.to_structured_string()) == query


def test_names_and_places_may_come_from_any_iterable() -> None:
    query = parse_query(
        "alice in paris",
        known_names=(name for name in ["Alice"]),
        known_places=iter(["Paris"]),
        now=NOW,
    )
    assert query == Query(subjects=("Alice",), places=("Paris",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty query: say who, when or where"),
        ("   ", "empty query: say who, when or where"),
        ("photos of the", "empty query: say who, when or where"),
        ('"Uncle Bob', "unbalanced quote"),
        ('person:"Uncle Bob', "unbalanced quote"),
        ('Alice ""', "empty quotes"),
        ('person:""', "person: needs a value"),
        ("after:2015-13-45", "after: 2015-13-45 is not a date"),
        ("after:2015", "after: wants YYYY-MM-DD, not '2015'"),
        ("year:19", "year: wants YYYY"),
        ("month:2019-13", "month: 2019-13 is not a month"),
        ("before 2010 after 2015", "'before 2010' and 'after 2015' contradict each other"),
        ("Alice 2015 and 2017", "'2015' and '2017' contradict each other"),
        ("year:2019 month:2020-01", "contradict each other"),
        ("2017 to 2015", "ends before it starts"),
        ("3019", "not a plausible year"),
        ("before:2200-01-02", "before: 2200 is not a plausible year"),
        ("Alice or Bob", "'or' is not understood"),
        ("Alice without Bob", "excluding someone is not supported"),
        ("only", "'only' needs at least one person"),
        ("only:true", "'only' needs at least one person"),
        ("only:maybe", "only: wants true or false"),
        ("colour:red", "unknown field 'colour:'"),
        ("tolerance:3", "tolerance: wants a number of days"),
        ("Alice tolerance:30d", "tolerance: needs a date"),
        ("Alice in July", "'July' needs a year"),
        ("summer", "'summer' needs a year"),
    ],
)
def test_bad_queries_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse(text)


def test_query_errors_are_roost_errors() -> None:
    """The CLI reports them through the one error table, not as a bug's traceback."""
    assert issubclass(QueryError, RoostError) and not issubclass(QueryError, ValueError)
