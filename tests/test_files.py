"""Crash-safe files and locks (`node.files`): what every state file and lock in Roost relies on."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
from pathlib import Path

import pytest

from node import files
from node.files import LockHeld, create_once, hold, holder, locked, write_atomic
from protocol.errors import RoostError


def test_write_atomic_replaces_whole_with_the_mode_asked(tmp_path: Path) -> None:
    target = tmp_path / "state" / "devices.json"
    write_atomic(target, b"old", mode=0o600)
    write_atomic(target, b"new", mode=0o644)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["devices.json"]  # no temporary left


def test_write_atomic_syncs_the_file_and_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomic(tmp_path / "a", b"x")
    assert synced == ["file", "folder"]  # data first, then the rename


def _create(path: str, text: str, results: multiprocessing.Queue[tuple[str, bool]]) -> None:
    results.put((text, create_once(Path(path), text.encode())))


def test_create_once_lets_exactly_one_racing_process_win(tmp_path: Path) -> None:
    target = tmp_path / "replica-id"
    results: multiprocessing.Queue[tuple[str, bool]] = multiprocessing.Queue()
    racers = [
        multiprocessing.Process(target=_create, args=(str(target), f"id-{n}", results))
        for n in range(6)
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    outcomes = [results.get() for _ in racers]
    winners = [text for text, won in outcomes if won]
    assert len(winners) == 1 and target.read_text() == winners[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["replica-id"]


def _hold_then_wait(lock: str, ready: object, release: object) -> None:
    with hold(Path(lock)):
        ready.set()  # type: ignore[attr-defined]
        release.wait(10)  # type: ignore[attr-defined]


def test_hold_refuses_a_second_holder_and_names_the_first(tmp_path: Path) -> None:
    lock = tmp_path / "library.lock"
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    other = multiprocessing.Process(target=_hold_then_wait, args=(str(lock), ready, release))
    other.start()
    try:
        assert ready.wait(10)
        assert holder(lock) == f"pid {other.pid}"
        with pytest.raises(LockHeld, match=f"pid {other.pid}"), hold(lock):
            pass

        class Busy(RoostError):
            pass

        with (
            pytest.raises(Busy, match="written by pid"),
            hold(lock, refuse=lambda who: Busy(f"written by {who}")),
        ):
            pass
    finally:
        release.set()
        other.join()
    assert holder(lock) is None  # the kernel released it with the process
    with hold(lock):
        assert holder(lock) == f"pid {os.getpid()}"


def test_a_bounded_wait_takes_a_lock_released_in_time_and_refuses_one_that_is_not(
    tmp_path: Path,
) -> None:
    lock = tmp_path / "labels.lock"
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    other = multiprocessing.Process(target=_hold_then_wait, args=(str(lock), ready, release))
    other.start()
    try:
        assert ready.wait(10)
        with pytest.raises(LockHeld, match=f"pid {other.pid}"), hold(lock, wait=0.1):
            pass
        threading.Timer(0.2, release.set).start()  # released while the next hold waits
        with hold(lock, wait=30):
            assert holder(lock) == f"pid {os.getpid()}"
    finally:
        release.set()
        other.join()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    lock = tmp_path / "node.lock"
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    other = multiprocessing.Process(target=_hold_then_wait, args=(str(lock), ready, release))
    other.start()
    assert ready.wait(10)
    other.kill()
    other.join()
    assert holder(lock) is None
    with hold(lock):
        pass


def _increment(path: str, times: int) -> None:
    target = Path(path)
    for _ in range(times):
        with locked(target):
            count = int(target.read_text())
            write_atomic(target, str(count + 1).encode())


def test_locked_serialises_read_modify_write(tmp_path: Path) -> None:
    """Two processes incrementing one file under `locked` lose no update."""
    target = tmp_path / "counter"
    write_atomic(target, b"0")
    workers = [multiprocessing.Process(target=_increment, args=(str(target), 50)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert target.read_text() == "100"


def test_a_second_holder_in_this_process_is_refused_even_where_the_kernel_lets_it_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where flock is emulated with POSIX locks (NFS), the kernel grants this process the lock
    again; the mutex per lock file still refuses a nested holder or another thread, and the
    lock is free again once the first holder is done."""
    monkeypatch.setattr(files, "_take", lambda fd, wait: True)  # as the kernel would there
    lock = tmp_path / "labels.lock"
    refused: list[str] = []

    def another_thread() -> None:
        try:
            with hold(lock, wait=0.05):
                refused.append("taken")
        except LockHeld as exc:
            refused.append(str(exc))

    with hold(lock):
        with pytest.raises(LockHeld, match="this process"), hold(lock):
            pass
        thread = threading.Thread(target=another_thread)
        thread.start()
        thread.join()
    assert len(refused) == 1 and "this process" in refused[0]
    with hold(lock):  # free again: not refused
        refused.append("taken")
    assert refused[-1] == "taken"
