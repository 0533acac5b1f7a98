"""A full disk during indexing and during a label edit, on a real tmpfs of a few KB: each ends
in a clear error and exit 1, loses nothing, and the next run after space is freed completes."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.disk import DiskFull, refusing_full_disk
from node.files import write_atomic
from tests.conftest import TESTDATA, roost

FULL = "is full: free some space and run the command again"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 KiB tmpfs (run as root, as the suite is): room for the tables, not their rows."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


def resize(mount: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(mount)], check=True)


def fill(mount: Path) -> Path:
    """Take every free byte of `mount` with one file."""
    filler = mount / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, bytes(4096)):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def test_a_state_file_write_on_a_full_disk_leaves_the_old_file(small_disk: Path) -> None:
    state = small_disk / "state.json"
    write_atomic(state, b"old")
    fill(small_disk)
    with pytest.raises(DiskFull, match=FULL), refusing_full_disk(small_disk):
        write_atomic(state, b"new" * 10_000)
    assert state.read_bytes() == b"old"
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "state.json"]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Six real portraits of three people, off the small disk."""
    folder = tmp_path / "photos"
    for person in ("id00", "id01", "id02"):
        for photo in sorted((TESTDATA / "faces" / person).glob("*.jpg"))[:2]:
            (folder / person).mkdir(parents=True, exist_ok=True)
            shutil.copy(photo, folder / person / photo.name)
    return folder


@pytest.mark.slow
@pytest.mark.models
def test_disk_full_while_indexing_then_labelling(small_disk: Path, photos: Path) -> None:
    home = small_disk / "home"
    failed = roost("index", photos, "--json", home=home, check=False)
    assert failed.returncode == 1
    assert FULL in failed.stderr and "Traceback" not in failed.stderr

    resize(small_disk, "8m")
    resumed = json.loads(roost("index", photos, "--json", home=home).stdout)
    assert resumed["seen"] == 6 and not resumed["failed"]
    again = json.loads(roost("index", photos, "--json", home=home).stdout)
    assert (again["unchanged"], again["indexed"], again["models_loaded"]) == (6, 0, [])
    assert roost("check", home=home).returncode == 0

    cluster = next(r["id"] for r in _people(home) if r["kind"] == "cluster")
    filler = fill(small_disk)
    refused = roost("name", cluster, "Alice", home=home, check=False)
    assert refused.returncode == 1
    assert FULL in refused.stderr and "Traceback" not in refused.stderr
    assert not any(r["name"] for r in _people(home)), "nothing of the edit was kept"
    filler.unlink()
    assert roost("check", home=home).returncode == 0
    roost("name", cluster, "Alice", home=home)
    assert [r["name"] for r in _people(home) if r["name"]] == ["Alice"]


def _people(home: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(roost("people", "--json", home=home).stdout)
    return rows
