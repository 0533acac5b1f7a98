"""Find the photos and videos under the folders a user named.

The walk follows symbolic links (people link photo folders together) but never enters a folder
twice, so a link back to an ancestor cannot loop. Folders it cannot list are remembered as
incomplete: what the index holds below them must not be mistaken for deleted files.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from node.media.formats import PHOTO_SUFFIXES
from node.media.kind import MediaKind, kind_of
from node.media.sidecars import SIDECAR_SUFFIXES

# An Apple Live Photo is a still and a short MOV of the same name: one item. The still is the
# photo (its video noted with it, `node.media.live`); the MOV is not indexed as a video too.
LIVE_VIDEO = "a Live Photo's video: noted with its still"


@dataclass(frozen=True)
class Found:
    """A candidate photo and the stat fields that tell whether it changed."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str


@dataclass
class ScanResult:
    media: list[Found] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)
    sidecars: int = 0  # files that may be a photo's sidecar (read with the photo, not alone)
    roots: list[str] = field(default_factory=list)  # absolute forms of the roots walked
    incomplete: list[str] = field(default_factory=list)  # folders not (fully) listed

    @property
    def seen(self) -> int:
        return len(self.media) + self.sidecars + len(self.skipped) + len(self.failed)


def scan(roots: Iterable[str | os.PathLike[str]]) -> ScanResult:
    result = ScanResult()
    visited: set[tuple[int, int]] = set()
    for root in roots:
        top = os.path.abspath(os.fspath(root))
        result.roots.append(top)
        pending = [top]  # a stack, not recursion: folder trees can be deeper than Python's stack
        while pending:
            pending.extend(reversed(_visit(pending.pop(), result, visited)))
    return result


def _visit(path: str, result: ScanResult, visited: set[tuple[int, int]]) -> list[str]:
    """Record `path`; return the entries to visit next if it is a folder."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if os.path.islink(path) and exc.errno == errno.ENOENT:
            result.skipped.append(Problem(path, "broken symbolic link"))
        else:
            result.failed.append(Problem(path, _os_reason(exc)))
            result.incomplete.append(path)
        return []
    if stat.S_ISDIR(st.st_mode):
        if (st.st_dev, st.st_ino) in visited:
            result.skipped.append(Problem(path, "symbolic link loop: folder already scanned"))
            return []
        visited.add((st.st_dev, st.st_ino))
        try:
            return [os.path.join(path, name) for name in sorted(os.listdir(path))]
        except OSError as exc:
            result.failed.append(Problem(path, f"cannot list folder: {_os_reason(exc)}"))
            result.incomplete.append(path)
    elif not stat.S_ISREG(st.st_mode):
        result.skipped.append(Problem(path, "not a regular file"))
    elif Path(path).suffix.lower() in SIDECAR_SUFFIXES:
        result.sidecars += 1
    elif kind_of(path) is None:
        suffix = Path(path).suffix or "no suffix"
        result.skipped.append(Problem(path, f"not a photo or video ({suffix})"))
    elif kind_of(path) is MediaKind.VIDEO and _still_beside(path):
        result.skipped.append(Problem(path, LIVE_VIDEO))
    else:
        result.media.append(Found(path, st.st_size, st.st_mtime_ns))
    return []


def _still_beside(video: str) -> bool:
    """Whether a still of the same name lies beside `video`, as a Live Photo's does (by name
    only: a renamed clip is indexed as a video of its own)."""
    stem = os.path.splitext(video)[0]
    return any(os.path.isfile(stem + suffix) for s in PHOTO_SUFFIXES for suffix in (s, s.upper()))


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "no such file or folder"
    return exc.strerror or str(exc)
