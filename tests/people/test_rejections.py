"""A rejection is remembered for good: through re-clustering, and through a photo leaving the
index and coming back (face ids are derived from the photo's content, and labels live apart
from the faces table)."""

from __future__ import annotations

import shutil
from pathlib import Path

from node.derive import derive
from node.library.store import Library
from node.people import edits
from node.people.clusters import clusters_table, read_clusters
from node.people.state import read_state
from tests.albums import Album
from tests.conftest import TESTDATA, roost_json

# id06 and id07 of faces/: two different people, and the closest such pair there.
FRANK = ("faces/id06/img30.jpg", "faces/id06/img31.jpg")
STRANGER = "faces/id07/img35.jpg"


def test_a_rejected_face_is_never_suggested_again(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    for relative in (*FRANK, STRANGER):
        (photos / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TESTDATA / relative, photos / relative)
    home = tmp_path / "home"
    roost_json("index", photos, home=home)
    album = Album(photos, home)
    library = Library.open(home / "library")
    edits.name(library, album.face_of(FRANK[0]), "Frank")
    stranger = album.face_of(STRANGER)

    def frank_suggested() -> bool:
        return any(r.face == stranger for r in read_state(library).suggestions())

    assert frank_suggested()
    edits.reject(library, stranger, "Frank")
    assert not frank_suggested()

    # Re-clustering from nothing.
    clusters_table(library).delete("face IS NOT NULL")
    assert read_clusters(library) == {}
    derive(library)
    assert read_clusters(library)
    assert not frank_suggested()

    # The photo leaves the library and comes back.
    shutil.move(photos / STRANGER, tmp_path / "away.jpg")
    assert roost_json("index", photos, home=home)["removed"] == 1
    assert read_state(library).face(stranger) is None
    shutil.move(tmp_path / "away.jpg", photos / STRANGER)
    assert roost_json("index", photos, home=home)["indexed"] == 1
    state = read_state(library)
    row = state.face(stranger)
    assert row is not None and row.subject is None
    assert not frank_suggested()
    frank = state.labels.by_name("Frank")
    assert frank is not None and state.labels.rejected()[stranger] == {frank.id}
