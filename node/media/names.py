"""Names other apps gave faces become labels in Roost's label log.

A face region another app named (digiKam, Lightroom, Picasa, Windows Photo Gallery) and that
matched a face Roost detected (`node.media.regions.match_faces`) is an `assign` of that face to
the person of that name — creating the person if nobody has the name yet — appended to the same
log as the user's own edits, with the region's vocabulary as the event's `source`: one commit
per indexed batch, folded, synced and undone (`node.people.edits.undo` with the event ids kept
in `photo_sources`) like any other edit.

What a user said in Roost always stands: a face the user confirmed as anyone, or rejected for
the person the region names, is left alone, and so is a name held by a pet. A name Roost would
refuse from a person (`protocol.labels.name_problem`: a control character, a colon) is refused
here too, and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from node.library.store import Library
from node.people.events import EventLog, new_subject_id
from protocol.labels import Edit, Kind, Op, Source, fold, name_problem


@dataclass(frozen=True)
class NamedFace:
    face: str  # face id
    name: str
    source: Source  # the vocabulary of the region that named it


@dataclass(frozen=True)
class Imported:
    named: tuple[str, ...]  # faces that got a name
    kept: tuple[str, ...]  # faces left as the user had them
    refused: tuple[str, ...]  # faces whose region's name cannot be a name in Roost
    events: dict[str, tuple[str, ...]]  # face → the id of the event that named it


def import_names(
    library: Library, wanted: Sequence[NamedFace], people: Sequence[str] = ()
) -> Imported:
    """Append the label events that give `wanted` faces their names, and create a person for
    each name in `people` (Takeout's, which become suggestions) nobody has yet, in one commit."""
    if not wanted and not people:
        return Imported((), (), (), {})
    log = EventLog(library)
    events = log.read()
    labels = fold(events)
    confirmed, rejected = labels.confirmed(), labels.rejected()
    created: dict[str, str] = {}  # casefolded name → new subject id, within this batch
    edits: list[Edit] = []
    owners: list[str] = []  # the face each edit is for
    named: list[str] = []
    kept: list[str] = []
    refused = [item.face for item in wanted if name_problem(item.name)]
    for item in wanted:
        if name_problem(item.name):
            continue  # e.g. a control character: every device would refuse it
        holder = labels.by_name(item.name)
        if holder is not None and holder.kind != "person":
            kept.append(item.face)
            continue
        subject = holder.id if holder else created.get(item.name.casefold())
        if item.face in confirmed or (
            subject is not None and subject in rejected.get(item.face, ())
        ):
            kept.append(item.face)
            continue
        if subject is None:
            subject = created[item.name.casefold()] = new_subject_id()
            edits.append(Edit(Op.SUBJECT, subject, name=item.name, kind=Kind.PERSON,
                              source=item.source))  # fmt: skip
            owners.append("")  # the person is the batch's, not one face's: undo keeps them
        edits.append(Edit(Op.ASSIGN, subject, faces=(item.face,), source=item.source))
        owners.append(item.face)
        named.append(item.face)
    for name in people:
        known = labels.by_name(name) is not None or name.casefold() in created
        if name_problem(name) is None and not known:
            subject = created[name.casefold()] = new_subject_id()
            edits.append(Edit(Op.SUBJECT, subject, name=name, kind=Kind.PERSON,
                              source=Source.GOOGLE_TAKEOUT))  # fmt: skip
            owners.append("")
    by_face: dict[str, tuple[str, ...]] = {}
    for face, event in zip(owners, log.append(edits, events), strict=True):
        if face:
            by_face[face] = (*by_face.get(face, ()), event.id)
    return Imported(tuple(named), tuple(kept), tuple(refused), by_face)
