"""Which frames the face models see: about one a second, the first of every scene, and never
more than the cap, with the work of getting them counted (frames decoded), never timed."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from node.video.read import Video
from node.video.sample import Sample, Sampler, Sampling
from tests.video.clips import CLIP, CUTS, DURATION, raw_frames, recorded_sideways, remux


def sampled(path: Path, sampling: Sampling | None = None) -> tuple[list[Sample], Sampler, Video]:
    with Video(path) as video:
        sampler = Sampler(video, sampling or Sampling())
        samples = list(sampler)
    return samples, sampler, video


def test_one_a_second_plus_the_first_frame_of_each_scene() -> None:
    samples, sampler, video = sampled(CLIP)
    assert sampler.dense
    times = [s.at.time for s in samples]
    assert times[0] == pytest.approx(0.84, abs=0.01)  # the first frame
    assert all(b - a <= 1.0 + 0.04 for a, b in itertools.pairwise(times))
    # Each scene change starts a new shot, sampled within a quarter second of the cut.
    starts = [(s.at.shot, s.at.shot_start) for s in samples]
    assert sorted({shot for shot, _ in starts}) == [0, 1, 2, 3]
    for shot, cut in enumerate(CUTS, start=1):
        first = next(s for s in samples if s.at.shot == shot)
        assert first.at.shot_start == pytest.approx(cut, abs=0.02)
        assert cut - 0.02 <= first.at.time <= cut + 0.25 + 0.04
    assert len(samples) == 11  # 10 s at one a second, plus three cuts, minus the gaps they fill
    assert video.health.frames == 275  # dense: every frame decoded, for the scene changes
    assert sampler.notes() == []


def test_samples_are_upright_rgb_at_most_work_side() -> None:
    samples, _, _ = sampled(CLIP, Sampling(work_side=320))
    assert {s.image.size for s in samples} == {(320, 180)}
    assert {s.image.mode for s in samples} == {"RGB"}


@pytest.mark.parametrize(("rotation", "turns"), [(90, 1), (-90, 3), (180, 2)])
def test_display_rotation_is_applied(tmp_path: Path, rotation: int, turns: int) -> None:
    plain, _, _ = sampled(CLIP)
    turned, sampler, _ = sampled(remux(tmp_path / "turned.mov", rotation=rotation))
    assert sampler.rotation == turns
    expected = {1: (360, 640), 3: (360, 640), 2: (640, 360)}[turns]
    assert turned[0].image.size == expected
    # The same pixels, turned: rotating back gives the plain frame.
    undo = {1: 270, 3: 90, 2: 180}[turns]
    back = turned[0].image.rotate(undo, expand=True)
    assert back.tobytes() == plain[0].image.tobytes()


@pytest.mark.parametrize("rotation", [90, -90])
def test_a_video_recorded_sideways_is_sampled_upright(tmp_path: Path, rotation: int) -> None:
    plain, _, _ = sampled(CLIP)
    turned, _, video = sampled(recorded_sideways(tmp_path / "phone.mp4", rotation))
    assert (video.info.width, video.info.height) == (360, 640)  # as stored
    # Re-encoding restarts the timeline at 0; the scenes and their samples stay the same.
    assert [s.at.shot for s in turned] == [s.at.shot for s in plain]
    for a, b in zip(turned, plain, strict=True):
        assert a.image.size == b.image.size == (640, 360)
        # The same picture up to re-encoding; the wrong way round would differ everywhere.
        difference = np.abs(np.asarray(a.image, np.int16) - np.asarray(b.image, np.int16))
        assert difference.mean() < 6


def test_scene_changes_are_found_in_any_pixel_format(tmp_path: Path) -> None:
    """The luminance grid is read from the luma plane of 8-bit YUV frames and converted from
    anything else: the same cut, the same frames."""
    yuv, _, _ = sampled(raw_frames(tmp_path / "yuv.mkv", 60))
    rgb, _, _ = sampled(raw_frames(tmp_path / "bgr.avi", 60, "bgr24"))
    assert [(s.at.shot, round(s.at.time, 2)) for s in yuv] == [
        (s.at.shot, round(s.at.time, 2)) for s in rgb
    ]
    assert [s.at.shot for s in yuv] == [0, 1, 1]  # the cut at 1.51 s, 20 frames in


def test_the_cap_spreads_the_samples_over_the_whole_video() -> None:
    samples, sampler, _ = sampled(CLIP, Sampling(max_samples=5))
    assert sampler.every == pytest.approx(DURATION / (5 * 0.75), rel=0.01)
    assert 3 <= len(samples) <= 5
    assert samples[-1].at.time > 0.6 * DURATION


def test_a_long_video_is_sampled_thinly_by_seeking(tmp_path: Path) -> None:
    """The clip with every frame held 600 times as long: 100 minutes."""
    slow = remux(tmp_path / "long.mp4", slower=600)
    samples, sampler, video = sampled(slow, Sampling(max_samples=40))
    assert video.info.duration is not None
    assert video.info.duration == pytest.approx(600 * 9.18, rel=0.01)
    assert not sampler.dense
    assert sampler.every == pytest.approx(video.info.duration / 30, rel=0.01)
    # Only keyframes are decoded, one or two per sample: the work does not grow with length.
    assert len(samples) <= 40
    assert video.health.frames <= 2 * len(samples) + 2
    times = [s.at.time for s in samples]
    assert times == sorted(times) and times[-1] > 0.8 * video.info.duration
    assert any("long video" in note for note in sampler.notes())


def test_a_header_longer_than_the_frames_is_reported_as_truncated(tmp_path: Path) -> None:
    from tests.video.clips import truncated

    samples, sampler, _ = sampled(truncated(tmp_path / "half.mp4", faststart=True))
    assert samples and samples[-1].at.time < DURATION / 2 + 1
    (note,) = sampler.notes()
    assert note.startswith("truncated: frames end at")
