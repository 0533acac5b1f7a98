"""MTCNN (Zhang et al. 2016) on plain torch: facenet-pytorch's trained P/R/O-Net weights, loaded
into these definitions of its three networks, and the cascade around them written here.

facenet-pytorch's own cascade needs torchvision for non-maximum suppression, and torchvision has
no build beside the CPU build of torch Roost installs, so NMS is done here; resizing is torch's
own area interpolation, as there. Given the same image and settings the boxes, scores and
landmarks equal facenet-pytorch's (tests/faces/test_mtcnn.py compares them on real photos).

    pyramid of scales → P-Net on each (12 px windows, stride 2) → NMS per scale, then across
    → square boxes → R-Net on 24 px crops → NMS → O-Net on 48 px crops → landmarks, NMS ("Min")
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image
from torch import nn

Overlap = Literal["union", "min"]
AREA = (
    Image.Resampling.BOX
)  # PIL's box filter averages each output pixel's area, like torch's "area"


class PNet(nn.Module):
    """Proposal network: fully convolutional, a face score and box offsets per 12 px window."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 2, 1)
        self.conv4_2 = nn.Conv2d(32, 4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return self.conv4_2(x), torch.softmax(self.conv4_1(x), dim=1)


class RNet(nn.Module):
    """Refinement network on 24 px crops."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 28, 3), nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(28, 48, 3), nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.dense4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x))
        x = x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)  # the trained weights' order
        x = self.prelu4(self.dense4(x))
        return self.dense5_2(x), torch.softmax(self.dense5_1(x), dim=1)


class ONet(nn.Module):
    """Output network on 48 px crops: score, box offsets and five landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu4(self.conv4(x))
        x = x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)
        x = self.prelu5(self.dense5(x))
        return self.dense6_2(x), self.dense6_3(x), torch.softmax(self.dense6_1(x), dim=1)


def load_nets(folder: Path) -> tuple[PNet, RNet, ONet]:
    """The three networks with the weights in `folder` (pnet.pt, rnet.pt, onet.pt), strictly:
    a file that does not fit its network is an error, never partly random weights."""
    nets = (PNet(), RNet(), ONet())
    for net, name in zip(nets, ("pnet", "rnet", "onet"), strict=True):
        state = torch.load(folder / f"{name}.pt", map_location="cpu", weights_only=True)
        net.load_state_dict(state, strict=True)
        net.eval()
    return nets


class Cascade:
    """MTCNN's three stages over one RGB image, as facenet-pytorch runs them."""

    def __init__(
        self,
        nets: tuple[PNet, RNet, ONet],
        *,
        min_face: int = 20,
        thresholds: Sequence[float] = (0.6, 0.7, 0.7),
        factor: float = 0.709,
    ) -> None:
        self.pnet, self.rnet, self.onet = nets
        self.min_face, self.thresholds, self.factor = min_face, tuple(thresholds), factor

    @torch.inference_mode()
    def __call__(self, picture: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes (n, 4: x1 y1 x2 y2), scores (n,) and landmarks (n, 5, 2) for an RGB image,
        largest box first."""
        image = picture.convert("RGB")
        w, h = image.size
        boxes = self._propose(image, h, w)
        if len(boxes):
            boxes = self._refine(image, boxes, w, h)
        if len(boxes):
            boxes, points = self._output(image, boxes, w, h)
        if not len(boxes):
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 5, 2))
        out = boxes.numpy()
        largest = np.argsort((out[:, 2] - out[:, 0]) * (out[:, 3] - out[:, 1]))[::-1]
        return out[largest, :4], out[largest, 4], points.numpy()[largest]

    def _scales(self, h: int, w: int) -> list[float]:
        m = 12.0 / self.min_face
        side = min(h, w) * m
        scales, scale = [], m
        while side >= 12:
            scales.append(scale)
            scale *= self.factor
            side *= self.factor
        return scales

    def _propose(self, image: Image.Image, h: int, w: int) -> torch.Tensor:
        found = []
        for scale in self._scales(h, w):
            size = (int(w * scale + 1), int(h * scale + 1))
            reg, probs = self.pnet(_tensor(image.resize(size, AREA)))
            boxes = _windows(reg, probs[:, 1], scale, self.thresholds[0])
            found.append(boxes[nms(boxes[:, :4], boxes[:, 4], 0.5)])
        boxes = torch.cat(found, dim=0)
        boxes = boxes[nms(boxes[:, :4], boxes[:, 4], 0.7)]
        regw = boxes[:, 2] - boxes[:, 0]
        regh = boxes[:, 3] - boxes[:, 1]
        moved = torch.stack(
            [
                boxes[:, 0] + boxes[:, 5] * regw,
                boxes[:, 1] + boxes[:, 6] * regh,
                boxes[:, 2] + boxes[:, 7] * regw,
                boxes[:, 3] + boxes[:, 8] * regh,
                boxes[:, 4],
            ]
        ).permute(1, 0)
        return _square(moved)

    def _refine(self, image: Image.Image, boxes: torch.Tensor, w: int, h: int) -> torch.Tensor:
        crops, boxes = _crops(image, boxes, w, h, 24)
        reg, probs = self.rnet(crops)
        score = probs[:, 1]
        keep = score > self.thresholds[1]
        boxes = torch.cat((boxes[keep, :4], score[keep].unsqueeze(1)), dim=1)
        reg = reg[keep]
        pick = nms(boxes[:, :4], boxes[:, 4], 0.7)
        return _square(_regress(boxes[pick], reg[pick]))

    def _output(
        self, image: Image.Image, boxes: torch.Tensor, w: int, h: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        crops, boxes = _crops(image, boxes, w, h, 48)
        reg, marks, probs = self.onet(crops)
        score = probs[:, 1]
        keep = score > self.thresholds[2]
        marks = marks[keep]
        boxes = torch.cat((boxes[keep, :4], score[keep].unsqueeze(1)), dim=1)
        reg = reg[keep]
        bw = (boxes[:, 2] - boxes[:, 0] + 1).unsqueeze(1)
        bh = (boxes[:, 3] - boxes[:, 1] + 1).unsqueeze(1)
        xs = bw * marks[:, :5] + boxes[:, 0:1] - 1
        ys = bh * marks[:, 5:10] + boxes[:, 1:2] - 1
        points = torch.stack((xs, ys), dim=2)
        boxes = _regress(boxes, reg)
        pick = nms(boxes[:, :4], boxes[:, 4], 0.7, overlap="min")
        return boxes[pick], points[pick]


def nms(
    boxes: torch.Tensor, scores: torch.Tensor, threshold: float, overlap: Overlap = "union"
) -> torch.Tensor:
    """Greedy non-maximum suppression: indexes of the boxes kept, best score first.

    "union" measures overlap as intersection over union with areas (x2-x1)(y2-y1), as
    torchvision's `nms` does; "min" as intersection over the smaller box with areas counted in
    whole pixels (+1), as MTCNN's original last stage does."""
    if boxes.shape[0] == 0:
        return torch.zeros(0, dtype=torch.long)
    b = boxes.numpy()
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    extra = 1.0 if overlap == "min" else 0.0
    areas = (x2 - x1 + extra) * (y2 - y1 + extra)
    if overlap == "min":
        order = np.argsort(scores.numpy())[::-1]
    else:
        order = torch.sort(scores, descending=True, stable=True).indices.numpy()
    alive = np.ones(len(order), dtype=bool)
    keep = []
    for rank, i in enumerate(order):
        if not alive[rank]:
            continue
        keep.append(i)
        rest = order[rank + 1 :]
        iw = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + extra)
        ih = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + extra)
        inter = iw * ih
        if overlap == "min":
            ratio = inter / np.minimum(areas[i], areas[rest])
        else:
            ratio = inter / (areas[i] + areas[rest] - inter)
        alive[rank + 1 :] &= ~(ratio > threshold)
    return torch.as_tensor(np.array(keep, dtype=np.int64))


