"""The vision models on real photos: what they see, and what the model interface refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from node.faces.models import ModelMissing
from node.models.registry import COCO_SSD, IMAGENET_MOBILENET
from node.models.runtime import OnnxModel, TensorSpec
from node.vision.classify import ImageNetClassifier
from node.vision.detect import CocoDetector
from tests.conftest import TESTDATA
from tests.scenery import MODELS


@pytest.fixture(scope="module")
def detector() -> CocoDetector:
    return CocoDetector(MODELS / COCO_SSD.name)


@pytest.fixture(scope="module")
def classifier() -> ImageNetClassifier:
    return ImageNetClassifier(MODELS / IMAGENET_MOBILENET.name)


def photo(relative: str) -> Image.Image:
    return Image.open(TESTDATA / relative).convert("RGB")


def test_the_detector_finds_the_animals_and_the_rider(detector: CocoDetector) -> None:
    image = photo("scenes/person.jpg")
    assert not detector.loaded  # weights load on the first prediction, not before
    found = detector.detect(image)
    assert detector.loaded
    best = {f.label: f for f in sorted(found, key=lambda f: f.score)}
    assert {"horse", "person", "dog"} <= set(best)
    for f in found:  # boxes are in the image's pixels, inside it
        x1, y1, x2, y2 = f.box
        assert 0 <= x1 < x2 <= image.width and 0 <= y1 < y2 <= image.height
    # The dog stands left of the horse in this photo.
    assert best["dog"].box[2] < (best["horse"].box[0] + best["horse"].box[2]) / 2


def test_the_classifier_labels_a_beach(classifier: ImageNetClassifier) -> None:
    labelled = classifier.classify(photo("scenes/kite.jpg"))
    assert classifier.names[labelled.labels[0]] == "seashore"
    assert "sandbar" in {classifier.names[i] for i in labelled.labels}
    assert list(labelled.scores) == sorted(labelled.scores, reverse=True)


def test_appearance_tells_breeds_apart(classifier: ImageNetClassifier) -> None:
    def vectors(breed: str) -> np.ndarray:
        files = sorted((TESTDATA / "pets").glob(f"*/{breed}/*.jpg"))[:3]
        images = [Image.open(f).convert("RGB") for f in files]
        return np.concatenate(
            [classifier.appearance(i, [(0, 0, i.width, i.height)]) for i in images]
        )

    pug, samoyed = vectors("pug"), vectors("samoyed")
    assert np.allclose(np.linalg.norm(pug, axis=1), 1.0, atol=1e-5)
    within = np.linalg.norm(pug[:, None] - pug[None], axis=2)[np.triu_indices(3, 1)]
    across = np.linalg.norm(pug[:, None] - samoyed[None], axis=2)
    assert within.mean() < across.min()


def test_a_model_that_takes_other_inputs_is_refused(tmp_path: Path) -> None:
    model = OnnxModel(
        MODELS / IMAGENET_MOBILENET.name / "model.onnx", [TensorSpec("input", "tensor(float)", 4)]
    )
    with pytest.raises(ModelMissing, match="does not take input 'input' as tensor\\(float\\)"):
        model.run({"input": np.zeros((1, 224, 224, 3), np.float32)}, ["Identity"])
    garbage = tmp_path / "model.onnx"
    garbage.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelMissing, match="cannot be loaded by ONNX Runtime"):
        OnnxModel(garbage, []).run({}, ["x"])
