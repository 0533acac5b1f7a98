"""Finding the library's known names (people, pets, places) inside what the user typed."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from node.search.tokens import Word, split_words


class PhraseBook:
    """Known phrases matched by their words, ignoring case, longest first.

    Longest first is what makes "Uncle Bob" one known person rather than an unknown "Uncle"
    beside a known "Bob". When two known phrases differ only in case, the first one given is the
    canonical spelling.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        self._by_words: dict[tuple[str, ...], str] = {}
        for phrase in phrases:
            words = _keys(split_words(phrase))
            if words:
                self._by_words.setdefault(words, " ".join(phrase.split()))
        self._longest = max(map(len, self._by_words), default=0)
        self._first_words = {words[0] for words in self._by_words}

    def lookup(self, phrase: str) -> str | None:
        """The canonical spelling of a whole phrase, e.g. from `person:"uncle bob"`."""
        return self._by_words.get(_keys(split_words(phrase)))

    def match(self, words: Sequence[Word], start: int) -> tuple[str, int] | None:
        """The longest known phrase that begins at `words[start]`, and how many words it spans."""
        if words[start].key not in self._first_words:  # what most words are: no phrase's start
            return None
        for length in range(min(self._longest, len(words) - start), 0, -1):
            found = self._by_words.get(_keys(words[start : start + length]))
            if found is not None:
                return found, length
        return None


def _keys(words: Sequence[Word]) -> tuple[str, ...]:
    return tuple(word.key for word in words)


@functools.lru_cache(maxsize=16)
def phrase_book(phrases: tuple[str, ...]) -> PhraseBook:
    """The book of `phrases`, made once for a vocabulary that repeats from one query to the
    next (the library's names and places change far more rarely than queries are typed)."""
    return PhraseBook(phrases)
