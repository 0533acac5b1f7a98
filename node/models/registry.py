"""The models Roost knows: what each file must be (size, sha256), where it comes from, and what
it enables.

A download is trusted only through its pinned sha256, never through where it came from, so the
same pins check a file a user imports by hand. The files are ONNX conversions of public models
(the `upstream` of each); `url` is where `roost models fetch` downloads Roost's conversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a model does for the index: each role is one part of the vision stage."""

    DETECTOR = "detector"  # COCO objects and animals, boxes and scores
    CLASSIFIER = "classifier"  # ImageNet labels of the photo, appearance features of crops
    CLIP = "clip"  # image and text embeddings in one space (imported by the user)


@dataclass(frozen=True)
class ModelFile:
    name: str  # the file's name inside the model's folder
    size: int
    sha256: str
    url: str = ""  # where `fetch` gets it; empty for files that are only ever imported


@dataclass(frozen=True)
class ModelSpec:
    name: str
    role: Role
    files: tuple[ModelFile, ...]
    licence: str
    enables: str  # for `roost models list`
    upstream: str = ""  # the public model it was converted from

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def file(self, name: str) -> ModelFile:
        return next(f for f in self.files if f.name == name)


_RELEASE = "https://github.com/roost-photos/models/releases/download/v1"

COCO_SSD = ModelSpec(
    name="coco-ssd-mobilenet-v2",
    role=Role.DETECTOR,
    files=(
        ModelFile(
            "model.onnx",
            69_571_645,
            "e1b69b012eafe54f2794adc27e5d9cd4a47f263252114adc6d60e55fabedf30d",
            f"{_RELEASE}/coco-ssd-mobilenet-v2.onnx",
        ),
        ModelFile(
            "labels.txt",
            661,
            "dc183f003fc753c4c43fae6fdf7f387559449573f13fa32e517fb7453fd380f1",
            f"{_RELEASE}/coco-ssd-mobilenet-v2.labels.txt",
        ),
    ),
    licence="Apache-2.0",
    enables="animals and objects (COCO): search for dog, cat, horse, bike, cake...; pets by name",
    upstream="TensorFlow detection model zoo ssd_mobilenet_v2_coco_2018_03_29, ONNX opset 13",
)

IMAGENET_MOBILENET = ModelSpec(
    name="imagenet-mobilenet-v2",
    role=Role.CLASSIFIER,
    files=(
        ModelFile(
            "model.onnx",
            4_127_244,
            "ecef7dd6fa03f478a527ef993131e7c98f7c974d2bdefc0c387b134110211096",
            f"{_RELEASE}/imagenet-mobilenet-v2.onnx",
        ),
        ModelFile(
            "labels.txt",
            21_686,
            "b8aaeb5630c62626a7d124a05c0e14230a7ffdd2136a31d0190a4fb71c1d82f1",
            f"{_RELEASE}/imagenet-mobilenet-v2.labels.txt",
        ),
    ),
    licence="Apache-2.0",
    enables="scene labels (ImageNet): beach, snow, breeds...; the appearance of pets",
    upstream="google-coral/test_data tf2_mobilenet_v2_1.0_224_ptq.tflite (int8), as ONNX",
)

KNOWN: dict[str, ModelSpec] = {spec.name: spec for spec in (COCO_SSD, IMAGENET_MOBILENET)}
