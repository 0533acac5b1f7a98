"""ImageNet labels of a photo, and the appearance features of a crop (pets).

MobileNetV2 (int8) takes a 224 px square. A photo's labels are its top classes; a crop's
appearance is the 1280-d global-average-pooled layer before the classifier, L2-normalised, so
that Euclidean distances between crops lie in [0, 2]. Those features were chosen over the
1001 class scores because they keep what the classes throw away (coat, colour, pose): on the
crops of `pets/`, the nearest other crop was the same breed for 97.8 % of them (class scores:
96.7 %), and no two breeds came closer than 0.90 (docs/ARCHITECTURE.md, "Pets").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from node.models.registry import IMAGENET_MOBILENET
from node.models.runtime import OnnxModel, TensorSpec
from node.vision.model import Needs

SIDE = 224
TOP = 5  # labels kept per photo
MIN_SCORE = 0.02  # of the softmax; lower labels are noise
FEATURES_DIM = 1280
_SCORES = "Identity"
# The GlobalAveragePool's output in this conversion (TFLite names every tensor by its history).
_FEATURES = (
    "MobileNetV2/top/Reshape/Reshape;StatefulPartitionedCall/MobileNetV2/top/Reshape/Reshape;"
    "MobileNetV2/top/GlobalPool/Mean/reduction_indices;StatefulPartitionedCall/MobileNetV2/top/"
    "GlobalPool/Mean/reduction_indices;MobileNetV2/top/GlobalPool/Mean;StatefulPartitionedCall/"
    "MobileNetV2/top/GlobalPool/Mean;MobileNetV2/top/Reshape/Reshape/shape;"
    "StatefulPartitionedCall/MobileNetV2/top/Reshape/Reshape/shape1_prequant"
)


@dataclass(frozen=True)
class Labelled:
    labels: tuple[int, ...]  # class indices into labels.txt (0 is "background"), best first
    scores: tuple[float, ...]  # softmax probabilities


class ImageNetClassifier:
    spec = IMAGENET_MOBILENET
    needs = (Needs.IMAGE, Needs.CROPS)

    def __init__(self, folder: Path, *, threads: int = 1) -> None:
        self.names = [line.split(",")[0].strip() for line in
                      (folder / "labels.txt").read_text().splitlines()]  # fmt: skip
        self._model = OnnxModel(
            folder / "model.onnx", [TensorSpec("input", "tensor(uint8)", 4)],
            extra_outputs=[_FEATURES], threads=threads,
        )  # fmt: skip

    @property
    def loaded(self) -> bool:
        return self._model.loaded

    def classify(self, image: Image.Image) -> Labelled:
        (scores,) = self._model.run({"input": _square(image)}, [_SCORES])
        probs = scores[0].astype(np.float32) / 255.0
        order = np.argsort(-probs, kind="stable")[:TOP]
        kept = [int(i) for i in order if probs[i] >= MIN_SCORE]
        return Labelled(tuple(kept), tuple(round(float(probs[i]), 4) for i in kept))

    def appearance(
        self, image: Image.Image, boxes: Sequence[tuple[float, float, float, float]]
    ) -> np.ndarray:
        """One L2-normalised feature row per box (x1, y1, x2, y2 in the image's pixels)."""
        rows = np.zeros((len(boxes), FEATURES_DIM), np.float32)
        for i, box in enumerate(boxes):
            x1, y1, x2, y2 = (round(v) for v in box)
            crop = image.crop((x1, y1, x2, y2))
            (features,) = self._model.run({"input": _square(crop)}, [_FEATURES])
            vector = features.reshape(-1).astype(np.float32)
            rows[i] = vector / max(float(np.linalg.norm(vector)), 1e-6)
        return rows


def _square(image: Image.Image) -> np.ndarray:
    """The model's input: the image squashed to 224 × 224 (the whole photo, not a centre crop,
    so that what is at its edges still counts)."""
    small = image.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.uint8)[None]
