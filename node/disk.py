"""A full disk is a refusal with a message, not a crash.

Writes fail with ENOSPC in many places: a LanceDB commit (which reports it as a RuntimeError
naming "os error 28"), `write_atomic`, a log file. None of them can be carried on from, but
none of them loses anything either: every LanceDB commit and every state file is atomic, so
the library on disk is the one before the failed write, and the next run resumes from it.
`refusing_full_disk` turns any of them into `DiskFull`, which the CLI reports like every other
`RoostError`.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from pathlib import Path

from protocol.errors import RoostError

_FULL = (errno.ENOSPC, errno.EDQUOT)
# How Rust's std::io::Error spells ENOSPC and EDQUOT inside a LanceDB error message.
_FULL_TEXT = ("No space left on device", "os error 28", "Disk quota exceeded", "os error 122")


class DiskFull(RoostError):
    """The disk holding the node's home has no room for a write."""


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _FULL:
        return True
    return any(text in str(exc) for text in _FULL_TEXT)


@contextlib.contextmanager
def refusing_full_disk(where: Path) -> Iterator[None]:
    """Raise `DiskFull` instead of whatever a write that found no room raised."""
    try:
        yield
    except (OSError, RuntimeError) as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFull(
            f"the disk holding {where} is full: free some space and run the command again; "
            "nothing already saved is lost, and an index run resumes where it stopped"
        ) from exc
