"""Crash-safe files and advisory locks: the only place that writes a state file or takes a flock.

- `write_atomic` replaces a file so a reader sees the old bytes or the new, never half: write a
  sibling, fsync it, rename it over the target, fsync the folder (without that last step a power
  cut can lose the rename even though the data reached the disk). `create_once` is the same for a
  file that must be made exactly once, even by racing processes.
- `hold` takes an exclusive `flock` for a block and records who holds it (`pid N`) in the lock
  file, so that `holder` can say who is busy without waiting. It fails at once, waits, or waits
  a bounded time (for locks that every holder keeps only briefly, like the labels lock). The
  kernel releases a flock however its process ends, so a crash never leaves a stale lock; the
  text only names the holder.
- `locked` serialises read-modify-write cycles on a small file shared by the CLI and the running
  node, through a sibling `.lock` file.

Files holding secrets are created with their final mode from the start, never chmod-ed after.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from protocol.errors import RoostError


class LockHeld(RoostError):
    """Another process holds a lock this one will not wait for."""


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data`, durably and atomically."""
    tmp = _write_sibling(path, data, mode)
    os.replace(tmp, path)
    _sync_folder(path.parent)


def create_once(path: Path, data: bytes, mode: int = 0o644) -> bool:
    """Create `path` holding `data` unless it exists; False if another writer made it first.

    A hard link cannot replace an existing name, so whichever racing process links first wins
    and everyone then reads the same bytes."""
    tmp = _write_sibling(path, data, mode)
    try:
        path.hardlink_to(tmp)
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    _sync_folder(path.parent)
    return True


@contextlib.contextmanager
def hold(
    lock_file: Path,
    *,
    wait: bool | float = False,
    refuse: Callable[[str], RoostError] | None = None,
) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` for the block.

    `wait` False: a lock held elsewhere raises `refuse(holder)` (default `LockHeld`) at once,
    where `holder` is what the holder recorded, e.g. "pid 4242". True: wait as long as it takes.
    A number: wait up to that many seconds, then refuse.

    Within this process a mutex per lock file is taken first: where flock is emulated with
    POSIX locks (NFS), those belong to the process, so a second holder in it (another thread,
    or a nested `hold`) would be let in and, on closing, release the first one's lock."""
    here = _mutex(lock_file)
    started = time.monotonic()
    if not (here.acquire() if wait is True else here.acquire(timeout=_seconds(wait))):
        raise (refuse or _held)(f"pid {os.getpid()} (this process)")
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            left = wait if isinstance(wait, bool) else max(0.0, wait - (time.monotonic() - started))
            if not _take(fd, left):
                who = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
                raise (refuse or _held)(who)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the descriptor releases the lock
    finally:
        here.release()


def _mutex(lock_file: Path) -> threading.Lock:
    key = os.path.abspath(lock_file)
    with _mutexes_lock:
        return _mutexes.setdefault(key, threading.Lock())


def _seconds(wait: bool | float) -> float:
    """A bounded wait as `Lock.acquire` takes it: 0 for False (no wait at all)."""
    return 0.0 if wait is False else float(wait)


_mutexes: dict[str, threading.Lock] = {}
_mutexes_lock = threading.Lock()


_POLL = 0.02  # seconds between tries of a bounded wait


def _take(fd: int, wait: bool | float) -> bool:
    """Take the flock on `fd` as `hold` describes; False when it stays held elsewhere."""
    if wait is True:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    deadline = time.monotonic() + (0.0 if wait is False else float(wait))
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL)


def holder(lock_file: Path) -> str | None:
    """Who holds `lock_file` now (e.g. "pid 4242"), without waiting; None if nobody does."""
    try:
        fd = os.open(lock_file, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
    else:
        return None  # nobody held it; closing releases the probe's shared lock
    finally:
        os.close(fd)


def locked(path: Path) -> contextlib.AbstractContextManager[None]:
    """Wait for, then hold, the lock that guards read-modify-write cycles on `path`."""
    return hold(path.with_name(f"{path.name}.lock"), wait=True)


def _held(who: str) -> RoostError:
    return LockHeld(f"busy: held by {who}")


def _write_sibling(path: Path, data: bytes, mode: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT's mode only applies to a new file, and is masked by umask
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk, say: leave no half-written sibling behind
        raise
    return tmp


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
