"""A small album of real photos (faces/ plus a couple and a dog), indexed once per test session.

Copies, never the originals: photos without an EXIF date get a fixed file date, and four of them
get GPS written into their EXIF with Pillow, so that dates and places are known by hand:

- EXIF dates (checked with Pillow): id00/img1 2019-07-20, id01/img26 2019-03-14, id03/img3
  2018-11-27, id04/img13 2018-09-18, id04/img14 2016-08-05, id05/img61 2016-04-13, id08/img39
  2012-01-29, id09/img19 2015-06-09; IPTC DateCreated + TimeCreated (the agency's capture
  time): id06/img33 2013-01-04, id08/img41 2017-09-02; every other photo is dated FILE_DATE.
- GPS: id00/img2 and id00/img4 in Paris, id04/img14 in Lyon, id05/img16 in Rome.

Indexing takes minutes, so the album is built and indexed once, in the session's temp folder,
whichever test package asks first; tests that label it work on a copy (`copy_home`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from benchmarks.labeling import identity_faces
from node.library.store import Library
from tests.conftest import TESTDATA, roost_json

FILE_DATE = datetime(2023, 6, 15, 12, 0)
PARIS, LYON, ROME = (48.8566, 2.3522), (45.7640, 4.8357), (41.8933, 12.4829)
GPS = {
    "faces/id00/img2.jpg": PARIS,
    "faces/id00/img4.jpg": PARIS,
    "faces/id04/img14.jpg": LYON,
    "faces/id05/img16.jpg": ROME,
}
EXTRA = ("multi_face/couple.jpg", "pets/dogs/shiba_inu/shiba_inu_147.jpg")
EXIF_DATED = {
    "faces/id00/img1.jpg": "2019-07-20",
    "faces/id01/img26.jpg": "2019-03-14",
    "faces/id03/img3.jpg": "2018-11-27",
    "faces/id04/img13.jpg": "2018-09-18",
    "faces/id04/img14.jpg": "2016-08-05",
    "faces/id05/img61.jpg": "2016-04-13",
    "faces/id08/img39.jpg": "2012-01-29",
    "faces/id09/img19.jpg": "2015-06-09",
    "faces/id06/img33.jpg": "2013-01-04",  # IPTC
    "faces/id08/img41.jpg": "2017-09-02",  # IPTC
}


@dataclass(frozen=True)
class Album:
    photos: Path  # the copied photos, laid out as in testdata (faces/idNN/..., multi_face/...)
    home: Path  # a node home with the photos indexed

    def path(self, relative: str) -> Path:
        return self.photos / relative

    def relative(self, path: str) -> str:
        return Path(path).relative_to(self.photos).as_posix()

    def identities(self) -> dict[str, str]:
        """Face id → identity (faces/ folder name) of the largest face of each faces/ photo."""
        return identity_faces(Library.open(self.home / "library"), self.photos / "faces")

    def face_of(self, relative: str, home: Path | None = None) -> str:
        """The id of the largest face in one photo."""
        library = Library.open((home or self.home) / "library")
        record = library.file(str(self.path(relative)))
        assert record is not None, relative
        faces = library.faces_of(record["hash"], ["box"])
        return str(max(faces, key=lambda f: f["box"][2] - f["box"][0])["id"])


@pytest.fixture(scope="session")
def album(tmp_path_factory: pytest.TempPathFactory) -> Album:
    """The album, indexed. Test packages re-export this fixture from their conftest.py; the
    first to run builds it and the others find it on disk."""
    root = tmp_path_factory.getbasetemp() / "album"
    album = Album(root / "photos", root / "home")
    if not (root / "indexed").exists():
        shutil.rmtree(root, ignore_errors=True)
        _lay_out(album.photos)
        roost_json("index", album.photos, home=album.home)
        (root / "indexed").touch()
    return album


def copy_home(album: Album, to: Path) -> Path:
    """A private copy of the album's home, for a test that edits labels."""
    shutil.copytree(album.home, to)
    return to


def _lay_out(photos: Path) -> None:
    sources = sorted(
        p.relative_to(TESTDATA).as_posix() for p in (TESTDATA / "faces").rglob("*.jpg")
    )
    for relative in [*sources, *EXTRA]:
        target = photos / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative in GPS:
            with_gps(TESTDATA / relative, target, *GPS[relative])
        else:
            shutil.copyfile(TESTDATA / relative, target)
        stamp = FILE_DATE.timestamp()
        os.utime(target, (stamp, stamp))


def with_gps(source: Path, target: Path, lat: float, lon: float) -> None:
    with Image.open(source) as image:
        exif = image.getexif()
        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if lon >= 0 else "W",
                        4: _dms(lon)}  # fmt: skip
        image.save(target, exif=exif, quality=95)


def _dms(degrees: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    value = abs(degrees)
    whole = int(value)
    minutes = int((value - whole) * 60)
    seconds = round(((value - whole) * 60 - minutes) * 60 * 1000)
    return IFDRational(whole, 1), IFDRational(minutes, 1), IFDRational(seconds, 1000)
