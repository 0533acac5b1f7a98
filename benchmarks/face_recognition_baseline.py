"""The baseline pipeline of the popular `face_recognition` library, on dlib directly.

What `face_recognition.face_locations` + `face_encodings` do with their defaults: decode the
whole image, HOG detection with one upsampling, dlib's 5-point shape predictor, and the ResNet
descriptor with one jitter. Run as a script on a list of files; prints the number of faces.
"""

from __future__ import annotations

import sys

import dlib
import face_recognition_models as frm
import numpy as np
from PIL import Image

import node.media  # noqa: F401  (registers HEIC, so the baseline reads the same files)


def main(paths: list[str]) -> int:
    detector = dlib.get_frontal_face_detector()
    shapes = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
    net = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
    faces = 0
    for path in paths:
        try:
            pixels = np.asarray(Image.open(path).convert("RGB"))
        except OSError:
            continue
        for box in detector(pixels, 1):
            net.compute_face_descriptor(pixels, shapes(pixels, box), 1)
            faces += 1
    print(faces)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
