"""What a user does to labels: name, rename, merge, split, reject, confirm, forget, undo.

The CLI and the TUI call these and nothing else. Each one reads the current state, checks its
arguments against it (refusing with a `LabelError` that says what to do instead), appends all
its events with one commit, and refreshes the materialised state. The caller holds the library's
labels lock (`editing` takes it), never the index lock: an edit goes through while an index run
writes, waiting at most for one state refresh (see `node.library.store`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from node.library.store import Library
from node.people.events import EventLog, new_subject_id
from node.people.scoring import CLUSTERED, CONFIRMED, SUGGESTED
from node.people.state import FaceRow, State, SubjectRow, read_state, refresh
from node.settings import Home
from node.vision.tables import is_body
from protocol.errors import RoostError
from protocol.labels import Edit, Kind, Labels, Op, Subject, fold, name_problem


class LabelError(RoostError):
    """An edit refused as asked; the message says what to write instead."""


@dataclass(frozen=True)
class Change:
    """What one edit changed, as it stands afterwards."""

    subjects: list[SubjectRow]
    faces: list[FaceRow]
    events: tuple[str, ...] = ()  # ids of the label events it appended: what `undo` takes


@contextmanager
def editing(home: Home) -> Iterator[Library]:
    """The library, opened under its labels lock for one edit (or a few, as one step)."""
    library = Library.open(home.library)
    with library.labels_lock():
        yield library


def name(library: Library, target: str, new_name: str, *, pet: bool = False) -> Change:
    """Name a cluster or a single face. An existing name adds the faces to that subject."""
    state = read_state(library)
    if state.subject(target) is not None:
        raise LabelError(f"{target} is already named; use `roost rename {target} NAME`")
    faces = _faces_of_target(state, target)
    if not pet and is_body(target) and state.is_cluster(target):
        # Only pets' bodies are clustered (people's faceless figures never are).
        raise LabelError(f"{target} is a dog or cat; name it with `roost name {target} NAME --pet`")
    edits, subject = _assign_to_name(state, faces, new_name, Kind.PET if pet else Kind.PERSON)
    return _commit(library, state, edits, [subject], faces)


def rename(library: Library, who: str, new_name: str) -> Change:
    state = read_state(library)
    subject = _subject(state, who)
    new_name = _valid_name(new_name)
    holder = state.labels.by_name(new_name)
    if holder is not None and holder.id != subject.id:
        raise LabelError(
            f"{holder.name} already exists; to make them one, run "
            f"`roost merge {subject.name!r} --into {holder.name!r}`"
        )
    return _commit(library, state, [Edit(Op.SUBJECT, subject.id, name=new_name)], [subject.id], [])


def merge(library: Library, sources: Sequence[str], into: str) -> Change:
    """Merge people or pets, or unnamed clusters, into one named subject."""
    state = read_state(library)
    target = _subject(state, into)
    edits: list[Edit] = []
    faces: list[str] = []
    for source in sources:
        subject = state.subject(source)
        if subject is None:
            cluster_faces = _faces_of_target(state, source)
            edits.append(Edit(Op.ASSIGN, target.id, faces=tuple(cluster_faces)))
            faces += cluster_faces
        elif subject.id == target.id:
            raise LabelError(f"{source} is {target.name} already: nothing to merge")
        elif subject.kind != target.kind:
            raise LabelError(
                f"{subject.name} is a {subject.kind} and {target.name} a {target.kind}"
            )
        else:
            edits.append(Edit(Op.MERGE, subject.id, into=target.id))
            faces += [r.face for r in state.faces_page(subject.id) if r.assigned]
    return _commit(library, state, edits, [target.id], faces)


def split(library: Library, faces: Sequence[str], *, new_name: str | None = None) -> Change:
    """Take faces out of the person or pet they are in; with a name, put them in that one."""
    state = read_state(library)
    rows = [_face(state, face) for face in _unique(faces)]
    edits = []
    for row in rows:
        if not row.assigned or row.subject is None:
            raise LabelError(
                f"face {row.face} is in no person or pet, so there is nothing to split"
            )
        edits.append(Edit(Op.REJECT, row.subject, faces=(row.face,)))
    subjects = [r.subject for r in rows if r.subject is not None]
    if new_name is not None:
        kind = state.labels.subjects[subjects[0]].kind
        more, subject = _assign_to_name(state, [r.face for r in rows], new_name, kind)
        edits += more
        subjects.append(subject)
    return _commit(library, state, edits, subjects, [r.face for r in rows])


def reject(library: Library, face: str, who: str) -> Change:
    """This face is not this subject, for good: never suggested or assigned to it again."""
    state = read_state(library)
    row = _face(state, face)
    subject = _subject(state, who)
    return _commit(
        library, state, [Edit(Op.REJECT, subject.id, faces=(row.face,))], [subject.id], [row.face]
    )


def confirm(library: Library, faces: Sequence[str]) -> Change:
    """Accept what Roost proposed for these faces (a suggestion, or an automatic assignment).

    Confirmed faces become references for matching others, so confirming good automatic
    assignments also makes later suggestions better."""
    state = read_state(library)
    edits = []
    for face in _unique(faces):
        row = _face(state, face)
        if row.status == CONFIRMED:
            continue  # already so: confirming twice is harmless
        if row.subject is None or row.status not in (SUGGESTED, CLUSTERED):
            raise LabelError(
                f"face {face} has no suggestion to confirm; name it with `roost name {face} NAME`"
            )
        edits.append(Edit(Op.ASSIGN, row.subject, faces=(face,)))
    return _commit(library, state, edits, sorted({e.subject for e in edits}), _unique(faces))


def forget(library: Library, who: str) -> Change:
    """Delete a person or pet; their faces become unnamed again (and return to clusters)."""
    state = read_state(library)
    subject = _subject(state, who)
    faces = [r.face for r in state.faces_page(subject.id)]
    return _commit(library, state, [Edit(Op.FORGET, subject.id)], [], faces)


def undo(library: Library, events: Sequence[str]) -> Change:
    """Take back earlier edits, given the ids of the events they appended (`Change.events`).

    Afterwards every face and subject those events named is labelled as it would be had they
    never been written, while edits made since to anything else, here or on another device,
    stand. The log stays append-only, because family devices exchange it: the undo is new
    events, folded like any other edit. To take back an edit after a later one was undone,
    pass the later one's events and its undo's events too, so that the pair cannot reassert
    the labels the earlier edit made.

    A merge of two named subjects and a forget are final under the merge rule, so edits that
    made one are refused. Returning a confirmed face to "nobody said" (it was only suggested,
    or in an unnamed cluster) has no op of its own: it is an assignment to a placeholder subject
    forgotten in the same commit, since a forgotten subject's faces are nobody's.
    """
    state = read_state(library)
    wanted = set(events)
    taken_back = [e for e in state.events if e.id in wanted]
    if not taken_back:
        raise LabelError("nothing to undo: those edits are not in this library's label log")
    before = fold(e for e in state.events if e.id not in wanted)
    named = {s for e in taken_back for s in (e.edit.subject, e.edit.into) if s is not None}
    restored, created = _restore_subjects(before, state.labels, named)
    faces = _unique(face for e in taken_back for face in e.edit.faces)
    restored += _restore_faces(before, state.labels, faces, created)
    restored += [Edit(Op.FORGET, subject) for subject in sorted(created)]
    if not restored:
        raise LabelError("nothing to undo: those edits have no effect left")
    return _commit(library, state, restored, named, faces)


def _restore_subjects(before: Labels, now: Labels, named: set[str]) -> tuple[list[Edit], set[str]]:
    """Edits that give back the subjects' names and kinds, and the subjects that did not exist
    before (to forget once their faces are restored)."""
    restored: list[Edit] = []
    created: set[str] = set()
    for raw in sorted(named):
        was, live = before.resolve(raw), now.resolve(raw)
        if live is None:
            if was is not None:
                raise LabelError(f"forgetting {before.subjects[was].name} cannot be undone")
            continue
        if was is None:
            if live == raw:
                created.add(raw)
            continue  # else: made, then merged into a holder of its name; its faces go back
        if was != live:
            raise LabelError(
                f"merging {before.subjects[was].name} into {now.subjects[live].name} cannot be "
                "undone; split the faces that are not theirs instead"
            )
        old, new = before.subjects[was], now.subjects[live]
        if (old.name, old.kind) == (new.name, new.kind):
            continue
        holder = now.by_name(old.name)
        if holder is not None and holder.id != was:
            raise LabelError(f"{holder.name} is another person or pet's name now")
        restored.append(Edit(Op.SUBJECT, was, name=old.name, kind=old.kind))
    return restored, created


def _restore_faces(before: Labels, now: Labels, faces: list[str], dropped: set[str]) -> list[Edit]:
    """Edits that give each face back its confirmed subject and its rejections as they were in
    `before`, once the subjects in `dropped` are forgotten.

    In fold order, per face: re-reject (which also clears a confirmation for that subject),
    then un-reject (an assign: the only way to drop a rejection), then set the confirmation.
    """
    then, confirmed = before.confirmed(), now.confirmed()
    then_rejected, rejected = before.rejected(), now.rejected()
    steps: tuple[dict[str, list[str]], ...] = ({}, {}, {})  # reject, un-reject, confirm
    nobody: list[str] = []
    for face in faces:
        current = confirmed.get(face)
        current = None if current in dropped else current
        wanted = then_rejected.get(face, set())
        held = rejected.get(face, set()) - dropped
        for subject in sorted(wanted - held):
            steps[0].setdefault(subject, []).append(face)
            current = None if current == subject else current
        for subject in sorted(held - wanted):
            steps[1].setdefault(subject, []).append(face)
            current = subject
        target = then.get(face)
        if current != target:
            if target is None:
                nobody.append(face)
            else:
                steps[2].setdefault(target, []).append(face)
    restored = [
        Edit(op, subject, faces=tuple(chosen))
        for op, step in zip((Op.REJECT, Op.ASSIGN, Op.ASSIGN), steps, strict=True)
        for subject, chosen in sorted(step.items())
    ]
    if nobody:
        placeholder = new_subject_id()
        restored += [
            Edit(Op.SUBJECT, placeholder),
            Edit(Op.ASSIGN, placeholder, faces=tuple(nobody)),
            Edit(Op.FORGET, placeholder),
        ]
    return restored


# -- shared steps --------------------------------------------------------------------------------


def _commit(
    library: Library, state: State, edits: list[Edit], subjects: Iterable[str], faces: Iterable[str]
) -> Change:
    appended = EventLog(library).append(edits, after=state.events)
    after = refresh(library)
    wanted = {after.labels.resolve(s) for s in subjects}
    return Change(
        subjects=[row for row in after.subjects() if row.id in wanted],
        faces=after.faces(_unique(faces)),
        events=tuple(event.id for event in appended),
    )


def _assign_to_name(
    state: State, faces: list[str], new_name: str, kind: Kind
) -> tuple[list[Edit], str]:
    """Edits that put `faces` in the subject called `new_name`, creating it if needed."""
    new_name = _valid_name(new_name)
    existing = state.labels.by_name(new_name)
    if existing is not None:
        if existing.kind != kind:
            raise LabelError(f"{existing.name} is a {existing.kind}, not a {kind}")
        return [Edit(Op.ASSIGN, existing.id, faces=tuple(faces))], existing.id
    subject = new_subject_id()
    return [
        Edit(Op.SUBJECT, subject, name=new_name, kind=kind),
        Edit(Op.ASSIGN, subject, faces=tuple(faces)),
    ], subject


def _faces_of_target(state: State, target: str) -> list[str]:
    """The faces a cluster id or a face id stands for."""
    if state.is_cluster(target):
        faces = [row.face for row in state.faces_page(target)]
        if not faces:
            raise LabelError(f"cluster {target} has no unnamed faces left")
        return faces
    return [_face(state, target).face]


def _subject(state: State, text: str) -> Subject:
    subject = state.subject(text)
    if subject is None:
        raise LabelError(f"no person or pet is called or numbered {text!r}; see `roost people`")
    return subject


def _face(state: State, face: str) -> FaceRow:
    row = state.face(face)
    if row is None:
        raise LabelError(
            f"{face!r} is no face or cluster id in this library; `roost people` lists them"
        )
    return row


def _valid_name(text: str) -> str:
    cleaned = " ".join(text.split())
    problem = name_problem(cleaned)
    if problem is not None:
        raise LabelError(f"{text!r} cannot be a name: {problem}")
    return cleaned


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
