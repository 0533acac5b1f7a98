"""Faces over time: detections on sampled frames linked into tracks, and tracks into people.

Two kinds of evidence, each where it is reliable:

- **Position** within a shot: a second apart, a face has moved by less than its own width and
  changed size by less than half (`max_shift`, `max_scale`), and nobody else's face is where
  it went. Each box continues the live track it is nearest to in that sense (relative shift
  plus relative change of size), nearest pairs first, each box and track used once. A scene
  change, a gap longer than `max_gap` or a sample without the face ends the track: position
  says nothing across a cut.
- **Descriptor distance** across shots: when the same person comes back after a cut, the raw
  tracks' descriptors are close. Raw tracks join into one face track when their average
  distance is within `same_person` and they were never on screen at the same moment (one
  person is not two faces of one frame). The threshold is stricter than clustering's 0.50: a
  person split over two face tracks costs nothing (clustering and naming bring them together),
  two people glued into one would be named together.

Spans are when a face track is on screen. Each sample stands for part of the timeline: within a
shot, up to half-way to its neighbours; at a scene change, up to the change itself (the first
sample from the start of the video, the last to its end). A face track covers the parts of the
samples it was seen on, joined where they touch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

Box = tuple[float, float, float, float]
Span = tuple[float, float]  # seconds on the player's timeline


@dataclass(frozen=True)
class Linking:
    max_shift: float = 1.0  # centre movement between samples, in face widths
    max_scale: float = 1.5  # size change between samples, as a ratio
    max_gap: float = 2.5  # seconds between two samples that may continue a track
    same_person: float = 0.42  # average descriptor distance joining raw tracks (dlib space)


@dataclass(frozen=True)
class Moment:
    """Where a sample lies on the timeline: its time, and when its shot began."""

    time: float
    shot: int
    shot_start: float


@dataclass
class RawTrack:
    """One face followed by position: the samples it was seen on and its boxes there."""

    id: int
    samples: list[int] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    shot: int = 0
    last_time: float = 0.0


class Tracker:
    """Links each sample's faces to the tracks alive at the sample before."""

    def __init__(self, linking: Linking = Linking()) -> None:
        self.linking = linking
        self.tracks: list[RawTrack] = []
        self._alive: list[int] = []  # tracks seen on the previous sample

    def step(self, sample: int, at: Moment, boxes: Sequence[Box]) -> tuple[list[int], list[int]]:
        """The raw track id of each box, in order (a new track for a box nothing continues),
        and the tracks that ended: alive before, not continued by any box here."""
        live = [
            t
            for t in (self.tracks[i] for i in self._alive)
            if t.shot == at.shot and at.time - t.last_time <= self.linking.max_gap
        ]
        pairs = sorted(
            (cost, t.id, n)
            for t in live
            for n, box in enumerate(boxes)
            if (cost := self.motion(t.boxes[-1], box)) is not None
        )
        chosen: dict[int, int] = {}  # box index → track id
        for _, continued, n in pairs:
            if n not in chosen and continued not in chosen.values():
                chosen[n] = continued
        ids = []
        for n, box in enumerate(boxes):
            if n not in chosen:
                self.tracks.append(RawTrack(len(self.tracks)))
                chosen[n] = self.tracks[-1].id
            track = self.tracks[chosen[n]]
            track.samples.append(sample)
            track.boxes.append(box)
            track.shot, track.last_time = at.shot, at.time
            ids.append(track.id)
        ended = [t for t in self._alive if t not in ids]
        self._alive = ids
        return ids, ended

    def finish(self) -> list[int]:
        """The tracks still alive at the last sample: they end here."""
        alive, self._alive = self._alive, []
        return alive

    def motion(self, before: Box, after: Box) -> float | None:
        """How far a face moved from `before` to `after` (centre shift in face widths plus
        relative size change), or None if too far to be the same face."""
        wa, wb = before[2] - before[0], after[2] - after[0]
        if wa <= 0 or wb <= 0:
            return None
        scale = max(wa, wb) / min(wa, wb)
        dx = (after[0] + after[2] - before[0] - before[2]) / 2
        dy = (after[1] + after[3] - before[1] - before[3]) / 2
        shift = math.hypot(dx, dy) / ((wa + wb) / 2)
        if shift > self.linking.max_shift or scale > self.linking.max_scale:
            return None
        return shift + (scale - 1)


