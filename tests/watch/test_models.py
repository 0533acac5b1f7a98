"""Runs that share one set of loaded models (`node.index.models.Models`), as the node's
indexing does: the first run that needs the face models loads them, a later run with new
photos finds faces without loading anything, and a run with its own set loads them again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from node.index.models import Models
from node.index.run import index
from node.settings import Home
from tests.conftest import TESTDATA

pytestmark = pytest.mark.models

BOTH = ["mtcnn-facenet-pytorch-2.6", "dlib-resnet-v1"]


def test_runs_sharing_models_load_them_once(tmp_path: Path) -> None:
    home, pictures = Home(tmp_path / "home"), tmp_path / "Pictures"
    pictures.mkdir()
    models = Models()

    shutil.copy2(TESTDATA / "faces" / "id00" / "img1.jpg", pictures / "first.jpg")
    first = index([pictures], home, models=models)
    assert (first.indexed, first.models_loaded) == (1, BOTH) and first.faces >= 1

    shutil.copy2(TESTDATA / "multi_face" / "couple.jpg", pictures / "second.jpg")
    second = index([pictures], home, models=models)
    assert (second.indexed, second.unchanged, second.models_loaded) == (1, 1, [])
    assert second.faces >= 2, "the kept models still find faces"

    shutil.copy2(TESTDATA / "faces" / "id03" / "img3.jpg", pictures / "third.jpg")
    alone = index([pictures], home)  # a run of its own, as `roost index` is
    assert (alone.indexed, alone.models_loaded) == (1, BOTH)
