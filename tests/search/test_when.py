"""Time phrases against a fixed `now`: Monday 10 March 2025, 14:30."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import overload

import pytest

from node.search import QueryError, parse_when
from node.search.tokens import Word, split_words
from node.search.when import match_when
from protocol.query import DateRange

NOW = datetime(2025, 3, 10, 14, 30)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        # years, months, days
        ("2019", datetime(2019, 1, 1), datetime(2020, 1, 1)),
        ("July 2019", datetime(2019, 7, 1), datetime(2019, 8, 1)),
        ("jul 2019", datetime(2019, 7, 1), datetime(2019, 8, 1)),
        ("JULY 2019", datetime(2019, 7, 1), datetime(2019, 8, 1)),
        ("2019-07", datetime(2019, 7, 1), datetime(2019, 8, 1)),
        ("sept 2019", datetime(2019, 9, 1), datetime(2019, 10, 1)),
        ("December 2019", datetime(2019, 12, 1), datetime(2020, 1, 1)),
        ("2019-07-04", datetime(2019, 7, 4), datetime(2019, 7, 5)),
        ("2020-02-29", datetime(2020, 2, 29), datetime(2020, 3, 1)),
        # seasons: meteorological, northern hemisphere
        ("spring 2015", datetime(2015, 3, 1), datetime(2015, 6, 1)),
        ("summer 2015", datetime(2015, 6, 1), datetime(2015, 9, 1)),
        ("autumn 2015", datetime(2015, 9, 1), datetime(2015, 12, 1)),
        ("fall 2015", datetime(2015, 9, 1), datetime(2015, 12, 1)),
        ("winter 2015", datetime(2015, 12, 1), datetime(2016, 3, 1)),
        ("Summer 2015", datetime(2015, 6, 1), datetime(2015, 9, 1)),
        # spans include both ends
        ("2015 to 2017", datetime(2015, 1, 1), datetime(2018, 1, 1)),
        ("between 2015 and 2017", datetime(2015, 1, 1), datetime(2018, 1, 1)),
        ("2015-2017", datetime(2015, 1, 1), datetime(2018, 1, 1)),
        ("2015\u20132017", datetime(2015, 1, 1), datetime(2018, 1, 1)),
        ("2015 - 2017", datetime(2015, 1, 1), datetime(2018, 1, 1)),
        ("from 2015 until 2017", datetime(2015, 1, 1), datetime(2018, 1, 1)),
        ("2015 through 2015", datetime(2015, 1, 1), datetime(2016, 1, 1)),
        ("from July 2019 to March 2020", datetime(2019, 7, 1), datetime(2020, 4, 1)),
        ("between summer 2015 and 2016", datetime(2015, 6, 1), datetime(2017, 1, 1)),
        # decades
        ("the 2010s", datetime(2010, 1, 1), datetime(2020, 1, 1)),
        ("2010s", datetime(2010, 1, 1), datetime(2020, 1, 1)),
        ("2010's", datetime(2010, 1, 1), datetime(2020, 1, 1)),
        ("the 90s", datetime(1990, 1, 1), datetime(2000, 1, 1)),
        ("'90s", datetime(1990, 1, 1), datetime(2000, 1, 1)),
        ("90's", datetime(1990, 1, 1), datetime(2000, 1, 1)),
        ("the 00s", datetime(2000, 1, 1), datetime(2010, 1, 1)),
        ("the 20s", datetime(2020, 1, 1), datetime(2030, 1, 1)),
        ("the 30s", datetime(1930, 1, 1), datetime(1940, 1, 1)),
        # relative to Monday 10 March 2025, exact
        ("today", datetime(2025, 3, 10), datetime(2025, 3, 11)),
        ("yesterday", datetime(2025, 3, 9), datetime(2025, 3, 10)),
        ("this week", datetime(2025, 3, 10), datetime(2025, 3, 17)),
        ("last week", datetime(2025, 3, 3), datetime(2025, 3, 10)),
        ("this month", datetime(2025, 3, 1), datetime(2025, 4, 1)),
        ("last month", datetime(2025, 2, 1), datetime(2025, 3, 1)),
        ("this year", datetime(2025, 1, 1), datetime(2026, 1, 1)),
        ("last year", datetime(2024, 1, 1), datetime(2025, 1, 1)),
        ("last summer", datetime(2024, 6, 1), datetime(2024, 9, 1)),
        ("last spring", datetime(2024, 3, 1), datetime(2024, 6, 1)),
        ("last winter", datetime(2024, 12, 1), datetime(2025, 3, 1)),
        # several phrases narrow each other
        ("after 2015 before 2018", datetime(2016, 1, 1), datetime(2018, 1, 1)),
        ("summer 2015 2015", datetime(2015, 6, 1), datetime(2015, 9, 1)),
    ],
)
def test_exact_phrases(phrase: str, start: datetime, end: datetime) -> None:
    assert parse_when(phrase, NOW) == DateRange(start, end, tolerance_days=0)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("since 2018", DateRange(datetime(2018, 1, 1), None)),
        ("since March 2016", DateRange(datetime(2016, 3, 1), None)),
        ("after March 2016", DateRange(datetime(2016, 4, 1), None)),
        ("after 2019-07-04", DateRange(datetime(2019, 7, 5), None)),
        ("after 2015", DateRange(datetime(2016, 1, 1), None)),
        ("before 2010", DateRange(None, datetime(2010, 1, 1))),
        ("before summer 2015", DateRange(None, datetime(2015, 6, 1))),
        ("since yesterday", DateRange(datetime(2025, 3, 9), None)),
    ],
)
def test_open_ranges(phrase: str, expected: DateRange) -> None:
    assert parse_when(phrase, NOW) == expected


@pytest.mark.parametrize(
    ("phrase", "start", "end", "tolerance_days"),
    [
        ("10 years ago", datetime(2015, 1, 1), datetime(2016, 1, 1), 183),
        ("ten years ago", datetime(2015, 1, 1), datetime(2016, 1, 1), 183),
        ("a year ago", datetime(2024, 1, 1), datetime(2025, 1, 1), 183),
        ("one year ago", datetime(2024, 1, 1), datetime(2025, 1, 1), 183),
        ("2 months ago", datetime(2025, 1, 1), datetime(2025, 2, 1), 15),
        ("three months ago", datetime(2024, 12, 1), datetime(2025, 1, 1), 15),
        ("14 months ago", datetime(2024, 1, 1), datetime(2024, 2, 1), 15),
        ("a month ago", datetime(2025, 2, 1), datetime(2025, 3, 1), 15),
        ("2 weeks ago", datetime(2025, 2, 24), datetime(2025, 3, 3), 3),
        ("3 days ago", datetime(2025, 3, 7), datetime(2025, 3, 8), 1),
        ("twenty days ago", datetime(2025, 2, 18), datetime(2025, 2, 19), 1),
        ("since 10 years ago", datetime(2015, 1, 1), None, 183),
        ("from 10 years ago to 2019", datetime(2015, 1, 1), datetime(2020, 1, 1), 183),
        # an exact bound beside a fuzzy phrase keeps the narrower, exact tolerance
        ("10 years ago after March 2015", datetime(2015, 4, 1), datetime(2016, 1, 1), 0),
    ],
)
def test_fuzzy_phrases_carry_a_tolerance(
    phrase: str, start: datetime, end: datetime | None, tolerance_days: int
) -> None:
    assert parse_when(phrase, NOW) == DateRange(start, end, tolerance_days)


@pytest.mark.parametrize(
    ("now", "phrase", "start", "end"),
    [
        # "last summer" is the latest summer that has ended
        (datetime(2025, 8, 31, 23, 59), "last summer", datetime(2024, 6, 1), datetime(2024, 9, 1)),
        (datetime(2025, 9, 1, 0, 1), "last summer", datetime(2025, 6, 1), datetime(2025, 9, 1)),
        (datetime(2026, 1, 15), "last winter", datetime(2024, 12, 1), datetime(2025, 3, 1)),
        (datetime(2026, 3, 1), "last winter", datetime(2025, 12, 1), datetime(2026, 3, 1)),
        # "this summer" is this year's; "this winter" in January is the one under way
        (datetime(2025, 3, 10), "this summer", datetime(2025, 6, 1), datetime(2025, 9, 1)),
        (datetime(2025, 10, 1), "this winter", datetime(2025, 12, 1), datetime(2026, 3, 1)),
        (datetime(2026, 1, 15), "this winter", datetime(2025, 12, 1), datetime(2026, 3, 1)),
        # calendar arithmetic across year ends and leap days
        (datetime(2025, 1, 15), "last month", datetime(2024, 12, 1), datetime(2025, 1, 1)),
        (datetime(2025, 1, 1), "yesterday", datetime(2024, 12, 31), datetime(2025, 1, 1)),
        (datetime(2024, 3, 1), "yesterday", datetime(2024, 2, 29), datetime(2024, 3, 1)),
        (datetime(2025, 3, 16, 23), "this week", datetime(2025, 3, 10), datetime(2025, 3, 17)),
        # two-digit decades follow now
        (datetime(2019, 6, 1), "the 20s", datetime(1920, 1, 1), datetime(1930, 1, 1)),
    ],
)
def test_relative_phrases_follow_now(
    now: datetime, phrase: str, start: datetime, end: datetime
) -> None:
    assert parse_when(phrase, now) == DateRange(start, end)


def test_the_phrase_is_kept_as_typed() -> None:
    assert parse_when("10 Years Ago", NOW).phrase == "10 Years Ago"
    assert parse_when("after 2015 before 2018", NOW).phrase == "after 2015 before 2018"


def test_only_the_wall_clock_date_of_now_counts() -> None:
    tokyo = timezone(timedelta(hours=9))
    aware = datetime(2025, 3, 10, 1, 0, tzinfo=tokyo)
    assert parse_when("yesterday", aware) == DateRange(datetime(2025, 3, 9), datetime(2025, 3, 10))


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("before 2010 after 2015", "'before 2010' and 'after 2015' contradict each other"),
        ("2015 2017", "'2015' and '2017' contradict each other"),
        ("2017 to 2015", "'2017 to 2015' ends before it starts"),
        ("2017-2015", "'2017-2015' ends before it starts"),
        ("3019", "3019 is not a plausible year"),
        ("summer 1799", "1799 is not a plausible year"),
        ("2019-13", "2019-13 is not a month"),
        ("2019-02-30", "2019-02-30 is not a date"),
        ("summer", "'summer' is no date"),
        ("Alice 2019", "'Alice' is no date"),
        ("", "empty time phrase"),
    ],
)
def test_bad_phrases_are_refused_with_a_reason(phrase: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_when(phrase, NOW)


class CountingWords(Sequence[Word]):
    """Words that count how many times one of them is read."""

    def __init__(self, words: list[Word]) -> None:
        self._words = words
        self.reads = 0

    def __len__(self) -> int:
        return len(self._words)

    @overload
    def __getitem__(self, i: int) -> Word: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Word]: ...
    def __getitem__(self, i: int | slice) -> Word | Sequence[Word]:
        found = self._words[i]
        self.reads += len(found) if isinstance(found, list) else 1
        return found


@pytest.mark.parametrize("text", ["the Xy 1 last to and", "between 2015 and 2017 summer 2019 ago"])
def test_a_long_query_is_read_in_work_linear_in_its_words(text: str) -> None:
    """Trying the date rules at every word reads a few words each time, never the whole query:
    a fuzzed 4 KB query once made every word read all the others (quadratic)."""
    reads = []
    for repeat in (50, 200):
        words = CountingWords(split_words(" ".join([text] * repeat)))
        for start in range(len(words)):
            with contextlib.suppress(QueryError):  # a date phrase that is wrong: read all the same
                match_when(words, start, NOW)
        reads.append(words.reads / len(words))
    assert reads[1] <= reads[0] * 1.1 and reads[0] < 12
