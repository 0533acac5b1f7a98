"""COCO objects and animals: SSD MobileNetV2 with its box decoding and NMS inside the graph.

The detector sees a copy no longer than 640 px (what its figures were measured at; it resizes
to 300 px internally anyway). Boxes come back in the pixels of the image passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from node.models.registry import COCO_SSD
from node.models.runtime import OnnxModel, TensorSpec
from node.vision.model import Needs

SIDE = 640
MIN_SCORE = 0.3  # kept in the index; search asks for more (node.search.scenes)
MAX_OBJECTS = 30
_OUTPUTS = ["detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"]


@dataclass(frozen=True)
class Found:
    label: str  # COCO class name, e.g. "dog"
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the given image's pixels


class CocoDetector:
    spec = COCO_SSD
    needs = (Needs.IMAGE,)

    def __init__(self, folder: Path, *, threads: int = 1) -> None:
        self.labels = (folder / "labels.txt").read_text().splitlines()
        self._model = OnnxModel(
            folder / "model.onnx", [TensorSpec("image_tensor:0", "tensor(uint8)", 4)],
            threads=threads,
        )  # fmt: skip

    @property
    def loaded(self) -> bool:
        return self._model.loaded

    def detect(self, image: Image.Image) -> list[Found]:
        scale = min(1.0, SIDE / max(image.size))
        small = image
        if scale < 1.0:
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            small = image.resize(size, Image.Resampling.BILINEAR)
        pixels = np.asarray(small.convert("RGB"), dtype=np.uint8)[None]
        boxes, scores, classes, count = self._model.run({"image_tensor:0": pixels}, _OUTPUTS)
        n = int(count[0])
        found = []
        for box, score, cls in zip(boxes[0][:n], scores[0][:n], classes[0][:n], strict=True):
            label = self._label(int(cls))
            if score < MIN_SCORE or label is None:
                continue
            y1, x1, y2, x2 = (float(v) for v in np.clip(box, 0.0, 1.0))
            w, h = image.size
            found.append(Found(label, float(score), (x1 * w, y1 * h, x2 * w, y2 * h)))
        return found[:MAX_OBJECTS]

    def _label(self, cls: int) -> str | None:
        if not 1 <= cls <= len(self.labels):
            return None
        label = self.labels[cls - 1]
        return None if label == "n/a" else label
