"""One video in, its face tracks out: sample, detect, track, embed, group, and measure spans.

The face models are the photo pipeline's own (`node.faces`), reached through `FaceModels` so
that whoever runs the index decides when they load. Per sample, faces are detected and linked
to the tracks of the sample before by how little they moved; each raw track remembers only its
best sighting (quality: the clustering gate first, then size, sharpness, detection score and
how frontal the face is), and is embedded once, from that sighting, when it ends. Raw tracks are
then grouped across shots by descriptor (`node.video.track`), and each group becomes one face
record: the best sighting's box, crop and descriptor, plus its time spans.

Memory stays bounded: a sampled image is kept only while a live track's best sighting is on it,
and at most `max_faces` faces (the largest) are tracked per sample. Decoding runs one sample
ahead on a thread of its own, and two samples are in detection at once (FFmpeg and the models
release the GIL), so both cores work and the detector rarely waits; tracking takes the samples
in order.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
from PIL import Image

from node.faces.crop import sharpness, thumbnail
from node.faces.detect import Detection
from node.faces.embed import Embedder
from node.people.quality import is_good
from node.video.read import Limits, Video, VideoError, VideoInfo
from node.video.sample import Sample, Sampler, Sampling
from node.video.track import Linking, Moment, Span, Tracker, group_tracks, spans

T = TypeVar("T")


class Detector(Protocol):
    def detect(self, image: Image.Image) -> list[Detection]: ...


class FaceModels(Protocol):
    """The loaded (or lazily loading) face models of a run."""

    @property
    def detector(self) -> Detector: ...

    @property
    def embedder(self) -> Embedder: ...


@dataclass(frozen=True)
class VideoOptions:
    limits: Limits = field(default_factory=Limits)
    sampling: Sampling = field(default_factory=Sampling)
    linking: Linking = field(default_factory=Linking)
    max_faces: int = 12  # tracked per sample, largest first
    # The detector's smallest face, in pixels of the (≤ 960 px) copy it searches. Measured on
    # the clip (640x360): 20 px cost 1.06 CPU s of detection for its 11 samples, 28 px 0.64 s,
    # 40 px 0.50 s, all finding the same 8 face tracks; 28 is also the photo pipeline's choice
    # at 960 px. A face under 40 px never passes the clustering gate anyway.
    min_face: int = 28
    detect_workers: int = 2  # samples detected at once, one per core of a laptop


@dataclass(frozen=True)
class TrackFace:
    """A face track as one face record: its best sighting and when it is on screen."""

    idx: int
    box: tuple[float, float, float, float]  # upright original video pixels, best sighting
    landmarks: tuple[float, ...]
    score: float
    sharpness: float
    embedding: np.ndarray
    thumbnail: bytes
    best_time: float  # seconds: the frame the crop and descriptor come from
    spans: tuple[Span, ...]
    sightings: int  # samples it was detected on


@dataclass(frozen=True)
class VideoRecord:
    info: VideoInfo
    width: int  # upright original pixels
    height: int
    rotation: int  # quarter turns counter-clockwise that make the frames upright
    duration: float
    samples: int
    every: float  # seconds between periodic samples
    poster: float  # seconds: the frame shown for the video (its main face's best, else the first)
    faces: tuple[TrackFace, ...]
    notes: tuple[str, ...]


@dataclass
class _Best:
    """A raw track's best sighting: while the track lives, with the image it is on; once it
    ended, with the descriptor and crop made from that image instead."""

    quality: float
    time: float
    detection: Detection
    sharpness: float
    image: Image.Image | None
    vector: np.ndarray | None = None
    thumbnail: bytes = b""


@dataclass
class _Raw:
    best: _Best | None = None
    samples: list[int] = field(default_factory=list)


def analyse(path: Path, models: FaceModels, options: VideoOptions = VideoOptions()) -> VideoRecord:
    """Every face track of the video at `path` (VideoError when it cannot be read)."""
    import av

    try:
        return _analyse(path, models, options)
    except av.error.FFmpegError as exc:  # what `Video` does not already turn into a reason
        raise VideoError(f"cannot decode the video: {exc}") from exc


def _analyse(path: Path, models: FaceModels, options: VideoOptions) -> VideoRecord:
    with Video(path, options.limits) as video:
        sampler = Sampler(video, options.sampling)
        run = _Analysis(models, options)
        for sample, found in _detected(_ahead(iter(sampler)), models, options.detect_workers):
            run.add(sample, found)
        if sampler.taken == 0:
            reason = video.health.last_error
            raise VideoError(
                "corrupt video stream: no frame could be decoded"
                + (f" ({reason})" if reason else "")
            )
        duration = max(video.info.duration or 0.0, sampler.last_time or 0.0)
        width, height = video.info.width, video.info.height
        if sampler.rotation % 2:
            width, height = height, width
        faces = run.finish(duration, to_original=width / run.image_width)
        # The poster: the best frame of whoever is on screen longest.
        best = max(faces, key=lambda f: (f.sightings, f.box[2] - f.box[0]), default=None)
        return VideoRecord(
            info=video.info,
            width=width,
            height=height,
            rotation=sampler.rotation,
            duration=round(duration, 3),
            samples=sampler.taken,
            every=round(sampler.every, 3),
            poster=best.best_time if best else run.moments[0].time,
            faces=tuple(faces),
            notes=tuple(sampler.notes()),
        )


class _Analysis:
    def __init__(self, models: FaceModels, options: VideoOptions) -> None:
        self.models, self.options = models, options
        self.tracker = Tracker(options.linking)
        self.raw: list[_Raw] = []
        self.moments: list[Moment] = []
        self.image_width = 0  # of the sampled images

    def add(self, sample: Sample, found: Sequence[Detection]) -> None:
        """Track the faces `found` on the next sample."""
        self.moments.append(sample.at)
        self.image_width = sample.image.width
        found = sorted(found, key=lambda d: -d.width)[: self.options.max_faces]
        boxes = [d.box for d in found]
        ids, ended = self.tracker.step(sample.index, sample.at, boxes)
        for track, detection in zip(ids, found, strict=True):
            if track == len(self.raw):
                self.raw.append(_Raw())
            raw = self.raw[track]
            raw.samples.append(sample.index)
            sharp = sharpness(sample.image, detection.box)
            score = quality(detection, sharp)
            if raw.best is None or score > raw.best.quality:
                raw.best = _Best(score, sample.at.time, detection, sharp, sample.image)
        self._embed(ended)

    def _embed(self, tracks: Sequence[int]) -> None:
        """Descriptor and crop of each ended raw track, from its best sighting (one embedder
        call per image); then the images go."""
        by_image: dict[int, tuple[Image.Image, list[_Best]]] = {}
        for track in tracks:
            best = self.raw[track].best
            assert best is not None and best.image is not None
            by_image.setdefault(id(best.image), (best.image, []))[1].append(best)
        for image, sightings in by_image.values():
            vectors = self.models.embedder.embed(image, [b.detection for b in sightings])
            for best, vector in zip(sightings, vectors, strict=True):
                best.vector = vector
                best.thumbnail = thumbnail(image, best.detection.box)
                best.image = None

    def finish(self, duration: float, to_original: float) -> list[TrackFace]:
        """The face tracks, boxes in original upright pixels (`to_original` per sampled pixel)."""
        self._embed(self.tracker.finish())
        if not self.raw:
            return []
        bests = [r.best for r in self.raw]
        vectors = np.stack([b.vector for b in bests if b is not None and b.vector is not None])
        assert len(vectors) == len(self.raw)
        groups = group_tracks(
            [r.samples for r in self.raw], vectors, self.options.linking.same_person
        )
        faces = []
        for idx, group in enumerate(groups):
            best = max((bests[i] for i in group), key=lambda b: b.quality if b else -1.0)
            assert best is not None and best.vector is not None
            seen = sorted({s for i in group for s in self.raw[i].samples})
            faces.append(
                TrackFace(
                    idx=idx,
                    box=_scaled(best.detection.box, to_original),  # type: ignore[arg-type]
                    landmarks=_scaled(best.detection.landmarks, to_original),
                    score=round(best.detection.score, 6),
                    sharpness=best.sharpness,
                    embedding=best.vector,
                    thumbnail=best.thumbnail,
                    best_time=round(best.time, 3),
                    spans=tuple(spans(self.moments, seen, duration)),
                    sightings=len(seen),
                )
            )
        return faces


def quality(detection: Detection, sharp: float) -> float:
    """How good a sighting is to stand for its track: any face that passes the clustering gate
    beats any that does not; then larger, sharper, surer and more frontal is better."""
    x1, y1, x2, y2 = detection.box
    side = min(x2 - x1, y2 - y1)
    marks = detection.landmarks
    eyes = marks[2] - marks[0]
    frontal = 1.0 - min(1.0, abs((marks[4] - marks[0]) / eyes - 0.5) * 2) if eyes > 0 else 0.0
    gated = 1.0 if is_good(detection.box, detection.score, sharp) else 0.0
    return gated + min(side, 200) / 200 * min(sharp, 200) / 200 * detection.score * (
        0.5 + 0.5 * frontal
    )


def _scaled(values: Sequence[float], factor: float) -> tuple[float, ...]:
    return tuple(round(v * factor, 1) for v in values)


def _detected(
    samples: Iterator[Sample], models: FaceModels, workers: int
) -> Iterator[tuple[Sample, list[Detection]]]:
    """Each sample with the faces on it, in order, detected on `workers` threads at once (the
    detector keeps no state between calls, and releases the GIL in its networks)."""
    detector = models.detector
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="video-detect") as pool:
        window: deque[tuple[Sample, Future[list[Detection]]]] = deque()
        for sample in samples:
            window.append((sample, pool.submit(detector.detect, sample.image)))
            if len(window) >= workers:
                first, found = window.popleft()
                yield first, found.result()
        while window:
            first, found = window.popleft()
            yield first, found.result()


def _ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """`items` produced on a second thread, at most `depth` ahead of the consumer."""
    box: queue.Queue[tuple[bool, T | BaseException | None]] = queue.Queue(depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                box.put((True, item))
            box.put((False, None))
        except BaseException as exc:  # handed to the consumer, raised there
            box.put((False, exc))

    worker = threading.Thread(target=produce, name="video-decode", daemon=True)
    worker.start()
    try:
        while True:
            more, item = box.get()
            if not more:
                if isinstance(item, BaseException):
                    raise item
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while worker.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(0.05)
