"""Time phrases: "summer 2015", "10 years ago", "between 2015 and 2017" to a DateRange.

Kept apart from the rest of the query language because it is the only part that depends on
`now`, and because each rule below is a calendar decision worth reading in one place. `now` is
always passed in, never read from the clock, so a query means the same thing in a test as on the
day it was typed; only its wall-clock date is used.

- A year, month ("July 2019", "jul 2019", "2019-07") or day ("2019-07-04") is that whole period.
- Seasons are the northern hemisphere's meteorological ones: spring is March to May, summer June
  to August, autumn (or fall) September to November, and winter December to February, so
  "winter 2015" runs from 1 December 2015 to the end of February 2016.
- Decades: "the 2010s"; a two-digit decade ("the 90s", "'90s") is the latest one that has begun
  by `now`, so "the 20s" said in 2025 is the 2020s and "the 30s" is the 1930s.
- Spans include both ends: "2015 to 2017", "2015-2017", "between 2015 and 2017" and
  "from 2015 until 2017" all run from 1 January 2015 to the end of 2017.
- Open ranges: "since 2018" includes 2018; "after March 2016" starts when March ends (1 April);
  "before 2010" ends when 2010 starts.
- Relative to today: "today", "yesterday"; "this year/month/week" is the current calendar one and
  "last year/month/week" the previous one (weeks start on Monday); "last summer" is the latest
  summer that has ended and "this summer" the one of this year ("this winter" in January is the
  one under way).
- "N years/months/weeks/days ago" (N in digits or words: "10", "ten", "a") is the calendar unit
  that lies N units back, and it is the one fuzzy phrase: people misremember "ten years ago" by
  months, so it carries a tolerance of about half the unit (183 days for years, 15 for months,
  3 for weeks, 1 for days) that a search may reach past the edges. Everything else is exact.
- Typed years must lie in 1800-2199: anything else is taken for a typo and refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from node.search.tokens import Word, split_words
from protocol.query import DateRange, QueryError

EARLIEST_YEAR, LATEST_YEAR = 1800, 2199

_MONTH_NAMES = (
    *("january", "february", "march", "april", "may", "june"),
    *("july", "august", "september", "october", "november", "december"),
)
_MONTHS = {
    **{name: number for number, name in enumerate(_MONTH_NAMES, 1)},
    **{name[:3]: number for number, name in enumerate(_MONTH_NAMES, 1)},
    "sept": 9,
}
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month
# The periods a name and a year make ("July 2019", "summer 2015"): first month and length.
_NAMED_PERIODS = {
    **{name: (month, 1) for name, month in _MONTHS.items()},
    **{name: (month, 3) for name, month in _SEASONS.items()},
}
# Words that name a recurring period: alone they are no date, so the parser asks for a year.
NEEDS_A_YEAR = frozenset(_MONTH_NAMES) | frozenset(_SEASONS)

_NUMBER_WORDS = (
    *("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"),
    *("nineteen", "twenty"),
)
_COUNTS = {"a": 1, "an": 1, **{word: number for number, word in enumerate(_NUMBER_WORDS, 1)}}
_FUZZY_DAYS = {"year": 183, "month": 15, "week": 3, "day": 1}
_UNITS = frozenset(_FUZZY_DAYS)
_DASHES = "-\u2013"  # hyphen and en dash
_SPAN_JOINERS = frozenset({"to", "until", "till", "through", *_DASHES})

_YEAR = re.compile(r"\d{4}")
_YEAR_SPAN = re.compile(rf"(\d{{4}})[{_DASHES}](\d{{4}})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_APOSTROPHES = "'\u2019"  # straight and typographic
_DECADE = re.compile(rf"[{_APOSTROPHES}]?(\d0|\d{{3}}0)[{_APOSTROPHES}]?s")
_COUNT = re.compile(r"\d{1,3}")


@dataclass(frozen=True)
class _Period:
    """A closed stretch of whole days: what a date or a span names before it is opened up."""

    start: datetime
    end: datetime
    tolerance_days: int = 0

    def as_range(self) -> DateRange:
        return DateRange(self.start, self.end, self.tolerance_days)


_Found = tuple[_Period, int]  # what a rule read, and the index of the first word after it


def parse_when(phrase: str, now: datetime) -> DateRange:
    """The dates a time phrase names; several phrases narrow each other ("after 2015 before 2018").

    Every word must belong to a time phrase: this reads dates, not whole queries.
    """
    words = split_words(phrase)
    ranges: list[DateRange] = []
    index = 0
    while index < len(words):
        found = match_when(words, index, now)
        if found is None:
            raise QueryError(f"{phrase!r} is not a time phrase: {words[index].text!r} is no date")
        ranges.append(found[0])
        index += found[1]
    taken = combine(ranges)
    if taken is None:
        raise QueryError("empty time phrase: say when, e.g. 'summer 2015' or '10 years ago'")
    return taken


def match_when(words: Sequence[Word], start: int, now: datetime) -> tuple[DateRange, int] | None:
    """The time phrase that begins at `words[start]` and how many words it spans, if there is one.

    Raises QueryError for a phrase that is clearly meant as a date but is wrong ("2019-13",
    "2017 to 2015").
    """
    today = datetime.combine(now.date(), time())
    found = _open(words, start, today)
    if found is None:
        here = _point(words, start, today)
        closed = _span(words, start, here, today) or here
        if closed is None:
            return None
        found = closed[0].as_range(), closed[1]
    taken, end = found
    phrase = " ".join(word.text for word in words[start:end])
    return replace(taken, phrase=phrase), end - start


def combine(ranges: Sequence[DateRange]) -> DateRange | None:
    """The dates that satisfy every constraint at once; None when there are no constraints.

    A photo has one date, so two time phrases narrow each other. When they cannot overlap the
    query is a mistake, and saying so beats silently finding nothing. The tolerance is the
    smallest of theirs, so that an exact bound stays exact.
    """
    if not ranges:
        return None
    result = ranges[0]
    for other in ranges[1:]:
        start = max((d for d in (result.start, other.start) if d is not None), default=None)
        end = min((d for d in (result.end, other.end) if d is not None), default=None)
        if start is not None and end is not None and start >= end:
            raise QueryError(
                f"{result.phrase!r} and {other.phrase!r} contradict each other: a photo has one "
                "date and none is in both (for a span, say 'from 2015 to 2017')"
            )
        tolerance = min(result.tolerance_days, other.tolerance_days)
        result = DateRange(start, end, tolerance, f"{result.phrase} {other.phrase}")
    return result


def parse_date_field(name: str, value: str) -> DateRange:
    """A date of the structured form: `year:2019`, `month:2019-07`, `after:` or `before:` a day.

    `after:2015-01-01` is the first day included and `before:2016-01-01` the first day excluded:
    the exact edges Query stores, so that a script can write any range it can read back. (The
    natural "after 2015-01-01" instead means after that day, like "after March 2016".)
    """
    read, form = _DATE_FIELDS[name]
    try:
        period = read(value)
    except QueryError as exc:
        raise QueryError(f"{name}: {exc}") from None
    if period is None:
        raise QueryError(f"{name}: wants {form}, not {value!r}")
    phrase = f"{name}:{value}"
    if name == "after":
        return DateRange(period.start, None, phrase=phrase)
    if name == "before":
        return DateRange(None, period.start, phrase=phrase)
    return DateRange(period.start, period.end, phrase=phrase)


def _open(words: Sequence[Word], i: int, today: datetime) -> tuple[DateRange, int] | None:
    """Open ranges: since X, after X, before X."""
    word = _at(words, i)
    if word not in ("since", "after", "before"):
        return None
    found = _point(words, i + 1, today)
    if found is None:
        return None
    period, end = found
    if word == "since":
        return DateRange(period.start, None, period.tolerance_days), end
    if word == "after":
        return DateRange(period.end, None, period.tolerance_days), end
    return DateRange(None, period.start, period.tolerance_days), end


def _span(words: Sequence[Word], i: int, here: _Found | None, today: datetime) -> _Found | None:
    """Closed spans: X to Y, from X until Y, between X and Y; `here` is the point that begins
    at `i` (read once by the caller, which falls back to it), X when there is no opener."""
    opener = _at(words, i)
    first = _point(words, i + 1, today) if opener in ("from", "between") else here
    if first is None:
        return None
    start, middle = first
    joiners = {"and"} if opener == "between" else _SPAN_JOINERS
    if _at(words, middle) not in joiners:
        return None
    last = _point(words, middle + 1, today)
    if last is None:
        return None
    end, after = last
    return _spanning(start, end, " ".join(w.key for w in words[i:after])), after


def _point(words: Sequence[Word], i: int, today: datetime) -> _Found | None:
    """One closed period: a date, a month or season of a year, a decade or a relative phrase."""
    if _at(words, i) == "the":
        i += 1
    word = _at(words, i)
    period = _one_word(word, today)
    if period is not None:
        return period, i + 1
    if word in _NAMED_PERIODS and (year := _year(_at(words, i + 1))) is not None:
        first_month, length = _NAMED_PERIODS[word]
        return _months(year, first_month, length), i + 2
    return _relative(words, i, today)


def _one_word(word: str, today: datetime) -> _Period | None:
    if word == "today":
        return _calendar("day", today, back=0)
    if word == "yesterday":
        return _calendar("day", today, back=1)
    return (
        _year_period(word)
        or _year_span(word)
        or _iso_month(word)
        or _iso_day(word)
        or _decade(word, today)
    )


def _relative(words: Sequence[Word], i: int, today: datetime) -> _Found | None:
    """Relative to today: last year, this month, last summer, 10 years ago, a week ago."""
    word, unit = _at(words, i), _at(words, i + 1)
    if word in ("last", "this") and unit in _UNITS:
        return _calendar(unit, today, back=1 if word == "last" else 0), i + 2
    if word == "last" and unit in _SEASONS:
        return _last_season(unit, today), i + 2
    if word == "this" and unit in _SEASONS:
        return _this_season(unit, today), i + 2
    count = _count(word)
    unit = unit.removesuffix("s")
    if count is None or unit not in _UNITS or _at(words, i + 2) != "ago":
        return None
    period = _calendar(unit, today, back=count)
    return _Period(period.start, period.end, _FUZZY_DAYS[unit]), i + 3


def _calendar(unit: str, today: datetime, back: int) -> _Period:
    """The calendar year, month, week (from Monday) or day `back` units before today's."""
    if unit == "year":
        return _months(today.year - back, 1, 12)
    if unit == "month":
        return _months(today.year, today.month - back, 1)
    if unit == "week":
        monday = today - timedelta(days=today.weekday() + 7 * back)
        return _Period(monday, monday + timedelta(days=7))
    day = today - timedelta(days=back)
    return _Period(day, day + timedelta(days=1))


