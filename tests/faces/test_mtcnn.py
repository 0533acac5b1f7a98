"""Roost's MTCNN cascade against facenet-pytorch's, and its non-maximum suppression.

`mtcnn_reference.json` holds what facenet-pytorch 2.6.0's MTCNN (with torchvision's NMS and
torch's area resizing) found on 20 real photos at 1280 px, recorded before Roost dropped
torchvision. Roost resizes with PIL's box filter instead (several times faster; uint8 rounding
moves some borderline proposals), so boxes are compared by overlap, not to the last bit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from node.faces.detect import mtcnn_weights
from node.faces.mtcnn import Cascade, load_nets, nms
from node.index.faces import _iou
from node.media.decode import decode
from tests.conftest import TESTDATA

REFERENCE = json.loads((Path(__file__).parent / "mtcnn_reference.json").read_text())
SURE = 0.95  # detections this confident must agree; below it either side may see a doubtful face


Found = tuple[np.ndarray, np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def found() -> dict[str, Found]:
    """What Roost's cascade finds on each reference photo: boxes, scores, landmarks."""
    cascade = Cascade(load_nets(mtcnn_weights()), min_face=20)
    return {name: cascade(_picture(name, r["size"])) for name, r in REFERENCE["photos"].items()}


def _picture(name: str, size: list[int]) -> Image.Image:
    image = decode(TESTDATA / name, work_side=2048, max_pixels=10**8).image
    scale = min(1.0, 1280 / max(image.size))
    if scale < 1:
        target = (round(image.width * scale), round(image.height * scale))
        image = image.resize(target, Image.Resampling.BILINEAR)
    assert list(image.size) == size
    return image


@pytest.mark.parametrize("name", sorted(REFERENCE["photos"]))
def test_finds_the_faces_facenet_pytorch_found(found: dict[str, Found], name: str) -> None:
    reference: dict[str, Any] = REFERENCE["photos"][name]
    boxes, scores, marks = found[name]
    expected = [f for f in reference["faces"] if f["score"] >= SURE]
    for face in expected:
        overlaps = [_iou(face["box"], box) for box in boxes]
        best = int(np.argmax(overlaps)) if overlaps else -1
        assert best >= 0 and overlaps[best] >= 0.75, (face, boxes)
        side = face["box"][2] - face["box"][0]
        drift = np.abs(marks[best].reshape(-1) - np.array(face["landmarks"])).max() / side
        assert drift < 0.15, (face, marks[best])
        assert abs(scores[best] - face["score"]) < 0.01
    for box, score in zip(boxes, scores, strict=True):
        if score >= SURE:
            assert any(_iou(box, f["box"]) >= 0.5 for f in reference["faces"]), (box, score)


def test_boxes_agree_closely_on_average(found: dict[str, Found]) -> None:
    overlaps = []
    for name, reference in REFERENCE["photos"].items():
        boxes = found[name][0]
        for face in reference["faces"]:
            if face["score"] >= SURE:
                overlaps.append(max(_iou(face["box"], box) for box in boxes))
    assert len(overlaps) >= 20
    assert float(np.mean(overlaps)) > 0.95


def _reference_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> list[int]:
    """Greedy NMS written out the slow way: best remaining box, drop all that overlap it."""
    left = sorted(range(len(scores)), key=lambda i: -scores[i])
    kept = []
    while left:
        best = left.pop(0)
        kept.append(best)
        left = [i for i in left if _iou(boxes[best], boxes[i]) <= threshold]
    return kept


def test_nms_keeps_the_best_of_each_overlapping_group() -> None:
    rng = np.random.default_rng(7)
    corners = rng.uniform(0, 200, size=(300, 2))
    sizes = rng.uniform(10, 60, size=(300, 2))
    boxes = np.concatenate([corners, corners + sizes], axis=1).astype(np.float32)
    scores = rng.permutation(300).astype(np.float32) / 300  # distinct, so the order is defined
    for threshold in (0.3, 0.5, 0.7):
        kept = nms(torch.from_numpy(boxes), torch.from_numpy(scores), threshold).tolist()
        assert kept == _reference_nms(boxes, scores, threshold)
    assert nms(torch.zeros((0, 4)), torch.zeros(0), 0.5).tolist() == []


def test_weights_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    for name in ("pnet", "rnet", "onet"):
        torch.save({"conv1.weight": torch.zeros(1)}, tmp_path / f"{name}.pt")
    with pytest.raises(RuntimeError, match="state_dict"):
        load_nets(tmp_path)
