"""The torch port of dlib's face descriptor against dlib itself, on real faces."""

from __future__ import annotations

import itertools
from pathlib import Path

import dlib
import face_recognition_models as frm
import numpy as np
import pytest

from node.faces.detect import MtcnnDetector
from node.faces.dlib_resnet import WeightsMismatch, read_weights
from node.faces.embed import DlibResnetEmbedder
from node.media.decode import decode
from tests.conftest import TESTDATA

PHOTOS = [
    *sorted((TESTDATA / "faces").glob("id*/*.jpg"))[::5],
    TESTDATA / "multi_face/couple.jpg",
    TESTDATA / "multi_face/selfie-many-people.jpg",
    *sorted((TESTDATA / "lfw_dev").glob("A*/*_0001.jpg"))[:4],
]


@pytest.fixture(scope="module")
def descriptors() -> tuple[np.ndarray, np.ndarray]:
    """(dlib's own descriptors, the torch module's) for every face found in PHOTOS."""
    detector, embedder = MtcnnDetector(), DlibResnetEmbedder()
    net = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
    shapes_of = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
    theirs: list[list[float]] = []
    ours: list[np.ndarray] = []
    for photo in PHOTOS:
        image = decode(photo, work_side=2048, max_pixels=10**8).image
        faces = detector.detect(image)
        if not faces:
            continue
        pixels = np.asarray(image)
        shapes = dlib.full_object_detections()
        for face in faces:
            x1, y1, x2, y2 = (round(v) for v in face.box)
            shapes.append(shapes_of(pixels, dlib.rectangle(x1, y1, x2, y2)))
        theirs += [list(v) for v in net.compute_face_descriptor(pixels, shapes, 0, 0.25)]
        ours += list(embedder.embed(image, faces))
    return np.array(theirs, np.float32), np.array(ours, np.float32)


def test_descriptors_equal_dlibs(descriptors: tuple[np.ndarray, np.ndarray]) -> None:
    theirs, ours = descriptors
    assert len(theirs) >= 20
    assert np.abs(theirs - ours).max() <= 1e-4


def test_pair_decisions_are_identical(
    descriptors: tuple[np.ndarray, np.ndarray],
) -> None:
    theirs, ours = descriptors
    pairs = list(itertools.combinations(range(len(theirs)), 2))
    d_theirs = np.array([np.linalg.norm(theirs[i] - theirs[j]) for i, j in pairs])
    d_ours = np.array([np.linalg.norm(ours[i] - ours[j]) for i, j in pairs])
    for threshold in (0.5, 0.55, 0.6):  # around dlib's 0.6 and Roost's clustering distances
        assert ((d_theirs <= threshold) == (d_ours <= threshold)).all()


def test_another_file_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "model.dat"
    other.write_bytes(Path(frm.pose_predictor_five_point_model_location()).read_bytes())
    with pytest.raises(WeightsMismatch):
        read_weights(other)