def _last_season(name: str, today: datetime) -> _Period:
    year = today.year
    while (season := _months(year, _SEASONS[name], 3)).end > today:
        year -= 1
    return season


def _this_season(name: str, today: datetime) -> _Period:
    """This year's; in January and February "this winter" is the one under way."""
    first_month = _SEASONS[name]
    year = today.year - 1 if first_month == 12 and today.month < 3 else today.year
    return _months(year, first_month, 3)


def _spanning(first: _Period, last: _Period, phrase: str) -> _Period:
    """From the start of `first` to the end of `last`: "2015 to 2017" includes 2017."""
    if last.end <= first.start:
        raise QueryError(f"{phrase!r} ends before it starts")
    return _Period(first.start, last.end, max(first.tolerance_days, last.tolerance_days))


def _months(year: int, month: int, count: int) -> _Period:
    """`count` months from the first of `month`, which may lie past December or before January."""
    return _Period(_first_of(year, month), _first_of(year, month + count))


def _first_of(year: int, month: int) -> datetime:
    extra_years, month_index = divmod(month - 1, 12)
    return datetime(year + extra_years, month_index + 1, 1)


def _year(word: str) -> int | None:
    """The year a four-digit word names, if it is one."""
    return _plausible(word) if _YEAR.fullmatch(word) else None


