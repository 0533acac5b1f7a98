"""Face detection with MTCNN (facenet-pytorch's shipped P/R/O-Net weights, `node.faces.mtcnn`).

MTCNN runs on a copy no larger than `detect_side`: detection cost grows with pixels, and a face
too small to find at that size is also too small to recognise. Boxes come back in the
coordinates of the image passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from node.faces.models import ModelMissing, facenet_folder

MTCNN_ID = "mtcnn-facenet-pytorch-2.6"


@dataclass(frozen=True)
class Detection:
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in working-image pixels
    score: float
    landmarks: tuple[float, ...]  # 5 (x, y) pairs: eyes, nose, mouth corners

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]


def mtcnn_weights() -> Path:
    """The folder of facenet-pytorch's P/R/O-Net weights, checked to hold all three."""
    folder = facenet_folder() / "data"
    missing = [n for n in ("pnet.pt", "rnet.pt", "onet.pt") if not (folder / n).is_file()]
    if missing:
        raise ModelMissing(
            f"MTCNN weights {', '.join(missing)} are missing from facenet-pytorch; "
            "reinstall it with `scripts/setup` (pip install --no-deps facenet-pytorch==2.6.0)"
        )
    return folder


class MtcnnDetector:
    id = MTCNN_ID

    def __init__(
        self,
        *,
        detect_side: int = 1280,
        min_face: int = 20,
        min_score: float = 0.9,
        threads: int = 1,
    ) -> None:
        weights = mtcnn_weights()
        import torch

        from node.faces.mtcnn import Cascade, load_nets

        torch.set_num_threads(threads)
        self._cascade = Cascade(load_nets(weights), min_face=min_face)
        self._detect_side = detect_side
        self._min_score = min_score

    def detect(self, image: Image.Image) -> list[Detection]:
        scale = min(1.0, self._detect_side / max(image.size))
        small = image
        if scale < 1.0:
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            small = image.resize(size, Image.Resampling.BILINEAR)
        boxes, scores, points = self._cascade(small)
        found = []
        for box, score, lm in zip(boxes, scores, points, strict=True):
            if score < self._min_score:
                continue
            x1, y1, x2, y2 = (float(v) / scale for v in box)
            box_clipped = (
                max(0.0, x1),
                max(0.0, y1),
                min(float(image.width), x2),
                min(float(image.height), y2),
            )
            if box_clipped[2] - box_clipped[0] < 2 or box_clipped[3] - box_clipped[1] < 2:
                continue
            marks = tuple(float(v) / scale for v in np.asarray(lm).reshape(-1))
            found.append(Detection(box_clipped, float(score), marks))
        return found
