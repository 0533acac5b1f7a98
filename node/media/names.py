"""Names other apps gave faces become labels in Roost's label log.

A face region another app named (digiKam, Lightroom, Picasa, Windows Photo Gallery) and that
matched a face Roost detected (`node.media.regions.match_faces`) is an `assign` of that face to
the person of that name — creating the person if nobody has the name yet — appended to the same
log as the user's own edits, with the region's vocabulary as the event's `source`: one commit
per indexed batch, folded, synced and undone (`node.people.edits.undo` with the event ids kept
in `photo_sources`) like any other edit.

A face is named by an import once. What a user said in Roost always stands: a face any of the
user's own events named (confirmed as anyone, rejected for anyone, or the import undone) is
left alone, and so is a name held by a pet. A face an earlier import already named is not named
again when the photo's sidecar is read anew, so a person the user renamed, merged or forgot
stays as the user left them. A name Roost would refuse from a person
(`protocol.labels.name_problem`: a control character, a colon) is refused here too, and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from node.library.store import Library
from node.people.events import EventLog, new_subject_id
from protocol.labels import Edit, Kind, LabelEvent, Op, Source, fold, name_problem

REGION_SOURCES = frozenset({Source.XMP_MWG_REGIONS, Source.XMP_MP_REGIONS})


@dataclass(frozen=True)
class NamedFace:
    face: str  # face id
    name: str
    source: Source  # the vocabulary of the region that named it


@dataclass(frozen=True)
class Imported:
    named: tuple[str, ...]  # faces that got a name now
    kept: tuple[str, ...]  # faces left as the user had them
    refused: tuple[str, ...]  # faces whose region's name cannot be a name in Roost
    events: dict[str, tuple[str, ...]]  # face → the ids of the import events that named it


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
    confirmed = labels.confirmed()
    users, imports = _history(events)
    created: dict[str, str] = {}  # casefolded name → new subject id, within this batch
    edits: list[Edit] = []
    owners: list[str] = []  # the face each edit is for
    named: list[str] = []
    kept: list[str] = []
    refused: list[str] = []
    for item in wanted:
        if name_problem(item.name):
            refused.append(item.face)  # e.g. a control character: every device would refuse it
            continue
        holder = labels.by_name(item.name)
        if item.face in users or (holder is not None and holder.kind != Kind.PERSON):
            kept.append(item.face)
            continue
        if item.face in imports or item.face in confirmed or item.face in owners:
            continue  # named by an import before (or by a region listed twice)
        subject = holder.id if holder else created.get(item.name.casefold())
        if subject is None:
            subject = created[item.name.casefold()] = new_subject_id()
            edits.append(Edit(Op.SUBJECT, subject, name=item.name, kind=Kind.PERSON,
                              source=item.source))  # fmt: skip
            owners.append("")  # the person is the batch's, not one face's: undo keeps them
        edits.append(Edit(Op.ASSIGN, subject, faces=(item.face,), source=item.source))
        owners.append(item.face)
        named.append(item.face)
    before = _takeout_names(events)
    for name in people:
        known = labels.by_name(name) is not None or name.casefold() in created.keys() | before
        if name_problem(name) is None and not known:
            subject = created[name.casefold()] = new_subject_id()
            edits.append(Edit(Op.SUBJECT, subject, name=name, kind=Kind.PERSON,
                              source=Source.GOOGLE_TAKEOUT))  # fmt: skip
            owners.append("")
    by_face = {face: tuple(ids) for face, ids in imports.items()}
    for face, event in zip(owners, log.append(edits, events), strict=True):
        if face:
            by_face[face] = (*by_face.get(face, ()), event.id)
    faces = {item.face for item in wanted}
    events_of = {face: ids for face, ids in by_face.items() if face in faces}
    return Imported(tuple(named), tuple(kept), tuple(refused), events_of)


def _history(events: Sequence[LabelEvent]) -> tuple[set[str], dict[str, list[str]]]:
    """The faces the user's own events name, and face → the region imports that assigned it."""
    users: set[str] = set()
    imports: dict[str, list[str]] = {}
    for event in events:
        edit = event.edit
        if edit.source is Source.USER:
            users.update(edit.faces)
        elif edit.source in REGION_SOURCES and edit.op is Op.ASSIGN:
            for face in edit.faces:
                imports.setdefault(face, []).append(event.id)
    return users, imports


def _takeout_names(events: Sequence[LabelEvent]) -> set[str]:
    """Names (casefolded) a Takeout import created a person for before: not created again,
    whatever the user did with that person since."""
    return {
        e.edit.name.casefold()
        for e in events
        if e.edit.source is Source.GOOGLE_TAKEOUT and e.edit.op is Op.SUBJECT and e.edit.name
    }
