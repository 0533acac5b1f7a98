"""The face models need no GPU stack: a CPU build of torch, no CUDA packages, no torchvision."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata

import pytest

from tests.conftest import REPO, TESTDATA

NO_GPU = shutil.which("nvidia-smi") is None


@pytest.mark.skipif(not NO_GPU, reason="a machine with a GPU may carry the CUDA build")
def test_no_cuda_or_torchvision_package_is_installed() -> None:
    import torch

    assert torch.version.cuda is None, torch.__version__
    names = {(d.metadata["Name"] or "").lower() for d in metadata.distributions()}
    gpu = sorted(n for n in names if n.startswith(("nvidia-", "cuda-")) or n == "triton")
    assert gpu == []
    assert "torchvision" not in names


def test_indexing_a_photo_never_imports_torchvision() -> None:
    code = f"""
import sys
from pathlib import Path
from node.faces.detect import MtcnnDetector
from node.faces.embed import DlibResnetEmbedder
from node.media.decode import decode
image = decode(Path({str(TESTDATA / "multi_face/couple.jpg")!r}), work_side=2048,
               max_pixels=10**8).image
faces = MtcnnDetector().detect(image)
vectors = DlibResnetEmbedder().embed(image, faces)
assert len(faces) == 2 and vectors.shape == (2, 128), (faces, vectors.shape)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("torchvision", "facenet_pytorch")))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.strip() == "[]"
