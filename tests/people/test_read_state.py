"""Reading the people state again and again, as a running node answering searches does: the
kept state is reused while nothing it is made from changed, and never after."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.library.store import Library
from node.people import edits
from node.people.clusters import read_clusters
from node.people.events import EventLog
from node.people.state import read_state
from protocol.labels import LabelEvent
from tests.albums import Album, copy_home


@pytest.fixture
def library(album: Album, tmp_path: Path) -> Library:
    return Library.open(copy_home(album, tmp_path / "home") / "library")


def test_an_unchanged_library_is_not_read_again(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = read_state(library)
    reads: list[EventLog] = []
    original = EventLog.read

    def counted(log: EventLog) -> list[LabelEvent]:
        reads.append(log)
        return original(log)

    monkeypatch.setattr(EventLog, "read", counted)
    again = read_state(library)
    assert again is first and reads == []
    assert again.by_photo is first.by_photo  # worked out once per state


def test_an_edit_from_another_process_is_seen_at_the_next_read(
    album: Album, library: Library
) -> None:
    before = read_state(library)
    assert before.labels.by_name("Alice") is None
    other = Library.open(library.root)  # what another process opens: its own handle
    face = album.face_of("faces/id00/img1.jpg")
    edits.name(other, read_clusters(other)[face] or face, "Alice")
    after = read_state(library)
    alice = after.labels.by_name("Alice")
    assert after is not before and alice is not None
    row = after.face(face)
    assert row is not None and row.subject == alice.id and row.assigned
    assert any(alice.id in people for people in after.by_photo.values())
