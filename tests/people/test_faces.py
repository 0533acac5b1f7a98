"""The faces read once per version of their table, and shared by whoever reads them then."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from node.derive import derive
from node.library.store import Library
from node.people import edits, faces
from node.people.clusters import read_clusters
from tests.albums import Album, copy_home
from tests.people.test_incremental import _add_photo


@pytest.fixture
def library(album: Album, tmp_path: Path) -> Library:
    return Library.open(copy_home(album, tmp_path / "home") / "library")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The version of the faces table at each read of it."""
    read = faces._read
    versions: list[int] = []

    def counted(table: Any) -> faces.FaceSet:
        versions.append(int(table.version))
        return read(table)

    monkeypatch.setattr(faces, "_read", counted)
    return versions


def test_the_faces_are_read_once_per_version_and_kept_read_only(
    album: Album, library: Library, reads: list[int]
) -> None:
    first = faces.load_faces(library)
    assert faces.load_faces(library) is first and len(reads) == 1
    assert faces.faces_at(library, int(library.faces.version)) is first
    with pytest.raises(ValueError, match="read-only"):
        first.vectors[0, 0] = 1.0  # shared: a caller writing into it would change the others'

    new = _add_photo(library, album.face_of("faces/id06/img30.jpg"), "0" * 64)
    again = faces.load_faces(library)
    assert len(reads) == 2 and new in again.ids and new not in first.ids
    assert np.array_equal(again.vectors[: len(first.ids)], first.vectors)


def test_faces_read_while_an_index_run_writes_them_are_not_kept(
    album: Album, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows read while the version moved may be of either version: kept under the older,
    they would hide the new face from every later reader."""
    read = faces._read
    written: list[str] = []

    def written_meanwhile(table: Any) -> faces.FaceSet:
        found = read(table)
        if not written:
            written.append(_add_photo(library, album.face_of("faces/id06/img30.jpg"), "1" * 64))
        return found

    monkeypatch.setattr(faces, "_read", written_meanwhile)
    faces.load_faces(library)
    assert written[0] in faces.load_faces(library).ids


def test_an_index_run_reads_every_face_once(
    album: Album, library: Library, reads: list[int]
) -> None:
    """After an edit (which read the faces), clustering the new face and the plan of what to
    place again share one read of the table, at its new version; the faces before the run
    are the edit's. Each read was a second and 128 MB at 250,000 faces."""
    edits.name(library, album.face_of("faces/id06/img30.jpg"), "Frank")
    reads.clear()
    new = _add_photo(library, album.face_of("faces/id06/img30.jpg"), "2" * 64)
    derive(library)
    assert new in read_clusters(library)
    assert reads == [int(library.faces.version)]
