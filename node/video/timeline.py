"""When the people a search asked for are on screen in a video it found.

A hit on a video says where to look: the stretches of its timeline where any of the asked
people is on screen, each with who is (so "Alice and Bob" shows where both are, and where each
is alone). Only faces that are someone count, as for photos: confirmed, or assigned by Roost;
a suggestion waits for an answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from node.library.store import Library
from node.people.state import State
from node.video.store import OnScreen, VideoFacts, tracks_of, videos_of
from node.video.track import Span


@dataclass(frozen=True)
class Appearance:
    start: float  # seconds on the player's timeline
    end: float
    people: tuple[str, ...]  # names, sorted

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "people": list(self.people)}


@dataclass(frozen=True)
class Timeline:
    """A video among a search's hits: its facts and where the asked people appear."""

    video: VideoFacts
    appearances: tuple[Appearance, ...]


def timelines(
    library: Library, state: State, hashes: Iterable[str], subjects: Sequence[str]
) -> dict[str, Timeline]:
    """The videos among `hashes`, each with the appearances of `subjects` (ids) in it."""
    videos = videos_of(library, hashes)
    if not videos:
        return {}
    names = state.labels.subjects
    faces: dict[str, dict[str, list[str]]] = {digest: {} for digest in videos}  # → name → ids
    for row in state.assigned():
        if row.media_hash in videos and row.subject in subjects and row.subject in names:
            faces[row.media_hash].setdefault(names[row.subject].name, []).append(row.face)
    ids = [face for people in faces.values() for found in people.values() for face in found]
    tracks = tracks_of(library, ids)
    return {
        digest: Timeline(video, tuple(appearances(_by_person(faces[digest], tracks))))
        for digest, video in videos.items()
    }


def _by_person(
    faces: Mapping[str, Sequence[str]], tracks: Mapping[str, OnScreen]
) -> dict[str, list[Span]]:
    return {
        name: [span for face in ids if face in tracks for span in tracks[face].spans]
        for name, ids in faces.items()
    }


def appearances(by_person: Mapping[str, Sequence[Span]]) -> list[Appearance]:
    """The timeline cut where anyone's spans begin or end; each stretch where someone is on
    screen, with who, and neighbouring stretches with the same people joined."""
    edges = sorted({t for spans in by_person.values() for span in spans for t in span})
    out: list[Appearance] = []
    for start, end in itertools.pairwise(edges):
        middle = (start + end) / 2
        people = tuple(
            sorted(
                (n for n, spans in by_person.items() if any(a <= middle < b for a, b in spans)),
                key=str.casefold,
            )
        )
        if not people:
            continue
        if out and out[-1].end == start and out[-1].people == people:
            out[-1] = Appearance(out[-1].start, end, people)
        else:
            out.append(Appearance(start, end, people))
    return out


def clock(seconds: float) -> str:
    """A time on a video's timeline as a player shows it, to a tenth: `1:07.5`."""
    tenths = round(seconds * 10)
    minutes, rest = divmod(tenths, 600)
    return f"{minutes}:{rest // 10:02d}.{rest % 10}"
