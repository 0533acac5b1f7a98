"""Linking faces over time, grouping tracks by descriptor, and spans: on boxes and vectors
written by hand, so every expected value is known."""

from __future__ import annotations

import numpy as np
import pytest

from node.video.track import Linking, Moment, Tracker, group_tracks, keep_indexes, spans


def at(time: float, shot: int = 0, shot_start: float = 0.0) -> Moment:
    return Moment(time, shot, shot_start)


def box(x: float, y: float, side: float = 80) -> tuple[float, float, float, float]:
    return (x, y, x + side, y + side)


def test_a_face_moving_less_than_its_width_continues_its_track() -> None:
    tracker = Tracker()
    first, _ = tracker.step(0, at(0.0), [box(100, 100), box(400, 100)])
    second, ended = tracker.step(1, at(1.0), [box(460, 110), box(160, 90)])  # both moved 60 px
    assert second == [first[1], first[0]]
    assert ended == []


def test_too_far_or_resized_starts_a_new_track() -> None:
    tracker = Tracker()
    (a,), _ = tracker.step(0, at(0.0), [box(100, 100)])
    (b,), ended = tracker.step(1, at(1.0), [box(190, 100)])  # 90 px > one 80 px width
    assert b != a and ended == [a]
    (c,), ended = tracker.step(2, at(2.0), [box(190, 100, side=130)])  # 1.6 times as large
    assert c != b and ended == [b]


def test_nearest_pairs_first_each_used_once() -> None:
    tracker = Tracker()
    (a, b), _ = tracker.step(0, at(0.0), [box(100, 100), box(170, 100)])
    # Both new boxes are within reach of both tracks; each goes to the one it is nearest.
    ids, _ = tracker.step(1, at(1.0), [box(175, 100), box(95, 100)])
    assert ids == [b, a]
    # Three faces where there were two: the third is new.
    ids, _ = tracker.step(2, at(2.0), [box(95, 100), box(175, 100), box(135, 100)])
    assert ids[:2] == [a, b] and ids[2] not in (a, b)


def test_a_cut_or_a_long_gap_ends_every_track() -> None:
    tracker = Tracker(Linking(max_gap=2.5))
    (a,), _ = tracker.step(0, at(0.0), [box(100, 100)])
    (b,), ended = tracker.step(1, at(0.5, shot=1, shot_start=0.4), [box(100, 100)])
    assert b != a and ended == [a]
    (c,), ended = tracker.step(2, at(3.5, shot=1, shot_start=0.4), [box(100, 100)])
    assert c != b and ended == [b]
    assert tracker.finish() == [c]


def test_a_sample_without_the_face_ends_its_track() -> None:
    tracker = Tracker()
    (a,), _ = tracker.step(0, at(0.0), [box(100, 100)])
    assert tracker.step(1, at(1.0), []) == ([], [a])
    (b,), _ = tracker.step(2, at(2.0), [box(100, 100)])
    assert b != a
    assert [t.samples for t in tracker.tracks] == [[0], [2]]


def _vectors(*points: tuple[float, float]) -> np.ndarray:
    """128-d vectors placed in a plane, so distances are those between the points."""
    v = np.zeros((len(points), 128), np.float32)
    v[:, :2] = points
    return v


def test_tracks_of_one_person_join_across_shots() -> None:
    samples = [[0, 1], [2], [3, 4], [5]]
    vectors = _vectors((0, 0), (5, 5), (0.3, 0), (5.2, 5))
    assert group_tracks(samples, vectors, same_person=0.42) == [[0, 2], [1, 3]]


def test_two_faces_of_one_frame_never_join_however_close() -> None:
    samples = [[0, 1], [1, 2]]  # both on sample 1
    assert group_tracks(samples, _vectors((0, 0), (0.1, 0)), 0.42) == [[0], [1]]


def test_average_linkage_does_not_chain() -> None:
    # 0-1 and 1-2 are each within reach; 0 and 2 are far apart, so the three do not form one
    # person (single linkage would chain them).
    samples = [[0], [1], [2]]
    groups = group_tracks(samples, _vectors((0, 0), (0.4, 0), (0.8, 0)), 0.42)
    assert sorted(map(len, groups)) == [1, 2]


def test_no_tracks() -> None:
    assert group_tracks([], np.zeros((0, 128), np.float32), 0.42) == []


def test_spans_within_a_shot_meet_half_way_and_stop_at_cuts() -> None:
    moments = [at(0.8), at(1.8), at(2.8), at(3.1, 1, 3.05), at(4.1, 1, 3.05), at(5.1, 1, 3.05)]
    assert spans(moments, [0, 1], duration=6.0) == [(0.0, 2.3)]
    assert spans(moments, [1, 2], duration=6.0) == [(1.3, 3.05)]
    assert spans(moments, [3, 5], duration=6.0) == [(3.05, 3.6), (4.6, 6.0)]
    assert spans(moments, [0, 1, 2, 3, 4, 5], duration=6.0) == [(0.0, 6.0)]
    assert spans(moments, [], duration=6.0) == []


@pytest.mark.parametrize("seen", [[0], [2], [0, 2]])
def test_spans_of_single_samples(seen: list[int]) -> None:
    moments = [at(0.0), at(1.0), at(2.0)]
    expected = {0: (0.0, 0.5), 2: (1.5, 3.0)}
    assert spans(moments, seen, duration=3.0) == [expected[i] for i in seen]


def test_tracks_found_again_keep_the_indexes_of_the_tracks_they_overlap_in_time() -> None:
    stored = {0: [(0.0, 1.5)], 1: [(3.6, 7.9)], 4: [(7.9, 10.0)]}
    found = [
        [(7.9, 10.0)],  # the same as 4
        [(3.6, 5.0), (5.5, 7.9)],  # mostly 1
        [(0.0, 1.5)],  # 0
        [(8.5, 10.0)],  # overlaps 4, which is taken, and none other
        [(2.0, 3.0)],  # new
    ]
    assert keep_indexes(found, stored) == [4, 1, 0, 5, 6]
    assert keep_indexes(found[:2], {}) == [0, 1]
