"""Splitting a query into words, "quoted phrases" and `field:value` pairs.

Known names and places are split by the same rules (`split_words`), so that what the user types
and what the library knows meet as the same words whatever their case or trailing punctuation:
"st. louis?" finds "St. Louis", and "Alice's" finds "Alice".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from protocol.query import BARE_VALUE, SEPARATORS, QueryError


@dataclass(frozen=True)
class Word:
    """One natural-language word, as typed less trailing punctuation and a possessive 's."""

    text: str
    key: str = field(init=False, repr=False, compare=False)  # what it is compared by

    def __post_init__(self) -> None:
        # Matching ignores case; each rule tried at each word reads keys, so fold once.
        object.__setattr__(self, "key", self.text.casefold())


@dataclass(frozen=True)
class Phrase:
    """A "quoted phrase": always one name, whatever its words would otherwise mean."""

    text: str


@dataclass(frozen=True)
class Field:
    """A `name:value` pair of the structured form; `name` is lower-case."""

    name: str
    value: str


Token = Word | Phrase | Field

_TOKEN = re.compile(
    rf"[{SEPARATORS}]*(?:"
    rf'(?P<field>[A-Za-z]+):(?:"(?P<quoted_value>[^"]*)"|(?P<value>{BARE_VALUE.pattern}))'
    rf'|"(?P<phrase>[^"]*)"'
    rf"|(?P<word>{BARE_VALUE.pattern})"
    rf'|(?P<stray>")'
    rf")"
)
_PUNCTUATION = re.compile(r"[.!?:]+$")
# "Alice's" is Alice, but "90's" stays a decade; \u2019 is the typographic apostrophe.
_POSSESSIVE = re.compile(r"(?<=\D)['\u2019]s$")
_CURLY_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"'})


def tokenize(text: str) -> list[Token]:
    """The tokens of a query, refusing an unbalanced quote rather than guessing where it ends."""
    text = text.translate(_CURLY_QUOTES)
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        if match["stray"]:
            rest = text[match.start("stray") :]
            raise QueryError(f'unbalanced quote: {rest!r} has no closing "')
        if match["field"]:
            quoted, bare = match["quoted_value"], match["value"]
            value = (bare if quoted is None else quoted).strip()
            if not value:
                raise QueryError(f"{match['field']}: needs a value")
            tokens.append(Field(match["field"].casefold(), value))
        elif match["phrase"] is not None:
            phrase = match["phrase"].strip()
            if not phrase:
                raise QueryError('empty quotes "": put a name between them')
            tokens.append(Phrase(phrase))
        elif word := _clean(match["word"]):
            tokens.append(Word(word))
    return tokens


def split_words(text: str) -> list[Word]:
    """The plain words of a name, place or time phrase; quotes count as separators here."""
    return [Word(word) for raw in BARE_VALUE.findall(text) if (word := _clean(raw))]


def _clean(raw: str) -> str:
    return _POSSESSIVE.sub("", _PUNCTUATION.sub("", raw))
