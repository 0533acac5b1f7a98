"""The TUI opens on a library of 10,000 faces reading one page of them.

The library is the album's 67 real faces repeated: 30 groups of 5 copies, each copy with its own
media hash and face ids, each group's embeddings moved by its own offset (0.8, beyond the 0.5 a
face joins a cluster within) so that the groups are different people to Roost, while the faces
of one group keep their real distances. Clustering and the people state then run as after an
index run (`node.derive`). Laziness is checked by counting what is read, never by timing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from textual.pilot import Pilot

from node.derive import derive
from node.library.store import Library, write_lock
from node.people.faces import FaceSet, load_faces
from node.people.state import read_state
from node.settings import Home
from tests.albums import Album
from tests.tui.conftest import drive
from tui.screens.faces import FacesScreen
from tui.widgets.cards import FaceCard, SubjectCard
from tui.widgets.grid import LazyGrid

GROUPS, COPIES, SHIFT = 30, 5, 0.8


@pytest.fixture(scope="module")
def big_home(album: Album, tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("big") / "home")
    source = Library.open(album.home / "library")
    faces = source.faces.search().limit(None).to_arrow()
    library = Library.open(home.library, embedder=source.embedder, dim=128)
    vectors = np.asarray(faces["embedding"].to_pylist(), np.float32)
    rng = np.random.default_rng(7)
    copies = []
    for group in range(GROUPS):
        offset = rng.standard_normal(vectors.shape[1], dtype=np.float32)
        moved = vectors + offset * (SHIFT / np.linalg.norm(offset))
        for copy in range(COPIES):
            copies.append(_copy(faces, moved, f"{group}-{copy}"))
    library.faces.add(pa.concat_tables(copies).cast(library.faces.schema))
    with write_lock(home.library_lock):
        derive(library)
    return home


def _copy(faces: pa.Table, vectors: np.ndarray, tag: str) -> pa.Table:
    """The faces as if from other photos (new media hashes, hence new ids), with `vectors`."""
    hashes = [
        hashlib.sha256(f"{h}-{tag}".encode()).hexdigest() for h in faces["media_hash"].to_pylist()
    ]
    ids = [f"{h[:16]}-{i}" for h, i in zip(hashes, faces["idx"].to_pylist(), strict=True)]
    columns = {
        "id": pa.array(ids),
        "media_hash": pa.array(hashes),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1]),
    }
    for name, column in columns.items():
        faces = faces.set_column(faces.schema.get_field_index(name), name, column)
    return faces


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[int]]]:
    """Counts of what is read: thumbnails per call, and whole-table face loads (vectors)."""
    counted: dict[str, list[int]] = {"thumbnails": [], "all_faces": []}
    faces_by_id = Library.faces_by_id

    def thumbnails(self: Library, ids: Sequence[str], columns: list[str]) -> dict[str, Any]:
        if "thumbnail" in columns:
            counted["thumbnails"].append(len(ids))
        return faces_by_id(self, ids, columns)

    def all_faces(library: Library) -> FaceSet:
        counted["all_faces"].append(1)
        return load_faces(library)

    monkeypatch.setattr(Library, "faces_by_id", thumbnails)
    monkeypatch.setattr("node.people.state.load_faces", all_faces)
    yield counted


def test_people_and_a_cluster_open_on_one_page(big_home: Home, reads: dict[str, list[int]]) -> None:
    state = read_state(Library.open(big_home.library))
    assert len(state.rows) == 67 * GROUPS * COPIES > 10_000
    subjects = state.subjects()
    largest = subjects[0]
    assert len(subjects) > 400 and largest.faces == 9 * COPIES
    pages: list[tuple[int, int, int]] = []  # (cards built, page size, count) per screen

    def page(pilot: Pilot[None], card: type) -> None:
        grid = pilot.app.screen.query_one(LazyGrid)
        pages.append((len(grid.query_children(card)), grid.page_size, grid.count))

    async def scenario(pilot: Pilot[None]) -> None:
        page(pilot, SubjectCard)
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, FacesScreen)
        page(pilot, FaceCard)
        await pilot.press("pagedown")
        page(pilot, FaceCard)

    drive(big_home, scenario)
    (people, people_page, people_count), (faces, faces_page, faces_count), (rest, _, _) = pages
    assert (people, people_count) == (people_page, len(subjects)) and people_page < 20
    assert (faces, faces_count) == (faces_page, largest.faces) and faces_page < largest.faces
    assert rest == largest.faces - faces_page
    # Thumbnails: each person card's first faces, then one page of the cluster, then the rest.
    assert reads["thumbnails"] == [people_page * SubjectCard.FACES, faces_page, rest]
    assert reads["all_faces"] == []  # no vector was read: the stored state was current
