"""Face tracks of the real clip, with the real face models: what is on screen when, the work it
took (detector and embedder calls counted), and rotated copies finding the same faces."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from node.faces.detect import Detection
from node.faces.embed import DEFAULT_EMBEDDER, Embedder
from node.index.models import Models, RunModels
from node.index.run import IndexOptions
from node.media.decode import decode
from node.video.analyse import VideoOptions, VideoRecord, analyse
from tests.video.clips import CLIP, CUTS, DURATION, LIN_MANUEL, recorded_sideways

pytestmark = [pytest.mark.models, pytest.mark.slow]


class Counted:
    """The real models, counting what they are asked to do."""

    def __init__(self, models: RunModels) -> None:
        self._models = models
        self.detected: list[int] = []  # faces found per detect call
        self.embedded: list[int] = []  # faces per embed call

    @property
    def detector(self) -> Counted:
        return self

    @property
    def embedder(self) -> Embedder:
        return self  # type: ignore[return-value]

    @property
    def id(self) -> str:
        return self._models.embedder.id

    @property
    def dim(self) -> int:
        return self._models.embedder.dim

    def detect(self, image: Image.Image) -> list[Detection]:
        found = self._models.detector.detect(image)
        self.detected.append(len(found))
        return found

    def embed(self, image: Image.Image, faces: Sequence[Detection]) -> np.ndarray:
        self.embedded.append(len(faces))
        return self._models.embedder.embed(image, faces)


@pytest.fixture(scope="module")
def models() -> RunModels:
    return RunModels(
        Models(),
        embedder=DEFAULT_EMBEDDER,
        detect_side=IndexOptions.detect_side,
        min_face=VideoOptions.min_face,
        threads=1,
    )


@pytest.fixture(scope="module")
def clip(models: RunModels) -> tuple[VideoRecord, Counted]:
    counted = Counted(models)
    return analyse(CLIP, counted), counted


def _reference(models: RunModels) -> np.ndarray:
    photo = decode(LIN_MANUEL, work_side=2048, max_pixels=100_000_000)
    face = max(models.detector.detect(photo.image), key=lambda d: d.width)  # his, not a speck
    vector: np.ndarray = models.embedder.embed(photo.image, [face])[0]
    return vector


def test_work_is_one_detection_per_sample_and_one_embedding_per_track(
    clip: tuple[VideoRecord, Counted],
) -> None:
    record, counted = clip
    assert len(counted.detected) == record.samples
    # Each face followed from sample to sample is embedded once, from its best sighting: far
    # fewer descriptors than detections.
    assert sum(counted.embedded) < sum(counted.detected)
    assert sum(counted.embedded) >= len(record.faces)


def test_his_close_up_is_one_track_covering_the_shot(
    clip: tuple[VideoRecord, Counted], models: RunModels
) -> None:
    record, _ = clip
    assert record.duration == pytest.approx(DURATION, abs=0.02)
    reference = _reference(models)
    nearest = min(record.faces, key=lambda f: float(np.linalg.norm(f.embedding - reference)))
    # Close enough to join his cluster once he is named (within 0.50 of his face), and so to be
    # assigned to him.
    assert float(np.linalg.norm(nearest.embedding - reference)) < 0.50
    ((start, end),) = nearest.spans
    assert start == pytest.approx(CUTS[1], abs=0.05) and end == pytest.approx(CUTS[2], abs=0.05)
    assert nearest.sightings >= 4
    assert CUTS[1] <= nearest.best_time <= CUTS[2]
    assert record.poster == nearest.best_time  # the video's frame is his best one


def test_the_audience_is_four_faces_together(clip: tuple[VideoRecord, Counted]) -> None:
    record, _ = clip
    audience = [f for f in record.faces if f.spans[0][0] >= CUTS[2] - 0.01]
    assert len(audience) >= 4
    assert all(f.spans[-1][1] == pytest.approx(DURATION, abs=0.02) for f in audience)
    # Faces on screen at the same moment are never one track.
    together = [f for f in audience if f.spans[0][0] == pytest.approx(CUTS[2], abs=0.01)]
    assert len({f.idx for f in together}) == len(together) >= 4


def test_boxes_are_in_upright_video_pixels(clip: tuple[VideoRecord, Counted]) -> None:
    record, _ = clip
    for face in record.faces:
        x1, y1, x2, y2 = face.box
        assert 0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 360


@pytest.mark.parametrize("rotation", [90, -90])
def test_a_video_recorded_sideways_finds_the_same_faces(
    tmp_path: Path, models: RunModels, clip: tuple[VideoRecord, Counted], rotation: int
) -> None:
    record, plain = clip
    counted = Counted(models)
    phone = analyse(recorded_sideways(tmp_path / "phone.mp4", rotation), counted)
    assert (phone.width, phone.height) == (640, 360)  # upright, as it plays
    assert phone.rotation == {90: 1, -90: 3}[rotation]
    # The detector saw upright frames: it finds what it finds on the clip itself, up to the
    # noise of re-encoding (a sideways face is rarely found at all).
    assert abs(sum(counted.detected) - sum(plain.detected)) <= 2
    # His close-up: the same track over the same frames, and still him. (Which of its
    # sightings is best may change with re-encoding: his descriptors on the frames of this
    # shot lie 0.39-0.56 apart.)
    reference = _reference(models)
    ours = min(phone.faces, key=lambda f: float(np.linalg.norm(f.embedding - reference)))
    theirs = min(record.faces, key=lambda f: float(np.linalg.norm(f.embedding - reference)))
    assert float(np.linalg.norm(ours.embedding - reference)) < 0.5
    assert ours.sightings == theirs.sightings
    assert np.allclose(ours.spans, theirs.spans, atol=0.02)
