"""A real library for the targets that answer from one: a few real photos of
../shared/testdata indexed by `roost index` (real models, a real LanceDB) into `.fuzz/world`
once, and reused by every later run."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

from fuzz import REPO, WORK
from fuzz.world import MemoryDirectory, world
from node.files import locked
from node.library.store import Library
from node.peer.device import Device
from node.peer.originals import Sharing, set_sharing
from node.people import edits
from node.settings import Home

TESTDATA = REPO.parent / "shared" / "testdata"
# Faces (Alice twice, with an EXIF date), a couple (Bob), and a walk in Italy with GPS.
PHOTOS = (
    "faces/id00/img1.jpg",
    "faces/id00/img2.jpg",
    "multi_face/couple.jpg",
    "places/ianare_exif-samples/jpg__gps__DSCN0010.jpg",
)
NAMED = {
    "faces/id00/img1.jpg": "Alice",
    "faces/id00/img2.jpg": "Alice",
    "multi_face/couple.jpg": "Bob",
}


@functools.cache
def library_home() -> Home:
    """A home whose library holds `PHOTOS`, indexed in place by `roost index` (real models, a
    real LanceDB), with the largest face of each photo in `NAMED` named, and originals shared
    with the family. Built once (minutes of models on a busy machine) and reused."""
    home = Home(WORK / "world" / "library-home")
    ready = home.root / "ready"
    home.root.mkdir(parents=True, exist_ok=True)
    with locked(home.root / "build"):  # targets run side by side may both ask first
        if not ready.exists():
            _build_library(home)
            ready.touch()
    return home


def _build_library(home: Home) -> None:
    photos = [str(TESTDATA / photo) for photo in PHOTOS]
    subprocess.run(
        [sys.executable, "-m", "node.cli", "--home", str(home.root), "index", *photos, "--json"],
        check=True,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    for photo, name in NAMED.items():
        with edits.editing(home) as library:
            edits.name(library, _largest_face(library, TESTDATA / photo), name)
    set_sharing(home, Sharing.FAMILY)


def _largest_face(library: Library, photo: Path) -> str:
    record = library.file(str(photo))
    assert record is not None, photo
    faces = library.faces_of(record["hash"], ["id", "box"])
    return str(
        max(faces, key=lambda f: (f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1]))["id"]
    )


@functools.cache
def library_device() -> Device:
    """The admin of `world()` answering from `library_home()`'s library."""
    admin = world().admin
    return Device(library_home(), admin, world().revocations(admin), MemoryDirectory())
