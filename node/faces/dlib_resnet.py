"""dlib's face descriptor network as a torch module, with dlib's own trained weights.

dlib's ResNet (`dlib_face_recognition_resnet_model_v1.dat`, from dlib's `dnn_face_recognition_ex`)
maps a 150 px aligned face chip to 128 numbers. Run by dlib it takes about 0.1 s per face on one
core and holds the GIL; as a batched torch module it is several times faster, releases the GIL,
and can be fine-tuned. The descriptors equal dlib's (tests/faces/test_dlib_resnet.py: max abs
difference ≤ 1e-4 on real faces, identical pair decisions).

The network, input to output (dlib's template names in brackets):

    (x - mean RGB) / 256 → conv 7×7/2, 32 → affine → relu → max pool 3×3/2
    → 3 × res(32) → res_down(64) + 3 × res(64) → res_down(128) + 2 × res(128)
    → res_down(256) + 2 × res(256) → res_down(256) → mean over space → fc 128 (no bias)

    res(n)      = relu(x + affine(conv3×3(relu(affine(conv3×3(x))))))          [ares]
    res_down(n) = relu(avgpool2×2/2(x) + block with a first conv of stride 2)   [ares_down]

Convolutions and pools of stride 2 have no padding (dlib's default), stride-1 convolutions pad 1;
batch norm was folded into `affine` (a per-channel scale and shift) when the model was saved.
Where the two branches of a sum differ in size, dlib adds them zero-padded at the high end
(`add_prev`): the first 256-wide level sums a 3×3×256 block with a 4×4×128 shortcut into 4×4×256.

The `.dat` file is dlib's serialisation of that network; `read_weights` reads it by finding each
layer's record (`con_4`, `affine_`, `fc_2`, `input_rgb_image_sized`) and checking every shape
against the architecture above, so a file of another network is refused rather than misread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

CHIP = 150
# (channels, blocks, first block halves the size) for each level, input to output.
LEVELS = ((32, 3, False), (64, 4, True), (128, 3, True), (256, 3, True), (256, 1, True))


class WeightsMismatch(ValueError):
    """The file does not hold this network's weights."""


@dataclass(frozen=True)
class _Conv:
    weight: np.ndarray  # (out, in, kh, kw)
    bias: np.ndarray
    stride: int
    padding: int


@dataclass(frozen=True)
class DlibWeights:
    mean_rgb: tuple[float, float, float]
    convs: list[_Conv]  # 29, in the order the data flows through them
    affines: list[tuple[np.ndarray, np.ndarray]]  # (gamma, beta) after each conv
    fc: np.ndarray  # (128, 256), as torch's Linear holds it


class _Reader:
    """dlib's serialisation: integers as a length byte (high bit: negative) and little-endian
    bytes, floats as an integer mantissa and exponent, tensors as raw little-endian float32."""

    def __init__(self, data: bytes, at: int) -> None:
        self.data, self.at = data, at

    def int(self) -> int:
        head = self.data[self.at]
        size = head & 0x0F
        value = int.from_bytes(self.data[self.at + 1 : self.at + 1 + size], "little")
        self.at += 1 + size
        return -value if head & 0x80 else value

    def float(self) -> float:
        mantissa = self.int()
        exponent = self.int()
        return float(mantissa) * 2.0**exponent

    def tensor(self) -> np.ndarray:
        if self.int() != 2:
            raise WeightsMismatch("unknown dlib tensor version")
        shape = [self.int() for _ in range(4)]
        count = int(np.prod(shape))
        values = np.frombuffer(self.data, "<f4", count, self.at).astype(np.float32)
        self.at += 4 * count
        return values


def _records(data: bytes, name: bytes) -> list[int]:
    """Offsets just past each serialised layer name (a length-prefixed string)."""
    marker = bytes([1, len(name)]) + name
    return [m.end() for m in re.finditer(re.escape(marker), data)]


