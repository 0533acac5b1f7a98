"""What one video may hold in memory: a sampled image only while a live track's best sighting
is on it. Counted with weak references over many samples, with stand-in models (a detector
whose one face jumps across the frame every sample, so every track ends at once)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Sequence

import numpy as np
from PIL import Image

from node.faces.detect import Detection
from node.video.analyse import VideoOptions, _Analysis
from node.video.sample import Sample
from node.video.track import Moment


class Jumping:
    """One face per sample, alternately left and right: never the same track twice."""

    id, dim = "zeros", 128

    def __init__(self) -> None:
        self.calls = 0

    @property
    def detector(self) -> Jumping:
        return self

    @property
    def embedder(self) -> Jumping:
        return self

    def detect(self, image: Image.Image) -> list[Detection]:
        self.calls += 1
        x = 20.0 if self.calls % 2 else 220.0
        marks = (x + 25, 60.0, x + 55, 60.0, x + 40, 75.0, x + 28, 90.0, x + 52, 90.0)
        return [Detection((x, 30.0, x + 80, 110.0), 0.99, marks)]

    def embed(self, image: Image.Image, faces: Sequence[Detection]) -> np.ndarray:
        return np.zeros((len(faces), 128), np.float32)


def test_only_the_images_of_live_tracks_are_kept() -> None:
    models = Jumping()
    run = _Analysis(models, VideoOptions())
    rng = np.random.default_rng(1)
    alive: list[weakref.ref[Image.Image]] = []
    for n in range(60):
        image = Image.fromarray(rng.integers(0, 255, (180, 320, 3), np.uint8))
        alive.append(weakref.ref(image))
        run.add(Sample(n, Moment(float(n), 0, 0.0), image), models.detect(image))
        del image
        gc.collect()
        assert sum(ref() is not None for ref in alive) <= 1  # the live track's best
    faces = run.finish(60.0, to_original=1.0)
    gc.collect()
    assert all(ref() is None for ref in alive)
    # Same descriptor, never on screen together: the raw tracks are one person.
    assert len(faces) == 1 and faces[0].sightings == 60
    assert faces[0].thumbnail.startswith(b"\xff\xd8")
