"""The files beside a photo that say something about it: its XMP sidecar, its Google Takeout
JSON, and the videos one of which may be its Live Photo's moving part.

Which of them exist is read from the folder's listing. Listing a folder once per photo would
cost O(n²) in the large flat folders Takeout writes, so a listing is kept per folder and reused
while the folder's own mtime (which changes whenever an entry is added, removed or renamed)
stays the same; the sizes and times of the files found are read fresh every time. A folder
changed less than `_SETTLED_NS` before it was listed is listed again next time: a change in the
same tick of the file system's coarse clock would leave its mtime as it was (git's "racily
clean" index entries, the same problem).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from node.media import sidecars, takeout
from node.media.formats import VIDEO_SUFFIXES

_LISTED = sidecars.SIDECAR_SUFFIXES | VIDEO_SUFFIXES
_MAX_FOLDERS = 512
_SETTLED_NS = 2_000_000_000
_listings: OrderedDict[str, tuple[int, frozenset[str]]] = OrderedDict()  # folder → mtime, names
_lock = threading.Lock()  # photos are decoded on several threads


@dataclass(frozen=True)
class Beside:
    """The files beside one photo that Roost reads with it."""

    photo: Path
    xmp: Path | None  # its XMP sidecar (`node.media.sidecars`)
    takeout: Path | None  # its Google Takeout JSON (`node.media.takeout`)
    videos: tuple[Path, ...]  # every video in its folder: Live Photo candidates

    @property
    def same_stem_video(self) -> Path | None:
        """The video named like the photo (`IMG_1.HEIC` + `IMG_1.MOV`), any case."""
        stem = self.photo.stem.casefold()
        return next((v for v in self.videos if v.stem.casefold() == stem), None)

    @property
    def read(self) -> tuple[Path, ...]:
        """The files whose change changes what Roost takes from them for this photo."""
        return tuple(p for p in (self.xmp, self.takeout, self.same_stem_video) if p is not None)

    def stamp(self) -> str:
        """A short fingerprint of those files' paths, sizes and modification times ('' when
        there are none): what a change of them is recognised by, without reading them."""
        return fingerprint(self.read)


def beside(photo: Path) -> Beside:
    """The sidecars and videos beside `photo`."""
    names = _names_in(str(photo.parent))
    videos = tuple(photo.with_name(n) for n in sorted(names) if Path(n).suffix.lower() in
                   VIDEO_SUFFIXES)  # fmt: skip
    return Beside(photo, sidecars.find_xmp(photo, names), takeout.find(photo, names), videos)


def fingerprint(paths: Iterable[Path]) -> str:
    lines = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue  # gone since the listing: as if it were not there
        lines.append(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n")
    if not lines:
        return ""
    return hashlib.sha256("".join(lines).encode()).hexdigest()[:16]


def _names_in(folder: str) -> frozenset[str]:
    """The names of the sidecars and videos in `folder` (empty if it cannot be listed)."""
    try:
        mtime = os.stat(folder).st_mtime_ns
    except OSError:
        return frozenset()
    with _lock:
        cached = _listings.get(folder)
        if cached is not None and cached[0] == mtime:
            _listings.move_to_end(folder)
            return cached[1]
    listed_at = time.time_ns()
    try:
        with os.scandir(folder) as entries:
            names = frozenset(e.name for e in entries if Path(e.name).suffix.lower() in _LISTED)
    except OSError:
        names = frozenset()
    if listed_at - mtime < _SETTLED_NS:
        return names  # changed just now: a change in the same clock tick would not show
    with _lock:
        _listings[folder] = (mtime, names)
        _listings.move_to_end(folder)
        while len(_listings) > _MAX_FOLDERS:
            _listings.popitem(last=False)
    return names
