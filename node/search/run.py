"""A Query answered from this device's library: which photos, ranked, and why none if none.

Conditions combine with AND, as the language promises:

- people and pets: the photo holds a face of each, confirmed by the user or assigned by Roost
  at high confidence (suggestions waiting for an answer do not count: a search shows what is
  known, and `roost suggestions` is where the rest is settled); with `only`, no face in it is
  anyone else who is named;
- time: the photo's local date lies in the range widened by its tolerance;
- place: every place named is the photo's city, region or country;
- scene words (`text`): the photo shows each one (`node.search.scenes`: detected objects and
  classifier labels through a vocabulary, or a CLIP-style model for other words).

A video matches like a photo (its face tracks are faces); its hit also carries its duration and
the stretches of its timeline where the people asked for are on screen.

Ranking: the product of the match confidences of the people asked for (1 for a confirmed face)
and of the scene evidence, halved for a photo that matched only thanks to a fuzzy date's
tolerance; then newest first. Words nothing covers are reported, not silently dropped, and so
are names nobody has labelled (which match nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from node.library.store import Library
from node.media.kind import MediaKind
from node.models.store import ModelStore
from node.people.state import State, read_state
from node.places import Place, places_of
from node.search.dates import taken
from node.search.parse import parse_query
from node.search.scenes import Scenes, match_scenes
from node.settings import Home
from node.video.timeline import Appearance, Timeline, timelines
from protocol.query import DateRange, Query

_FUZZY_PENALTY = 0.5


@dataclass(frozen=True)
class Match:
    """A photo that answers the query, in the terms every family device shares: what a family
    device that asked is answered with (`node.peer.search`), nothing that means something only
    here."""

    media: str  # the content hash: what names the photo on every device
    taken_at: str
    place: str | None
    people: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class Hit(Match):
    """A match this device holds: where it lies here, and for a video its timeline."""

    path: str  # where it lies here (the first of its copies)
    kind: MediaKind = MediaKind.PHOTO
    duration: float | None = None  # seconds, for a video
    spans: tuple[Appearance, ...] = ()  # a video's stretches showing the people asked for


M = TypeVar("M", bound=Match)


@dataclass(frozen=True)
class Answer(Generic[M]):
    query: Query
    hits: list[M]
    total: int  # photos that matched, before the limit
    notes: list[str] = field(default_factory=list)  # what was ignored, why nothing matched
    unknown: tuple[str, ...] = ()  # names asked for that nobody here has given


def unknown_note(names: Iterable[str]) -> str:
    return (
        f"nobody is named {' or '.join(names)} yet: name them first "
        "(`roost people` lists the unnamed clusters, `roost name ID NAME` names one)"
    )


def parse(library: Library, text: str, now: datetime, state: State | None = None) -> Query:
    """`text` read against this library's names and places (QueryError if it cannot be)."""
    state = state or read_state(library)
    names = [s.name for s in state.labels.subjects.values()]
    places = {name for place in places_of(library).values() for name in place.names()}
    return parse_query(text, known_names=names, known_places=sorted(places), now=now)


def search(
    library: Library,
    query: Query,
    *,
    limit: int | None = None,
    state: State | None = None,
    models: ModelStore | None = None,
) -> Answer[Hit]:
    """Answer `query` from this library, for this device: each hit with where its photo lies
    here (a photo none of whose files is left is not shown) and a video's timeline; `models`
    (default: the library's home's) are what scene words are read with."""
    state = state or read_state(library)
    answer = find(library, query, limit=limit, state=state, models=models)
    hits = _located(library, state, query, answer.hits)
    return Answer(query, hits, answer.total, answer.notes, answer.unknown)


def find(
    library: Library,
    query: Query,
    *,
    limit: int | None = None,
    state: State | None = None,
    models: ModelStore | None = None,
) -> Answer[Match]:
    """The photos of this library that answer `query`, best first (at most `limit`): the whole
    search but for where each photo lies here and a video's timeline, which a family device
    that asked is not sent, so answering it does not look them up."""
    state = state or read_state(library)
    models = models or ModelStore.for_home(Home(library.root.parent))
    scenes = match_scenes(library, query.text, models) if query.text else Scenes()
    notes = list(scenes.notes)
    subjects = [state.labels.by_name(name) for name in query.subjects]
    unknown = [
        *query.unknown_names,
        *(n for n, s in zip(query.subjects, subjects, strict=True) if s is None),
    ]
    if unknown:
        return Answer(query, [], 0, [*notes, unknown_note(unknown)], tuple(unknown))
    wanted = [s.id for s in subjects if s is not None]
    if not (wanted or query.taken or query.places or scenes.matches):
        return Answer(query, [], 0, notes)
    matches = _Matcher(library, state, wanted, query, scenes)
    found = matches.photos()
    if not found:
        notes.append(_why_nothing(matches, query))
        return Answer(query, [], 0, notes)
    return Answer(query, _matches(library, state, found, limit), len(found), notes)