def read_weights(path: Path) -> DlibWeights:
    data = path.read_bytes()
    inputs = _records(data, b"input_rgb_image_sized")
    fcs = _records(data, b"fc_2")
    conv_at, affine_at = _records(data, b"con_4"), _records(data, b"affine_")
    if len(inputs) != 1 or len(fcs) != 1 or len(conv_at) != 29 or len(affine_at) != 29:
        raise WeightsMismatch(f"{path.name} is not dlib's face recognition ResNet v1")
    head = _Reader(data, inputs[0])
    mean = (head.float(), head.float(), head.float())
    convs = []
    channels_in = 3
    for at, (out, kernel, stride) in zip(conv_at, _conv_shapes(), strict=True):
        r = _Reader(data, at)
        params = r.tensor()
        filters, rows, cols, sy, sx, py, px = (r.int() for _ in range(7))
        if (filters, rows, cols, sy, sx) != (out, kernel, kernel, stride, stride) or py != px:
            raise WeightsMismatch(f"unexpected convolution {filters}×{rows}×{cols}/{sy}")
        size = out * channels_in * kernel * kernel
        if params.size != size + out:
            raise WeightsMismatch("convolution weights of the wrong size")
        weight = params[:size].reshape(out, channels_in, kernel, kernel)
        convs.append(_Conv(weight, params[size:], stride, py))
        channels_in = out
    affines = []
    for at, conv in zip(affine_at, convs, strict=True):
        params = _Reader(data, at).tensor()
        n = conv.weight.shape[0]
        if params.size != 2 * n:
            raise WeightsMismatch("affine weights of the wrong size")
        affines.append((params[:n], params[n:]))
    r = _Reader(data, fcs[0])
    outputs, inputs_n = r.int(), r.int()
    params = r.tensor()
    if (outputs, inputs_n, params.size) != (128, 256, 128 * 256):
        raise WeightsMismatch("unexpected final layer")
    return DlibWeights(mean, convs, affines, params.reshape(256, 128).T.copy())


def _conv_shapes() -> list[tuple[int, int, int]]:
    """(out channels, kernel, stride) of the 29 convolutions, input to output."""
    shapes = [(32, 7, 2)]
    for channels, blocks, down in LEVELS:
        for b in range(blocks):
            shapes += [(channels, 3, 2 if down and b == 0 else 1), (channels, 3, 1)]
    return shapes


class _Affine(nn.Module):
    def __init__(self, gamma: np.ndarray, beta: np.ndarray) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.from_numpy(gamma).view(1, -1, 1, 1))
        self.beta = nn.Parameter(torch.from_numpy(beta).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma + self.beta


def _conv(c: _Conv) -> nn.Conv2d:
    out, channels, kernel, _ = c.weight.shape
    conv = nn.Conv2d(channels, out, kernel, stride=c.stride, padding=c.padding)
    conv.weight = nn.Parameter(torch.from_numpy(c.weight.copy()))
    conv.bias = nn.Parameter(torch.from_numpy(c.bias.copy()))
    return conv


class _Residual(nn.Module):
    def __init__(self, convs: list[_Conv], affines: list[tuple[np.ndarray, np.ndarray]]) -> None:
        super().__init__()
        self.conv1, self.affine1 = _conv(convs[0]), _Affine(*affines[0])
        self.conv2, self.affine2 = _conv(convs[1]), _Affine(*affines[1])
        self.down = convs[0].stride == 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.affine2(self.conv2(F.relu(self.affine1(self.conv1(x)))))
        shortcut = F.avg_pool2d(x, 2, 2) if self.down else x
        return F.relu(_add_padded(y, shortcut))


def _add_padded(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a + b, each zero-padded at the high end of channels, rows and columns to the larger."""
    if a.shape == b.shape:
        return a + b
    shape = [max(x, y) for x, y in zip(a.shape, b.shape, strict=True)]
    out = a.new_zeros(shape)
    out[: a.shape[0], : a.shape[1], : a.shape[2], : a.shape[3]] += a
    out[: b.shape[0], : b.shape[1], : b.shape[2], : b.shape[3]] += b
    return out


class DlibResnet(nn.Module):
    """150×150 RGB uint8 chips (N, 150, 150, 3) → (N, 128) descriptors."""

    def __init__(self, weights: DlibWeights) -> None:
        super().__init__()
        self.mean: torch.Tensor
        self.register_buffer("mean", torch.tensor(weights.mean_rgb).view(1, 3, 1, 1))
        self.conv1 = _conv(weights.convs[0])
        self.affine1 = _Affine(*weights.affines[0])
        self.blocks = nn.Sequential(
            *(
                _Residual(weights.convs[i : i + 2], weights.affines[i : i + 2])
                for i in range(1, len(weights.convs), 2)
            )
        )
        self.fc = nn.Linear(256, 128, bias=False)
        self.fc.weight = nn.Parameter(torch.from_numpy(weights.fc))

    def forward(self, chips: torch.Tensor) -> torch.Tensor:
        x = (chips.permute(0, 3, 1, 2).float() - self.mean) / 256.0
        x = F.max_pool2d(F.relu(self.affine1(self.conv1(x))), 3, 2)
        x = self.blocks(x)
        out: torch.Tensor = self.fc(x.mean(dim=(2, 3)))
        return out