def _plausible(digits: str) -> int:
    """A typed year, refusing one no photo can have: far more likely a typo than a question."""
    year = int(digits)
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise QueryError(f"{digits} is not a plausible year ({EARLIEST_YEAR}-{LATEST_YEAR})")
    return year


def _year_period(word: str) -> _Period | None:
    year = _year(word)
    return None if year is None else _months(year, 1, 12)


def _year_span(word: str) -> _Period | None:
    match = _YEAR_SPAN.fullmatch(word)
    if match is None:
        return None
    first, last = _plausible(match[1]), _plausible(match[2])
    return _spanning(_months(first, 1, 12), _months(last, 1, 12), word)


def _iso_month(word: str) -> _Period | None:
    match = _ISO_MONTH.fullmatch(word)
    if match is None:
        return None
    year, month = _plausible(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise QueryError(f"{word} is not a month (YYYY-MM)")
    return _months(year, month, 1)


def _iso_day(word: str) -> _Period | None:
    match = _ISO_DAY.fullmatch(word)
    if match is None:
        return None
    year = _plausible(match[1])
    try:
        day = datetime(year, int(match[2]), int(match[3]))
    except ValueError:
        raise QueryError(f"{word} is not a date (YYYY-MM-DD)") from None
    return _Period(day, day + timedelta(days=1))


def _edge_day(word: str) -> _Period | None:
    """`before:`'s day, the first one excluded. That may be the day after the latest plausible
    year: the edge a search for that year writes, which must read back."""
    after_latest = datetime(LATEST_YEAR + 1, 1, 1)
    if word == after_latest.date().isoformat():
        return _Period(after_latest, after_latest + timedelta(days=1))
    return _iso_day(word)


def _decade(word: str, today: datetime) -> _Period | None:
    match = _DECADE.fullmatch(word)
    if match is None:
        return None
    digits = match[1]
    if len(digits) == 4:
        start = _plausible(digits)
    else:
        start = 2000 + int(digits)
        if start > today.year:
            start -= 100
    return _months(start, 1, 120)


def _count(word: str) -> int | None:
    return int(word) if _COUNT.fullmatch(word) else _COUNTS.get(word)


def _at(words: Sequence[Word], i: int) -> str:
    """The key of the word at `i`, or "" past the end, so rules can look ahead without bounds
    checks. Rules read the few words they look at, never the whole query: a query is read
    word by word, so anything per word that touched every word would make it quadratic."""
    return words[i].key if i < len(words) else ""


_DATE_FIELDS = {
    "year": (_year_period, "YYYY"),
    "month": (_iso_month, "YYYY-MM"),
    "after": (_iso_day, "YYYY-MM-DD"),
    "before": (_edge_day, "YYYY-MM-DD"),
}
