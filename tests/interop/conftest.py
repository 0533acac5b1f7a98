"""One family's history, built once from real files and indexed once by the real `roost index`.

- `immich/`: Immich's own test files laid out as Immich's tests use them (an XMP sidecar named
  `file.ext.xmp` beside a `file.xmp`, the odd sidecar beside a photo).
- `formats/`: a real face photo converted to AVIF and JPEG XL.
- `takeout/`: a Google Takeout export of real photos stripped of their metadata, with the
  sidecar naming variants Takeout writes and a `people` list.
- `live/`: Live Photo pairs (a real photo and the real test clip, with and without content
  identifiers).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from node.cli.library import describe
from node.library.store import Library
from tests.conftest import TESTDATA, roost_json
from tests.interop.builders import (
    INTEROP,
    live_mov,
    live_still,
    stripped_copy,
    takeout_json,
)

TAKEOUT = Path("takeout/Takeout/Google Photos/Photos from 2019")
LONG_NAME = "picnic_by_the_lake_in_summer_2019_01.jpg"
# Takeout cut `LONG_NAME.supplemental-metadata.json` to 51 characters:
LONG_JSON = "picnic_by_the_lake_in_summer_2019_01.jpg.suppl.json"
ID_1, ID_3, ID_3_OTHER, ID_5 = (
    "1F0C2A3B-0000-4000-8000-00000000000" + n for n in "1345"
)  # fmt: skip


@dataclass
class Family:
    root: Path
    home: Path
    summary: dict[str, Any]
    before: dict[str, tuple[int, int, str]]  # every file: size, mtime_ns, sha256
    shown: dict[Path, dict[str, Any]] = field(default_factory=dict)

    def show(self, relative: str | Path) -> dict[str, Any]:
        """What `roost show --json` prints for the photo, through the function the command
        prints (`test_show_is_the_command` checks they agree); one process, not one each."""
        path = self.root / relative
        if path not in self.shown:
            library = Library.open(self.home / "library")
            record = library.file(str(path))
            assert record is not None, f"{relative} is not in the index"
            photo = library.photo(record["hash"])
            assert photo is not None
            self.shown[path] = describe(library, photo)
        return self.shown[path]


def _immich(root: Path) -> None:
    root.mkdir()
    for name in (
        "metadata/dates/date-priority-test.jpg",
        "metadata/dates/gps-datetime.jpg",
        "metadata/dates/time-created.jpg",
        "metadata/dates/datetimeoriginal-gps.jpg",
        "metadata/faces/portrait.jpg",
        "metadata/faces/portrait-orientation-6.jpg",
        "metadata/gps-position/thompson-springs.jpg",
        "metadata/gps-position/empty_gps.jpg",
        "metadata/tags/picasa.jpg",
        "formats/motionphoto/samsung-one-ui-6.heic",
        "formats/avif/8bit-sRGB.avif",
        "formats/avif/10bit-HDR-P3-nclx.avif",
        "formats/jxl/8bit-sRGB.jxl",
        "formats/jxl/16bit-HDR-P3-nclx.jxl",
    ):
        shutil.copy(INTEROP / name, root)
    rocks = INTEROP / "formats/jpg/el_torcal_rocks.jpg"
    shutil.copy(rocks, root / "el_torcal_rocks.jpg")
    shutil.copy(INTEROP / "metadata/xmp/dates/2000.xmp", root / "el_torcal_rocks.jpg.xmp")
    shutil.copy(INTEROP / "metadata/xmp/dates/2010.xmp", root / "el_torcal_rocks.xmp")
    with Image.open(rocks) as image:  # other bytes (a copy's sidecars are the first path's)
        image.save(root / "rocks_2020.jpg", exif=image.getexif(), quality=85)
    shutil.copy(INTEROP / "metadata/xmp/dates/2020.xmp", root / "rocks_2020.xmp")
    # The ISO-array sidecar beside a copy of a real photo that has a date of its own.
    shutil.copy(TESTDATA / "scenes/dog.jpg", root / "iso-value-array.jpg")
    shutil.copy(
        INTEROP / "problems/xmp/iso-value-array/iso-value-array.xmp",
        root / "iso-value-array.jpg.xmp",
    )


def _formats(root: Path) -> None:
    root.mkdir()
    with Image.open(TESTDATA / "faces/id05/img16.jpg") as image:
        image.save(root / "face.avif", quality=80)
        image.save(root / "face.jxl", quality=90)


def _takeout(root: Path) -> None:
    folder = root / TAKEOUT
    folder.mkdir(parents=True)
    # One face, one name; date, place and description only in the JSON.
    stripped_copy(TESTDATA / "faces/id00/img1.jpg", folder / "IMG_0001.jpg")
    takeout_json(
        folder / "IMG_0001.jpg.json",
        title="IMG_0001.jpg",
        taken=1563640000,  # 2019-07-20T16:26:40Z
        lat=48.8584,
        lon=2.2945,
        description="At the tower",
        people=["Grace Hopper"],
    )
    # The file's own date wins; Takeout supplies the place it lacks.
    shutil.copy(TESTDATA / "scenes/kite.jpg", folder / "kite.jpg")
    takeout_json(
        folder / "kite.jpg.supplemental-metadata.json",
        title="kite.jpg",
        taken=1262304000,
        lat=-33.8908,
        lon=151.2743,
    )
    # A name long enough that Takeout cut its sidecar's name.
    stripped_copy(TESTDATA / "scenes/horses.jpg", folder / LONG_NAME)
    takeout_json(folder / LONG_JSON, title=LONG_NAME, taken=1560000000)
    # An edited copy shares the original's sidecar.
    stripped_copy(TESTDATA / "scenes/eagle.jpg", folder / "IMG_0002.jpg")
    stripped_copy(TESTDATA / "scenes/eagle.jpg", folder / "IMG_0002-edited.jpg", quality=70)
    takeout_json(folder / "IMG_0002.jpg.json", title="IMG_0002.jpg", taken=1561000000)
    # A duplicate's counter moves behind the suffix.
    stripped_copy(TESTDATA / "scenes/giraffe.jpg", folder / "IMG_0003(1).jpg")
    takeout_json(folder / "IMG_0003.jpg(1).json", title="IMG_0003.jpg", taken=1562000000)
    # Two faces, two names: nothing is guessed until the library says who one of them is.
    stripped_copy(TESTDATA / "multi_face/couple.jpg", folder / "IMG_0004.jpg")
    takeout_json(
        folder / "IMG_0004.jpg.supplemental-metadata.json",
        title="IMG_0004.jpg",
        taken=1563000000,
        people=["Ada Lovelace", "Charles Babbage"],
    )
    # A sidecar that is not JSON at all is reported, and the photo indexed.
    stripped_copy(TESTDATA / "scenes/person.jpg", folder / "IMG_0005.jpg")
    (folder / "IMG_0005.jpg.json").write_text('{"title": "IMG_0005.jpg", "photoTaken')


def _live(root: Path) -> None:
    root.mkdir()
    face = TESTDATA / "faces/id03/img12.jpg"
    live_still(face, root / "IMG_0001.JPG", ID_1)
    live_mov(root / "IMG_0001.MOV", ID_1)
    live_still(face, root / "IMG_0002.JPG", None)  # an export without the maker note
    live_mov(root / "IMG_0002.mov", None)
    live_still(face, root / "IMG_0003.JPG", ID_3)  # same name, different identifiers
    live_mov(root / "IMG_0003.MOV", ID_3_OTHER)
    live_mov(root / "IMG_0004.MOV", "1F0C2A3B-0000-4000-8000-000000000099")  # no still
    live_still(face, root / "IMG_0005.JPG", ID_5)
    live_mov(root / "renamed-clip.MOV", ID_5)  # renamed, but its identifier pairs it


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns, digest)
    return found


@pytest.fixture(scope="session")
def family(tmp_path_factory: pytest.TempPathFactory) -> Family:
    root = tmp_path_factory.mktemp("family")
    _immich(root / "immich")
    _formats(root / "formats")
    _takeout(root)
    _live(root / "live")
    before = snapshot(root)
    home = tmp_path_factory.mktemp("family-home")
    summary = roost_json("index", root, home=home)
    return Family(root, home, summary, before)