def group_tracks(
    samples: Sequence[Sequence[int]], vectors: np.ndarray, same_person: float
) -> list[list[int]]:
    """Raw tracks (their sample indices, their descriptors) grouped into face tracks.

    Average linkage: the closest two groups join first, as long as their average descriptor
    distance is within `same_person` and no sample shows both; distances of a joined group
    follow by the Lance-Williams update, so each join costs one pass over the groups. Groups
    are listed by their first sample, each with its raw tracks in order."""
    n = len(samples)
    if n == 0:
        return []
    distance = _distances(vectors.astype(np.float64))
    together = np.zeros((n, n), bool)  # on screen at the same moment
    on_sample: dict[int, list[int]] = {}
    for track, seen in enumerate(samples):
        for sample in seen:
            on_sample.setdefault(sample, []).append(track)
    for tracks in on_sample.values():
        together[np.ix_(tracks, tracks)] = True
    size, alive = np.ones(n), np.ones(n, bool)
    members = {i: [i] for i in range(n)}
    open_ = np.where(together, np.inf, distance)
    np.fill_diagonal(open_, np.inf)
    while True:
        a, b = divmod(int(np.argmin(open_)), n)
        if open_[a, b] > same_person:  # also when every pair is closed (inf)
            break
        distance[a] = (size[a] * distance[a] + size[b] * distance[b]) / (size[a] + size[b])
        distance[:, a] = distance[a]
        together[a] |= together[b]
        together[:, a] = together[a]
        size[a] += size[b]
        alive[b] = False
        open_[a] = np.where(together[a] | ~alive, np.inf, distance[a])
        open_[:, a] = open_[a]
        open_[a, a] = np.inf
        open_[b], open_[:, b] = np.inf, np.inf
        members[a] += members.pop(b)
    groups = [sorted(g) for g in members.values()]
    return sorted(groups, key=lambda g: min(min(samples[i]) for i in g))


def _distances(vectors: np.ndarray) -> np.ndarray:
    """Euclidean distance between every two rows."""
    squared = (vectors**2).sum(axis=1)
    gram = vectors @ vectors.T
    result: np.ndarray = np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * gram, 0))
    return result


def spans(moments: Sequence[Moment], seen: Sequence[int], duration: float) -> list[Span]:
    """The parts of the timeline that the samples `seen` (indices into `moments`) stand for,
    joined where they touch."""
    out: list[Span] = []
    for i in sorted(set(seen)):
        start = 0.0 if i == 0 else _boundary(moments[i - 1], moments[i])
        end = (
            max(moments[i].time, duration)
            if i + 1 == len(moments)
            else (_boundary(moments[i], moments[i + 1]))
        )
        if out and out[-1][1] >= start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return [(round(a, 2), round(b, 2)) for a, b in out]


def _boundary(before: Moment, after: Moment) -> float:
    """Where the part of `before` ends and that of `after` begins."""
    if after.shot != before.shot:
        return max(before.time, min(after.time, after.shot_start))
    return (before.time + after.time) / 2


def keep_indexes(
    found: Sequence[Sequence[Span]], stored: Mapping[int, Sequence[Span]], *, least: float = 0.5
) -> list[int]:
    """Indexes for face tracks found again in a video analysed before (`stored`: index → its
    spans): a track on screen over mostly the same time as a stored one (intersection over
    union of their spans ≥ `least`) keeps its index, so labels on it stay; the others get
    indexes no stored track had. With nothing stored: 0, 1, 2… in order."""
    if not stored:
        return list(range(len(found)))
    pairs = sorted(
        (
            (_time_iou(spans, old), n, idx)
            for n, spans in enumerate(found)
            for idx, old in stored.items()
        ),
        reverse=True,
    )
    chosen: dict[int, int] = {}
    for overlap, n, idx in pairs:
        if overlap < least:
            break
        if n not in chosen and idx not in chosen.values():
            chosen[n] = idx
    fresh = iter(range(max(stored) + 1, 1 << 30))
    return [chosen[n] if n in chosen else next(fresh) for n in range(len(found))]


def _time_iou(a: Sequence[Span], b: Sequence[Span]) -> float:
    both = sum(max(0.0, min(x2, y2) - max(x1, y1)) for x1, x2 in a for y1, y2 in b)
    either = sum(x2 - x1 for x1, x2 in a) + sum(y2 - y1 for y1, y2 in b) - both
    return both / either if either > 0 else 0.0
