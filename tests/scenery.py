"""A library with the vision models: the album (faces/, a couple, a dog) plus all of pets/ and
scenes/, indexed once per session with the real detector and classifier from ../shared/models.

It starts from a copy of the album's home, so the faces of faces/ are not detected twice; the
index run then adds pets/ and scenes/ and runs the vision stage over every photo. Tests that
label it work on a copy (`copy_home`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from node.library.store import Library
from tests.albums import Album, copy_home
from tests.conftest import REPO, TESTDATA, roost_json

MODELS = Path(os.environ.get("ROOST_TEST_MODELS", REPO.parent / "shared" / "models"))


def with_models() -> dict[str, str]:
    """The environment of a `roost` run that finds the real vision models."""
    return {**os.environ, "ROOST_MODELS": str(MODELS)}


@dataclass(frozen=True)
class Seen:
    album: Album
    home: Path
    summary: dict[str, object]

    def library(self, home: Path | None = None) -> Library:
        return Library.open((home or self.home) / "library")

    def hash_of(self, path: Path) -> str:
        record = self.library().file(str(path))
        assert record is not None, path
        return str(record["hash"])


@pytest.fixture(scope="session")
def seen(album: Album, tmp_path_factory: pytest.TempPathFactory) -> Seen:
    root = tmp_path_factory.getbasetemp() / "seen"
    home = root / "home"
    shutil.rmtree(root, ignore_errors=True)
    copy_home(album, home)
    summary = roost_json(
        "index", album.photos, TESTDATA / "pets", TESTDATA / "scenes", home=home, env=with_models()
    )
    return Seen(album, home, summary)