@dataclass(frozen=True)
class _Found:
    media_hash: str
    taken_at: str
    taken_local: datetime
    score: float


class _Matcher:
    """Each condition of a query as a set of photos, so that an empty answer can say which
    condition emptied it."""

    def __init__(
        self,
        library: Library,
        state: State,
        wanted: list[str],
        query: Query,
        scenes: Scenes,
    ) -> None:
        self.library, self.state, self.wanted, self.query = library, state, wanted, query
        self.who = state.by_photo
        self.scenes = scenes

    def with_subject(self, subject: str) -> set[str]:
        return set(self.state.photos_of.get(subject, ()))

    def at_places(self) -> set[str] | None:
        if not self.query.places:
            return None
        asked = [name.casefold() for name in self.query.places]
        return {
            digest
            for digest, place in places_of(self.library).items()
            if all(name in {n.casefold() for n in place.names()} for name in asked)
        }

    def in_time(self, among: set[str] | None) -> list[dict[str, Any]]:
        """Media rows (hash, taken_at, taken_local) among `among` (None: all) in the dates,
        from the dates a process holds per version of the media table (`node.search.dates`)."""
        widened = self.query.taken.widened() if self.query.taken else None
        rows = taken(self.library, *((widened.start, widened.end) if widened else ()))
        if among is not None:
            rows = rows.filter(pc.is_in(rows["hash"], value_set=pa.array(sorted(among))))
        return list(rows.to_pylist())

    def photos(self) -> list[_Found]:
        among: set[str] | None = None
        for subject in self.wanted:
            among = (
                self.with_subject(subject) if among is None else among & self.with_subject(subject)
            )
        places = self.at_places()
        if places is not None:
            among = places if among is None else among & places
        for scene in self.scenes.matches:
            shown = set(scene.photos)
            among = shown if among is None else among & shown
        if among is not None and not among:
            return []
        found = []
        for row in self.in_time(among):
            people = self.who.get(row["hash"], {})
            if self.query.only and set(people) - set(self.wanted):
                continue
            score = 1.0
            for subject in self.wanted:
                score *= people[subject]
            for scene in self.scenes.matches:
                score *= scene.photos[row["hash"]]
            if self.query.taken and not _inside(self.query.taken, row["taken_local"]):
                score *= _FUZZY_PENALTY
            found.append(_Found(row["hash"], row["taken_at"], row["taken_local"], round(score, 4)))
        return found


def _inside(taken: DateRange, moment: datetime) -> bool:
    return (taken.start is None or moment >= taken.start) and (
        taken.end is None or moment < taken.end
    )


def _why_nothing(matches: _Matcher, query: Query) -> str:
    """Which conditions match photos on their own, so the user sees what to loosen."""
    names = {s: n for s, n in zip(matches.wanted, query.subjects, strict=True)}
    counts = [f"{names[s]}: {len(matches.with_subject(s))}" for s in matches.wanted]
    places = matches.at_places()
    if places is not None:
        counts.append(f"{' '.join(query.places)}: {len(places)}")
    counts += [f"{scene.word}: {len(scene.photos)}" for scene in matches.scenes.matches]
    if query.taken is not None:
        counts.append(f"{query.taken.phrase or 'those dates'}: {len(matches.in_time(None))}")
    if query.only:
        counts.append("and 'only' leaves out photos with anyone else named in them")
    return "no photo matches all of that; photos matching each part alone — " + ", ".join(counts)


def _matches(library: Library, state: State, found: list[_Found], limit: int | None) -> list[Match]:
    found = sorted(found, key=lambda f: (-f.score, -f.taken_local.timestamp(), f.media_hash))
    shown = found[:limit]
    places: dict[str, Place] = places_of(library, [f.media_hash for f in shown])
    subjects = state.labels.subjects
    who = state.by_photo
    return [
        Match(
            media=f.media_hash,
            taken_at=f.taken_at,
            place=places[f.media_hash].label() if f.media_hash in places else None,
            people=tuple(
                sorted((subjects[s].name for s in who.get(f.media_hash, {})), key=str.casefold)
            ),
            score=f.score,
        )
        for f in shown
    ]


def _located(library: Library, state: State, query: Query, matches: list[Match]) -> list[Hit]:
    """`matches` with where each lies here (those with a file left) and videos' timelines."""
    hashes = [m.media for m in matches]
    paths = library.paths_by_hash(hashes)
    wanted = [s.id for name in query.subjects if (s := state.labels.by_name(name)) is not None]
    videos = timelines(library, state, hashes, wanted)
    return [
        Hit(**vars(m), path=paths[m.media][0], **_video_fields(videos.get(m.media)))
        for m in matches
        if m.media in paths
    ]


def _video_fields(timeline: Timeline | None) -> dict[str, Any]:
    if timeline is None:
        return {}
    return {
        "kind": MediaKind.VIDEO,
        "duration": timeline.video.duration,
        "spans": timeline.appearances,
    }
