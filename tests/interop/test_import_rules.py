"""The rules of importing names into the label log, on an empty real library (no models)."""

from __future__ import annotations

from pathlib import Path

from node.library.store import Library
from node.media.names import NamedFace, import_names
from node.people.events import EventLog, new_subject_id
from protocol.labels import Edit, Kind, Op, Source, fold

MWG = Source.XMP_MWG_REGIONS
FACES = [f"{n:016x}-0" for n in range(1, 7)]


def _library(tmp_path: Path) -> Library:
    return Library.open(tmp_path / "library", embedder="dlib-resnet-v1", dim=128)


def test_the_rules(tmp_path: Path) -> None:
    library = _library(tmp_path)
    log = EventLog(library)
    rex, ann = new_subject_id(), new_subject_id()
    log.append(
        [
            Edit(Op.SUBJECT, rex, name="Rex", kind=Kind.PET),
            Edit(Op.SUBJECT, ann, name="Ann", kind=Kind.PERSON),
            Edit(Op.ASSIGN, ann, faces=(FACES[0],)),  # the user said FACES[0] is Ann
            Edit(Op.REJECT, ann, faces=(FACES[1],)),  # and FACES[1] is not
        ],
        [],
    )
    imported = import_names(
        library,
        [
            NamedFace(FACES[0], "Bea", MWG),  # confirmed as someone else: stands
            NamedFace(FACES[1], "ann", MWG),  # rejected for Ann: stands
            NamedFace(FACES[2], "Rex", MWG),  # a pet's name: left alone
            NamedFace(FACES[3], "Bea", MWG),
            NamedFace(FACES[4], "BEA", MWG),  # the same person, in the same batch
            NamedFace(FACES[5], "Eve\x07", MWG),  # no device would take this name
        ],
        people=["Cy", "Ann"],
    )
    assert imported.named == (FACES[3], FACES[4])
    assert imported.kept == (FACES[0], FACES[1], FACES[2])
    assert imported.refused == (FACES[5],)
    labels = fold(log.read())
    confirmed = labels.confirmed()
    bea = labels.by_name("Bea")
    assert bea is not None and confirmed[FACES[3]] == confirmed[FACES[4]] == bea.id
    assert confirmed[FACES[0]] == ann and FACES[1] not in confirmed and FACES[2] not in confirmed
    cy = labels.by_name("Cy")
    assert cy is not None and cy.id not in confirmed.values()  # a person to suggest, no face
    sources = {e.edit.source for e in log.read()[4:]}
    assert sources == {MWG, Source.GOOGLE_TAKEOUT}
    assert len(log.read()) == 4 + 4  # Bea, two assigns, Cy: Ann existed


def test_nothing_to_import_writes_nothing(tmp_path: Path) -> None:
    library = _library(tmp_path)
    assert import_names(library, []).named == ()
    assert EventLog(library).read() == []
