"""Which frames of a video the face models look at.

A face detector costs about a tenth of a second per frame on a laptop core, and a phone video
has thirty frames a second that mostly repeat each other. So Roost looks at about one frame a
second, plus the first frame after every scene change (an edited video cuts to a new face at
any moment), and never at more than `max_samples` frames per video, however long: a two-hour
recording is sampled more thinly, not for hours.

Two ways to get there, chosen per video from what it declares:

- **dense**: decode every frame (cheap next to detection for phone-sized video) and measure on
  each how much the 9x16 luminance grid changed since the one before; a change of most of the
  picture (`cut`, the median block change) is a scene change.
- **seek**: for long or very large videos (where decoding every frame would itself cost more
  than the budget), jump to each sample time and decode only the keyframe there. Scene changes
  are then measured between samples.

Every sample carries its `shot`: it increases at each scene change, so tracking never links
boxes across a cut by position alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from node.video.read import Video, luma_grid, quarter_turns, upright
from node.video.track import Moment

if TYPE_CHECKING:
    from av.video.frame import VideoFrame


@dataclass(frozen=True)
class Sampling:
    every: float = 1.0  # seconds between samples of one scene
    max_samples: int = 300  # per video
    min_gap: float = 0.25  # seconds: a scene change this close after a sample waits
    cut: float = 6.0  # median change of the luminance grid (0-255) that is a scene change
    dense_pixel_rate: float = 1920 * 1080 * 30  # decode every frame up to this many pixels/s
    work_side: int = 1280  # long side of the sampled images (the detector's own limit)

    def stretched(self, duration: float | None) -> float:
        """Seconds between periodic samples for a video this long: `every`, or more when the
        cap would be hit. A quarter of the cap is left for scene changes."""
        if not duration:
            return self.every
        return max(self.every, duration / (self.max_samples * 0.75))


@dataclass(frozen=True)
class Sample:
    index: int
    at: Moment  # seconds on the player's timeline, and the shot it is in
    image: Image.Image  # upright RGB, at most `work_side` long


class Sampler:
    """The samples of one open video; `notes` says afterwards what limited them."""

    def __init__(self, video: Video, sampling: Sampling = Sampling()) -> None:
        self.video, self.sampling = video, sampling
        info = video.info
        self.every = sampling.stretched(info.duration)
        pixel_rate = info.width * info.height * (info.fps or 30.0)
        self.dense = self.every <= sampling.every and pixel_rate <= sampling.dense_pixel_rate
        self.taken = 0
        self.rotation = 0  # quarter turns counter-clockwise, from the first frame sampled
        self.last_time: float | None = None  # of the last frame decoded

    def __iter__(self) -> Iterator[Sample]:
        return self._dense() if self.dense else self._seeking()

    def _dense(self) -> Iterator[Sample]:
        s, video = self.sampling, self.video
        previous: np.ndarray | None = None
        last: float | None = None
        shot, cut_pending = Moment(0.0, 0, 0.0), False
        for frame in video.frames():
            now = video.time_of(frame)
            self.last_time = now
            grid = luma_grid(frame)
            if previous is not None and _changed(previous, grid) >= s.cut:
                shot, cut_pending = Moment(now, shot.shot + 1, now), True
            previous = grid
            since = None if last is None else now - last
            due = since is None or since >= self.every or (cut_pending and since >= s.min_gap)
            if due:
                yield self._sample(frame, Moment(now, shot.shot, shot.shot_start))
                last, cut_pending = now, False
                if self.taken >= s.max_samples:
                    return

    def _seeking(self) -> Iterator[Sample]:
        s, video = self.sampling, self.video
        previous: np.ndarray | None = None
        last: float | None = None
        target, shot, shot_start = 0.0, 0, 0.0
        duration = video.info.duration
        while self.taken < s.max_samples and (duration is None or target < duration):
            video.seek(target)
            found = self._keyframe_after(last)
            if found is None:
                return
            frame, now = found
            grid = luma_grid(frame)
            if previous is not None and last is not None and _changed(previous, grid) >= s.cut:
                shot, shot_start = shot + 1, (last + now) / 2  # somewhere in between
            previous = grid
            yield self._sample(frame, Moment(now, shot, shot_start))
            last = now
            target = max(target, now) + self.every

    def _keyframe_after(self, last: float | None) -> tuple[VideoFrame, float] | None:
        """The first keyframe from the current position later than `last`."""
        for frame in self.video.frames(keyframes_only=True):
            now = self.video.time_of(frame)
            self.last_time = now
            if last is None or now > last:
                return frame, now
        return None

    def _sample(self, frame: VideoFrame, at: Moment) -> Sample:
        if not self.taken:
            self.rotation = quarter_turns(frame.rotation)
        image = upright(frame, self.sampling.work_side, self.video.info.pixel_aspect)
        sample = Sample(self.taken, at, image)
        self.taken += 1
        return sample

    def notes(self) -> list[str]:
        """What limited the samples of this video, in words for the run's report."""
        s, health, duration = self.sampling, self.video.health, self.video.info.duration
        notes = []
        if self.every > s.every:
            notes.append(
                f"long video: one frame every {self.every:.0f} s "
                f"(at most {s.max_samples} frames per video)"
            )
        if health.stopped_at_limit:
            notes.append(f"stopped after {health.frames} decoded frames (the per-video limit)")
        bad = health.bad_packets
        if duration and self.last_time is not None and self.taken < s.max_samples:
            missing = duration - self.last_time
            if missing > max(2.0, 2 * self.every, 0.1 * duration):
                notes.append(f"truncated: frames end at {self.last_time:.1f} s of {duration:.1f} s")
                bad -= health.bad_at_end  # the packet the file ends in, cut short
        if bad:
            notes.append(
                f"corrupt stream: {bad} packets could not be decoded and were skipped "
                f"({health.last_error})"
            )
        return notes


def _changed(before: np.ndarray, after: np.ndarray) -> float:
    """How much of the picture changed: the median absolute change of the grid's blocks, so
    one moving hand (a few blocks) is not a scene change and a cut (most blocks) is."""
    return float(np.median(np.abs(after - before)))
