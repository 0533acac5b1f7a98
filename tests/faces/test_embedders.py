"""The embedder registry refuses to run without real weights, and never mixes vector spaces."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from node.faces.detect import Detection
from node.faces.embed import FACENET_URL, FacenetEmbedder, facenet_weights_path, inception_resnet_v1
from node.faces.models import ModelMissing
from node.media.decode import decode
from tests.conftest import TESTDATA, roost


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"


def test_facenet_without_weights_says_how_to_get_them(torch_home: Path) -> None:
    with pytest.raises(ModelMissing) as err:
        FacenetEmbedder()
    message = str(err.value)
    assert str(torch_home / "checkpoints" / "20180402-114759-vggface2.pt") in message
    assert FACENET_URL in message


def test_facenet_refuses_unreadable_and_mismatched_weights(torch_home: Path) -> None:
    path = facenet_weights_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelMissing, match="unreadable"):
        FacenetEmbedder()
    torch.save({"conv2d_1a.conv.weight": torch.zeros(1)}, path)
    with pytest.raises(ModelMissing, match="do not fit"):
        FacenetEmbedder()


def test_facenet_loads_a_checkpoint_through_the_real_path(torch_home: Path) -> None:
    """A checkpoint written here (VGGFace2's is not shippable) goes through the real loader,
    classifier head included, and its weights are the ones used."""
    source = inception_resnet_v1().eval()
    state = source.state_dict()
    state["logits.weight"] = torch.zeros(8631, 512)
    state["logits.bias"] = torch.zeros(8631)
    facenet_weights_path().parent.mkdir(parents=True)
    torch.save(state, facenet_weights_path())

    embedder = FacenetEmbedder()
    image = decode(TESTDATA / "faces/id00/img1.jpg", work_side=1024, max_pixels=10**8).image
    face = Detection(box=(300.0, 150.0, 700.0, 650.0), score=1.0, landmarks=(0.0,) * 10)
    vectors = embedder.embed(image, [face, face])
    assert vectors.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    chip = np.asarray(image.crop(face.box).resize((160, 160)), np.float32)
    batch = (torch.tensor(chip).permute(2, 0, 1)[None] - 127.5) / 128.0
    with torch.inference_mode():
        expected = source(batch).numpy()[0]
    np.testing.assert_allclose(vectors[0], expected, atol=1e-4)


def test_cli_refuses_facenet_without_weights(tmp_path: Path) -> None:
    env_home = tmp_path / "torch-home"
    album = tmp_path / "album"
    album.mkdir()
    shutil.copy(TESTDATA / "faces/id00/img1.jpg", album)
    result = roost(
        "index", album, "--embedder", "facenet-vggface2",
        home=tmp_path / "home", check=False, env={**os.environ, "TORCH_HOME": str(env_home)},
    )  # fmt: skip
    assert result.returncode == 1
    assert "FaceNet weights not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_library_never_mixes_embedders(tmp_path: Path) -> None:
    album = tmp_path / "album"
    album.mkdir()
    shutil.copy(TESTDATA / "edge_cases/biden.jpg", album)
    home = tmp_path / "home"
    roost("index", album, home=home)
    result = roost("index", album, "--embedder", "facenet-vggface2", home=home, check=False)
    assert result.returncode == 1
    assert "dlib-resnet-v1" in result.stderr and "mixing" in result.stderr
