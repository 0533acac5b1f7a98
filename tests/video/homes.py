"""The real clip and both reference photos, indexed once per test session by a real
`roost index` run, for every test package that asks (tests of labelling work on copies)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import roost_json
from tests.video.clips import ALEX, CLIP, LIN_MANUEL


@dataclass(frozen=True)
class VideoLibrary:
    folder: Path  # the clip and the two reference photos, copied
    home: Path  # a node home with them indexed
    summary: dict[str, Any]  # what `roost index --json` said

    def copy_home(self, to: Path) -> Path:
        return Path(shutil.copytree(self.home, to))

    def largest_face(self, photo: Path, home: Path | None = None) -> str:
        """The face id of a photo's (or video's) largest face."""
        shown = roost_json("show", self.folder / photo.name, home=home or self.home)
        return str(max(shown["faces"], key=lambda f: f["box"][2] - f["box"][0])["id"])


@pytest.fixture(scope="session")
def video_library(tmp_path_factory: pytest.TempPathFactory) -> VideoLibrary:
    top = tmp_path_factory.mktemp("video-library")
    folder, home = top / "media", top / "home"
    folder.mkdir()
    for source in (CLIP, LIN_MANUEL, ALEX):
        shutil.copy(source, folder / source.name)
    return VideoLibrary(folder, home, roost_json("index", folder, home=home))
