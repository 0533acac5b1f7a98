"""One run over a photo and a video loads the face detector and embedder once: the video stage
takes them from the set the faces stage uses (`node.index.models.Models`). Counted where the
models are made, so a second copy loaded anywhere is seen."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from node.faces.detect import MTCNN_ID, MtcnnDetector
from node.faces.embed import DEFAULT_EMBEDDER, embedder_class
from node.index.models import Models
from node.index.run import index
from node.settings import Home
from tests.conftest import TESTDATA
from tests.video.clips import CLIP

pytestmark = [pytest.mark.models, pytest.mark.slow]


def test_a_run_over_a_photo_and_a_video_loads_each_face_model_once(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy2(TESTDATA / "faces" / "id00" / "img1.jpg", media / "photo.jpg")
    shutil.copy2(CLIP, media / CLIP.name)
    embedder = embedder_class(DEFAULT_EMBEDDER)
    made: list[str] = []

    def counting(name: str, init: Callable[..., None]) -> Callable[..., None]:
        def counted(self: Any, *args: Any, **kwargs: Any) -> None:
            made.append(name)
            init(self, *args, **kwargs)

        return counted

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MtcnnDetector, "__init__", counting(MTCNN_ID, MtcnnDetector.__init__))
        patch.setattr(embedder, "__init__", counting(DEFAULT_EMBEDDER, embedder.__init__))
        summary = index([media], Home(tmp_path / "home"), models=Models())
    assert summary.stages_run["faces"] == 1 and summary.stages_run["video"] == 1
    assert summary.faces >= 2, "both the photo's face and the clip's tracks were found"
    assert sorted(made) == sorted([MTCNN_ID, DEFAULT_EMBEDDER])
    assert sorted(summary.models_loaded) == sorted(made)
