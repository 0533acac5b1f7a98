"""The structured Query as family devices exchange it: JSON form, structured string, validation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from protocol.query import MAX_TOLERANCE_DAYS, DateRange, Query, QueryError

TEN_YEARS_AGO = DateRange(datetime(2015, 1, 1), datetime(2016, 1, 1), 183, "10 years ago")
FULL = Query(
    subjects=("Alice", "Uncle Bob"),
    only=True,
    taken=TEN_YEARS_AGO,
    places=("New York",),
    text=("beach",),
    unknown_names=("Rob",),
)
FULL_DICT: dict[str, Any] = {
    "v": 1,
    "subjects": ["Alice", "Uncle Bob"],
    "only": True,
    "taken": {
        "start": "2015-01-01",
        "end": "2016-01-01",
        "tolerance_days": 183,
        "phrase": "10 years ago",
    },
    "places": ["New York"],
    "text": ["beach"],
    "unknown_names": ["Rob"],
}


def test_to_dict() -> None:
    assert FULL.to_dict() == FULL_DICT


def test_from_dict() -> None:
    query = Query.from_dict(FULL_DICT)
    assert query == FULL
    assert query.taken is not None and query.taken.phrase == "10 years ago"


@pytest.mark.parametrize(
    "query",
    [
        FULL,
        Query(subjects=("Alice",)),
        Query(places=("Paris",), taken=DateRange(datetime(2018, 1, 1), None)),
        Query(taken=DateRange(None, datetime(2010, 1, 1), phrase="before 2010")),
        Query(text=("sun set",)),
        Query(only=True, unknown_names=("Grandpa Joe",)),
    ],
)
def test_json_round_trip(query: Query) -> None:
    wire = json.dumps(query.to_dict())
    assert Query.from_dict(json.loads(wire)) == query


@pytest.mark.parametrize(
    ("query", "structured"),
    [
        (
            FULL,
            'person:Alice person:"Uncle Bob" person:Rob only:true after:2015-01-01 '
            'before:2016-01-01 tolerance:183d place:"New York" text:beach',
        ),
        (Query(subjects=("Alice",)), "person:Alice"),
        (Query(taken=DateRange(datetime(2018, 1, 1), None)), "after:2018-01-01"),
        (Query(taken=DateRange(None, datetime(2010, 1, 1))), "before:2010-01-01"),
        (Query(subjects=("Tom & Jerry",)), 'person:"Tom & Jerry"'),
        (Query(places=("Smith, John",)), 'place:"Smith, John"'),
        (Query(unknown_names=("O'Brien",)), "person:O'Brien"),
        (Query(text=("10:30",)), "text:10:30"),
    ],
)
def test_to_structured_string(query: Query, structured: str) -> None:
    assert query.to_structured_string() == structured


def test_the_phrase_is_not_part_of_the_meaning() -> None:
    typed = DateRange(datetime(2019, 1, 1), datetime(2020, 1, 1), phrase="2019")
    scripted = DateRange(datetime(2019, 1, 1), datetime(2020, 1, 1), phrase="year:2019")
    assert typed == scripted
    assert hash(typed) == hash(scripted)


@pytest.mark.parametrize(
    ("taken", "widened"),
    [
        (TEN_YEARS_AGO, DateRange(datetime(2014, 7, 2), datetime(2016, 7, 2))),
        (DateRange(None, datetime(2010, 1, 1), 10), DateRange(None, datetime(2010, 1, 11))),
        (DateRange(datetime(2018, 1, 1), None), DateRange(datetime(2018, 1, 1), None)),
        # past the first or last day a date holds: stops there (once an OverflowError)
        (DateRange(datetime(1, 1, 15), None, 30), DateRange(datetime(1, 1, 1), None)),
        (DateRange(None, datetime(9999, 12, 20), 30), DateRange(None, datetime(9999, 12, 31))),
        (
            DateRange(datetime(1, 2, 1), datetime(9999, 1, 1), MAX_TOLERANCE_DAYS),
            DateRange(datetime(1, 1, 1), datetime(9999, 12, 31)),
        ),
    ],
)
def test_widened_spends_the_tolerance_on_both_edges(taken: DateRange, widened: DateRange) -> None:
    assert taken.widened() == widened


@pytest.mark.parametrize(
    ("start", "end", "tolerance_days", "message"),
    [
        (None, None, 0, "needs a start, an end or both"),
        (datetime(2016, 1, 1), datetime(2015, 1, 1), 0, r"ends \(2015-01-01\) before it starts"),
        (datetime(2015, 1, 1), datetime(2015, 1, 1), 0, "before it starts"),
        (datetime(2015, 1, 1, 12), None, 0, "whole local days"),
        (datetime(2015, 1, 1, tzinfo=timezone(timedelta(hours=1))), None, 0, "whole local days"),
        (datetime(2015, 1, 1), None, -1, "must not be negative"),
        (datetime(2015, 1, 1), None, MAX_TOLERANCE_DAYS + 1, "is at most 9999"),
    ],
)
def test_bad_date_ranges(
    start: datetime | None, end: datetime | None, tolerance_days: int, message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        DateRange(start, end, tolerance_days)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "empty query: say who, when or where"),
        ({"only": True}, "'only' needs at least one person"),
        ({"only": True, "places": ("Paris",)}, "'only' needs at least one person"),
        ({"subjects": ("",)}, "must be non-empty"),
        ({"places": (" Paris",)}, "trimmed"),
        ({"unknown_names": ('Bob "the builder"',)}, "free of double quotes"),
    ],
)
def test_bad_queries(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        Query(**fields)


def _changed(**changes: Any) -> dict[str, Any]:
    return {**FULL_DICT, **changes}


def _changed_taken(**changes: Any) -> dict[str, Any]:
    return _changed(taken={**FULL_DICT["taken"], **changes})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "query must be a JSON object, not list"),
        ({key: value for key, value in FULL_DICT.items() if key != "text"}, "query lacks text"),
        (_changed(limit=10), "query has unexpected limit"),
        (_changed(v=2), "unsupported query version 2"),
        (_changed(v=True), "unsupported query version True"),
        (_changed(v="1"), "unsupported query version '1'"),
        (_changed(subjects="Alice"), "query.subjects must be a list of strings"),
        (_changed(places=[1]), "query.places must be a list of strings"),
        (_changed(only="yes"), "query.only must be true or false"),
        (_changed(taken="2015"), "taken must be a JSON object, not str"),
        (_changed_taken(start="2015-13-01"), "taken.start is not a YYYY-MM-DD date"),
        (_changed_taken(end=2016), "taken.end must be a YYYY-MM-DD date or null"),
        (_changed_taken(start="2016-01-01", end="2015-01-01"), "before it starts"),
        (_changed_taken(start=None, end=None), "needs a start, an end or both"),
        (_changed_taken(tolerance_days="183"), "taken.tolerance_days must be an integer"),
        (_changed_taken(tolerance_days=True), "taken.tolerance_days must be an integer"),
        (_changed_taken(tolerance_days=-1), "must not be negative"),
        (_changed_taken(tolerance_days=10**12), "is at most 9999"),  # once an OverflowError
        (_changed_taken(phrase=None), "taken.phrase must be a string"),
        (_changed_taken(surprise=1), "taken has unexpected surprise"),
        (_changed(subjects=[""]), "must be non-empty"),
        (
            _changed(subjects=[], only=False, taken=None, places=[], text=[], unknown_names=[]),
            "empty query",
        ),
    ],
)
def test_from_dict_refuses_what_it_does_not_understand(data: object, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        Query.from_dict(data)