def _tensor(pixels: Image.Image | np.ndarray) -> torch.Tensor:
    """(h, w, 3) or (n, h, w, 3) uint8 pixels as the normalised NCHW floats the nets take.

    Permuted, not copied: the result is channels-last in memory, which runs P-Net's narrow
    convolutions about twice as fast on a CPU as a contiguous NCHW copy (measured)."""
    data = torch.from_numpy(np.asarray(pixels, dtype=np.float32))
    if data.dim() == 3:
        data = data.unsqueeze(0)
    return (data.permute(0, 3, 1, 2) - 127.5) * 0.0078125


def _windows(
    reg: torch.Tensor, probs: torch.Tensor, scale: float, threshold: float
) -> torch.Tensor:
    """P-Net's cells above `threshold` as boxes in image pixels: x1 y1 x2 y2 score + 4 offsets."""
    stride, cell = 2, 12
    reg = reg.permute(1, 0, 2, 3)
    mask = probs >= threshold
    where = mask.nonzero()
    score = probs[mask]
    offsets = reg[:, mask].permute(1, 0)
    at = where[:, 1:].to(reg.dtype).flip(1)
    q1 = ((stride * at + 1) / scale).floor()
    q2 = ((stride * at + cell - 1 + 1) / scale).floor()
    return torch.cat([q1, q2, score.unsqueeze(1), offsets], dim=1)


def _regress(boxes: torch.Tensor, reg: torch.Tensor) -> torch.Tensor:
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    moved = boxes.clone()
    moved[:, :4] = torch.stack(
        [
            boxes[:, 0] + reg[:, 0] * w,
            boxes[:, 1] + reg[:, 1] * h,
            boxes[:, 2] + reg[:, 2] * w,
            boxes[:, 3] + reg[:, 3] * h,
        ]
    ).permute(1, 0)
    return moved


def _square(boxes: torch.Tensor) -> torch.Tensor:
    """Grow each box to a square about its centre."""
    h = boxes[:, 3] - boxes[:, 1]
    w = boxes[:, 2] - boxes[:, 0]
    side = torch.max(w, h)
    out = boxes.clone()
    out[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    out[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    out[:, 2:4] = out[:, :2] + side.repeat(2, 1).permute(1, 0)
    return out


def _crops(
    image: Image.Image, boxes: torch.Tensor, w: int, h: int, size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each box cut from the image (clipped to it) and area-resized to size × size, and the
    boxes that had any pixels inside the image (the others are dropped)."""
    b = boxes.trunc().int().numpy()
    x, y = np.maximum(b[:, 0], 1), np.maximum(b[:, 1], 1)
    ex, ey = np.minimum(b[:, 2], w), np.minimum(b[:, 3], h)
    inside = (ey > y - 1) & (ex > x - 1)
    crops = [
        np.asarray(image.resize((size, size), AREA, box=(x[k] - 1, y[k] - 1, ex[k], ey[k])))
        for k in np.flatnonzero(inside)
    ]
    if not crops:
        return torch.zeros((0, 3, size, size)), boxes[:0]
    return _tensor(np.stack(crops)), boxes[torch.as_tensor(inside)]
