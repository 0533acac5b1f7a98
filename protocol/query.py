"""The structured search query that family devices exchange.

The device where the user typed a search parses it once (see `node.search`) and sends this object
to every family device, so that all of them answer the same question without each re-reading
natural language against its own clock and vocabulary. It therefore holds only resolved,
device-neutral values (canonical names, absolute dates, place names) and never a path, an id or
anything else that only means something on one device.

It has two serial forms:

- `to_dict` / `from_dict`: JSON for the wire, versioned by `"v"`. `from_dict` reads a peer's bytes,
  so it trusts nothing and refuses anything it does not fully understand.
- `to_structured_string`: the `field:value` form that a person or a script can type back into
  `roost search`, and that parses to an equal Query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from protocol.errors import RoostError

VERSION = 1

# What ends a bare value in the structured form (`person:Alice`); a value holding any of these,
# or a double quote, is written in quotes (`person:"Uncle Bob"`). The tokenizer in node.search
# reads with the same definition, which is what makes the structured form round-trip.
SEPARATORS = r"\s,;&"
BARE_VALUE = re.compile(rf'[^{SEPARATORS}"]+')


class QueryError(RoostError):
    """A query that cannot be read as asked, typed here or sent by a peer; the message says
    what is wrong and what to write instead."""


# The most days a range may reach past its edges: what `tolerance:Nd` can say (four digits). A
# peer's JSON could say any integer, and timedelta refuses days past a billion.
MAX_TOLERANCE_DAYS = 9999
# The whole days a datetime can hold: a range widened past them stops at them.
_FIRST_DAY = datetime.combine(date.min, time())
_LAST_DAY = datetime.combine(date.max, time())

_QUERY_KEYS = frozenset({"v", "subjects", "only", "taken", "places", "text", "unknown_names"})
_RANGE_KEYS = frozenset({"start", "end", "tolerance_days", "phrase"})


@dataclass(frozen=True)
class DateRange:
    """When a photo was taken: from `start` (inclusive) to `end` (exclusive), either may be open.

    Edges are whole days in naive local wall-clock time, because that is what cameras record:
    a photo taken at 23:30 on New Year's Eve belongs to that year wherever it is searched from.

    `tolerance_days` is how far past each edge a fuzzy phrase may reach ("10 years ago" is the
    calendar year, give or take half a year); the edges themselves stay where the phrase put them
    so that a search can rank photos inside them first. `phrase` is what the user typed, kept for
    messages; it is not part of the meaning, so it is left out of equality.
    """

    start: datetime | None
    end: datetime | None
    tolerance_days: int = 0
    phrase: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.start is None and self.end is None:
            raise QueryError("a date range needs a start, an end or both")
        for edge in (self.start, self.end):
            if edge is not None and (edge.tzinfo is not None or edge.time() != time()):
                raise QueryError(f"date range edges must be whole local days, not {edge}")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise QueryError(
                f"date range ends ({_day(self.end)}) before it starts ({_day(self.start)})"
            )
        if self.tolerance_days < 0:
            raise QueryError(f"tolerance_days must not be negative, not {self.tolerance_days}")
        if self.tolerance_days > MAX_TOLERANCE_DAYS:
            raise QueryError(
                f"tolerance_days is at most {MAX_TOLERANCE_DAYS}, not {self.tolerance_days}"
            )

    def widened(self) -> DateRange:
        """The range with its tolerance spent: what a search should filter on. An edge
        widened past the first or last day a date can hold stops there."""
        slack = timedelta(days=self.tolerance_days)
        return DateRange(
            start=None if self.start is None else max(self.start, _FIRST_DAY + slack) - slack,
            end=None if self.end is None else min(self.end, _LAST_DAY - slack) + slack,
            phrase=self.phrase,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "start": None if self.start is None else _day(self.start),
            "end": None if self.end is None else _day(self.end),
            "tolerance_days": self.tolerance_days,
            "phrase": self.phrase,
        }

    @classmethod
    def from_dict(cls, data: object) -> DateRange:
        record = _record(data, _RANGE_KEYS, "taken")
        tolerance = record["tolerance_days"]
        if type(tolerance) is not int:
            raise QueryError("taken.tolerance_days must be an integer")
        phrase = record["phrase"]
        if not isinstance(phrase, str):
            raise QueryError("taken.phrase must be a string")
        return cls(
            start=_day_or_none(record["start"], "taken.start"),
            end=_day_or_none(record["end"], "taken.end"),
            tolerance_days=tolerance,
            phrase=phrase,
        )


@dataclass(frozen=True)
class Query:
    """One search: every condition given must hold (AND).

    - `subjects`: people and pets by their canonical (labelled) names, all in the photo.
    - `only`: no other named person or pet is in the photo.
    - `taken`: when; None means any time.
    - `places`: names the photo's place must carry, e.g. ("France", "Paris").
    - `text`: leftover words, for scene search.
    - `unknown_names`: names that were asked for but match no label. They are carried, not
      dropped, because searching without them would answer a different question.
    """

    subjects: tuple[str, ...] = ()
    only: bool = False
    taken: DateRange | None = None
    places: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    unknown_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for what, values in (
            ("subjects", self.subjects),
            ("places", self.places),
            ("text", self.text),
            ("unknown_names", self.unknown_names),
        ):
            for value in values:
                if not value or value != value.strip() or '"' in value:
                    raise QueryError(
                        f"{what}: {value!r} must be non-empty, trimmed and free of double quotes"
                    )
        if self.only and not (self.subjects or self.unknown_names):
            raise QueryError("'only' needs at least one person, e.g. 'only Alice'")
        if not (self.subjects or self.unknown_names or self.taken or self.places or self.text):
            raise QueryError("empty query: say who, when or where, e.g. 'Alice in Paris 2019'")

    def to_dict(self) -> dict[str, object]:
        return {
            "v": VERSION,
            "subjects": list(self.subjects),
            "only": self.only,
            "taken": None if self.taken is None else self.taken.to_dict(),
            "places": list(self.places),
            "text": list(self.text),
            "unknown_names": list(self.unknown_names),
        }

    @classmethod
    def from_dict(cls, data: object) -> Query:
        """The Query a peer sent, or QueryError saying what is wrong with it."""
        record = _record(data, _QUERY_KEYS, "query")
        version = record["v"]
        if type(version) is not int or version != VERSION:
            raise QueryError(f"unsupported query version {version!r} (this device reads {VERSION})")
        only = record["only"]
        if not isinstance(only, bool):
            raise QueryError("query.only must be true or false")
        taken = record["taken"]
        return cls(
            subjects=_strings(record["subjects"], "query.subjects"),
            only=only,
            taken=None if taken is None else DateRange.from_dict(taken),
            places=_strings(record["places"], "query.places"),
            text=_strings(record["text"], "query.text"),
            unknown_names=_strings(record["unknown_names"], "query.unknown_names"),
        )

    def to_structured_string(self) -> str:
        """The `field:value` form, e.g. `person:Alice only:true after:2015-01-01 place:Paris`.

        `after:` is the first day included and `before:` the first day excluded, exactly the
        edges of `taken`. Unknown names are written as `person:` because that is what they were
        asked as; parsing the string again with the same known names gives an equal Query.
        """
        parts = [f"person:{_quoted(name)}" for name in (*self.subjects, *self.unknown_names)]
        if self.only:
            parts.append("only:true")
        if self.taken is not None:
            if self.taken.start is not None:
                parts.append(f"after:{_day(self.taken.start)}")
            if self.taken.end is not None:
                parts.append(f"before:{_day(self.taken.end)}")
            if self.taken.tolerance_days:
                parts.append(f"tolerance:{self.taken.tolerance_days}d")
        parts += [f"place:{_quoted(place)}" for place in self.places]
        parts += [f"text:{_quoted(word)}" for word in self.text]
        return " ".join(parts)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _quoted(value: str) -> str:
    return value if BARE_VALUE.fullmatch(value) else f'"{value}"'


def _record(data: object, keys: frozenset[str], what: str) -> dict[str, object]:
    if not isinstance(data, dict):
        raise QueryError(f"{what} must be a JSON object, not {type(data).__name__}")
    missing = sorted(keys - data.keys())
    if missing:
        raise QueryError(f"{what} lacks {', '.join(missing)}")
    unexpected = sorted(str(key) for key in data.keys() - keys)
    if unexpected:
        raise QueryError(f"{what} has unexpected {', '.join(unexpected)}")
    return data


def _strings(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise QueryError(f"{what} must be a list of strings")
    return tuple(value)


def _day_or_none(value: object, what: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise QueryError(f"{what} must be a YYYY-MM-DD date or null")
    try:
        return datetime.combine(date.fromisoformat(value), time())
    except ValueError:  # date.fromisoformat's
        raise QueryError(f"{what} is not a YYYY-MM-DD date: {value!r}") from None
