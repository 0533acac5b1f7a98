"""`roost search "QUERY"`: from what the user typed to a structured Query.

One language serves people and scripts. Natural words ("Alice and Bob in Paris last summer") and
`field:value` pairs (`person:Alice place:Paris year:2019`) may be mixed freely, and a meaning
written either way gives an equal Query, so a script never depends on the natural-language rules.

Fields: `person:NAME` and `pet:NAME` (the same: pets are subjects like people), `place:NAME`,
`only:true`, `year:YYYY`, `month:YYYY-MM`, `after:YYYY-MM-DD` (first day in), `before:YYYY-MM-DD`
(first day out), `tolerance:Nd` (days a search may reach past the dates) and `text:WORD`. Values
with spaces go in double quotes: `person:"Uncle Bob"`. A place given as a field is kept even when
this device does not know it, because another family device may.

Natural words are read left to right:

1. At each word the longest known phrase starting there wins: a known person or pet, a known
   place, or a time phrase (see `node.search.when`); all match whatever their case. On equal
   length a person beats a place and a place beats a time. So "June 2019" is a month even when
   June is a person, and "June in 2019" is that person in 2019.
2. Otherwise a connective or filler word ("and", "with", "&", "photos of", "in", "at",
   "playing", ...) is skipped, and "only", "just" or "alone" asks for photos with no other named
   person or pet in them.
3. Otherwise the word is unknown. A capitalised unknown word is taken for a name nobody has
   labelled yet, and neighbouring ones join ("Uncle Rob"): it goes to `unknown_names` so the user
   hears about it, because searching without it would answer a different question. A lower-case
   unknown word goes to `text` for scene search ("beach"). Write scene words in lower case; to
   force a name, quote it: "Rob".

Everything named must match. "or", "not" and "without" are refused with an explanation, because
reading them as filler would silently turn the question around.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from node.search.phrases import PhraseBook, phrase_book
from node.search.tokens import Field, Phrase, Word, tokenize
from node.search.when import NEEDS_A_YEAR, combine, match_when, parse_date_field
from protocol.query import DateRange, Query, QueryError

FIELDS = ("person", "pet", "place", "only", "year", "month", "after", "before", "tolerance", "text")

_ONLY = frozenset({"only", "just", "alone"})
_FILLER = frozenset(
    {
        *("a", "an", "the", "of", "and", "with", "+", "-", "\u2013", "together", "all", "any"),
        *("photo", "photos", "picture", "pictures", "pic", "pics", "shot", "shots"),
        *("image", "images", "video", "videos", "show", "find", "search", "taken"),
        *("in", "at", "on", "from", "near", "around", "during", "by", "to", "between"),
        *("my", "our", "your", "his", "her", "their", "some"),
        *("is", "are", "was", "were", "be", "being", "who", "that", "which", "where", "when"),
        *("play", "plays", "playing", "played", "sitting", "standing", "posing", "hanging", "out"),
    }
)
_AND_ONLY = "Roost finds photos that match everything named; search once per alternative instead"
_NO_EXCLUDING = "excluding someone is not supported yet; search for who should be in the photo"
_REFUSED = {
    "or": _AND_ONLY,
    "either": _AND_ONLY,
    "not": _NO_EXCLUDING,
    "without": _NO_EXCLUDING,
    "except": _NO_EXCLUDING,
    "excluding": _NO_EXCLUDING,
}
_VOCABULARY = _ONLY | _FILLER | frozenset(_REFUSED) | NEEDS_A_YEAR
_TOLERANCE = re.compile(r"(\d{1,4})d")


def parse_query(
    text: str, *, known_names: Iterable[str], known_places: Iterable[str], now: datetime
) -> Query:
    """The Query that `text` asks, or QueryError saying what to write instead.

    `known_names` are the library's labelled people and pets and `known_places` the names of the
    cities, regions and countries in it; both are matched ignoring case and give the canonical
    spelling. `now` anchors relative dates ("last summer"); it is never read from the clock.
    """
    reader = _Reader(phrase_book(tuple(known_names)), phrase_book(tuple(known_places)), now)
    run: list[Word] = []
    for token in tokenize(text):
        if isinstance(token, Word):
            run.append(token)
            continue
        reader.read_words(run)
        run = []
        reader.read_token(token)
    reader.read_words(run)
    return reader.draft.finish()


@dataclass
class _Draft:
    """What the query says so far, before it is checked and put in canonical order."""

    subjects: list[str] = field(default_factory=list)
    unknown_names: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    ranges: list[DateRange] = field(default_factory=list)
    only: bool = False
    tolerance_days: int | None = None

    def finish(self) -> Query:
        taken = combine(self.ranges)
        if self.tolerance_days is not None:
            if taken is None:
                raise QueryError("tolerance: needs a date to widen, e.g. year:2019 tolerance:30d")
            taken = replace(taken, tolerance_days=self.tolerance_days)
        return Query(
            subjects=_canonical(self.subjects),
            only=self.only,
            taken=taken,
            places=_canonical(self.places),
            text=tuple(self.text),
            unknown_names=_canonical(self.unknown_names),
        )


@dataclass(frozen=True)
class _Known:
    """A known phrase found in the words: exactly one of subject, place and taken is set."""

    length: int
    subject: str | None = None
    place: str | None = None
    taken: DateRange | None = None


class _Reader:
    """Reads tokens in order into a draft, with the vocabularies and `now` they are read against."""

    def __init__(self, names: PhraseBook, places: PhraseBook, now: datetime) -> None:
        self.names = names
        self.places = places
        self.now = now
        self.draft = _Draft()

    def read_token(self, token: Phrase | Field) -> None:
        if isinstance(token, Phrase):
            self._add_name(token.text)
            return
        match token.name:
            case "person" | "pet":
                self._add_name(token.value)
            case "place":
                self.draft.places.append(self.places.lookup(token.value) or token.value)
            case "text":
                self.draft.text.append(token.value)
            case "only":
                if _true_or_false(token):  # only:false is the default and changes nothing
                    self.draft.only = True
            case "tolerance":
                self.draft.tolerance_days = _days(token)
            case "year" | "month" | "after" | "before":
                self.draft.ranges.append(parse_date_field(token.name, token.value))
            case _:
                raise QueryError(
                    f"unknown field '{token.name}:'; the fields are {', '.join(FIELDS)}"
                )

    def read_words(self, words: Sequence[Word]) -> None:
        """A run of natural words, between quoted phrases and fields."""
        i = 0
        while i < len(words):
            i += self._read_at(words, i)

    def _read_at(self, words: Sequence[Word], i: int) -> int:
        """Reads what begins at `words[i]` and says how many words it took."""
        known = self._known(words, i)
        if known is not None:
            if known.subject is not None:
                self.draft.subjects.append(known.subject)
            elif known.place is not None:
                self.draft.places.append(known.place)
            elif known.taken is not None:
                self.draft.ranges.append(known.taken)
            return known.length
        if self._could_be_name(words[i]):  # and nothing known begins here, as just seen
            end = i + 1
            while end < len(words) and self._is_loose_name(words, end):
                end += 1
            self.draft.unknown_names.append(" ".join(word.text for word in words[i:end]))
            return end - i
        self._read_plain(words[i])
        return 1

    def _known(self, words: Sequence[Word], i: int) -> _Known | None:
        candidates = []
        if name := self.names.match(words, i):
            candidates.append(_Known(name[1], subject=name[0]))
        if place := self.places.match(words, i):
            candidates.append(_Known(place[1], place=place[0]))
        if when := match_when(words, i, self.now):
            candidates.append(_Known(when[1], taken=when[0]))
        # max() keeps the first of equals: on a tie a person beats a place beats a time.
        return max(candidates, key=lambda known: known.length, default=None)

    def _is_loose_name(self, words: Sequence[Word], i: int) -> bool:
        """A capitalised word that nothing explains: part of a name nobody has labelled yet."""
        return self._could_be_name(words[i]) and self._known(words, i) is None

    @staticmethod
    def _could_be_name(word: Word) -> bool:
        return word.text[:1].isupper() and word.key not in _VOCABULARY

    def _read_plain(self, word: Word) -> None:
        key = word.key
        if key in _REFUSED:
            raise QueryError(f"'{word.text}' is not understood: {_REFUSED[key]}")
        if key in NEEDS_A_YEAR:
            raise QueryError(f"'{word.text}' needs a year, e.g. '{word.text} 2019'")
        if key in _ONLY:
            self.draft.only = True
        elif key not in _FILLER:
            self.draft.text.append(key)

    def _add_name(self, name: str) -> None:
        known = self.names.lookup(name)
        if known is None:
            self.draft.unknown_names.append(name)
        else:
            self.draft.subjects.append(known)


def _canonical(values: Iterable[str]) -> tuple[str, ...]:
    """Unique ignoring case (first spelling kept) and sorted, so that word order is no meaning."""
    unique: dict[str, str] = {}
    for value in values:
        unique.setdefault(value.casefold(), value)
    return tuple(sorted(unique.values(), key=str.casefold))


def _true_or_false(token: Field) -> bool:
    value = token.value.casefold()
    if value not in ("true", "false"):
        raise QueryError(f"only: wants true or false, not {token.value!r}")
    return value == "true"


def _days(token: Field) -> int:
    match = _TOLERANCE.fullmatch(token.value)
    if match is None:
        raise QueryError(f"tolerance: wants a number of days like 30d, not {token.value!r}")
    return int(match[1])
