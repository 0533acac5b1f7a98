"""`roost people`, `name`, `rename`, `merge`, `split`, `reject`, `confirm`, `forget` and
`suggestions`: naming and correcting who is in the photos.

Only argument parsing and printing live here; every rule is in `node.people.edits`, which the
TUI calls too.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from node.cli.commands import COMMANDS, Sub, command
from node.cli.common import positive, print_json
from node.cli.errors import CommandError
from node.library.store import Library
from node.people import edits
from node.people.state import FaceRow, State, SubjectRow, read_state
from node.settings import Home
from node.vision.tables import is_body


def register(sub: Sub) -> None:
    p = command(
        sub,
        "people",
        description="Without ID: every named person and pet, then the clusters of faces nobody "
        "has named yet, with face counts. With ID (a person, pet or cluster): its faces.",
    )
    p.add_argument("id", nargs="?", metavar="ID", help="a name, person/pet id or cluster id")
    p.add_argument("--limit", type=positive, metavar="N", help="show at most N entries")
    p.add_argument("--offset", type=_not_negative, default=0, metavar="N", help="skip N faces")
    _json(p)
    p.set_defaults(run=run_people)

    p = _edit(sub, "name", run_name)
    p.add_argument("id", metavar="ID", help="a cluster id or a face id (from `roost people`)")
    p.add_argument("name", metavar="NAME", help="an existing name adds the faces to that one")
    p.add_argument("--pet", action="store_true", help="the name is a pet's, not a person's")

    p = _edit(sub, "rename", run_rename)
    p.add_argument("who", metavar="PERSON", help="the current name or id")
    p.add_argument("name", metavar="NAME")

    p = _edit(sub, "merge", run_merge)
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="names, ids or cluster ids")
    p.add_argument("--into", required=True, metavar="PERSON", help="the one that remains")

    p = _edit(sub, "split", run_split)
    p.add_argument("faces", nargs="+", metavar="FACE", help="face ids")
    p.add_argument("--name", metavar="NAME", help="put them in this person (new or existing)")

    p = _edit(sub, "reject", run_reject)
    p.add_argument("face", metavar="FACE", help="a face id")
    p.add_argument("who", metavar="PERSON", help="a name or id")

    p = _edit(sub, "confirm", run_confirm)
    p.add_argument("faces", nargs="+", metavar="FACE", help="face ids from `roost suggestions`")

    p = _edit(sub, "forget", run_forget)
    p.add_argument("who", metavar="PERSON", help="a name or id")

    p = command(
        sub,
        "suggestions",
        description="Faces close to a named person or pet but not close enough to be assigned "
        "without asking, most confident first.",
    )
    p.add_argument("--limit", type=positive, metavar="N", help="show at most N")
    _json(p)
    p.set_defaults(run=run_suggestions)


def _edit(
    sub: Sub, name: str, run: Callable[[argparse.Namespace, Home], int]
) -> argparse.ArgumentParser:
    summary = COMMANDS[name].summary
    p = command(
        sub, name, description=summary[0].upper() + summary[1:] + ". Atomic: "
        "the edit is recorded whole or not at all, and survives re-indexing.",
    )  # fmt: skip
    _json(p, "print the changed people and faces as JSON")
    p.set_defaults(run=run)
    return p


def _json(p: argparse.ArgumentParser, text: str = "print JSON") -> None:
    p.add_argument("--json", action="store_true", help=text)


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


# -- reading -------------------------------------------------------------------------------------


def run_people(args: argparse.Namespace, home: Home) -> int:
    library = Library.open(home.library)
    state = read_state(library)
    if args.id is None:
        rows = state.subjects()[: args.limit]
        if args.json:
            print_json([row.to_json() for row in rows])
        else:
            _print_subjects(state, rows)
        return 0
    subject = state.subject(args.id)
    key = subject.id if subject is not None else args.id
    if subject is None and not state.is_cluster(key):
        raise CommandError(f"no person, pet or cluster {args.id!r}; `roost people` lists them")
    faces = _face_records(library, state, state.faces_page(key, args.offset, args.limit))
    if args.json:
        print_json(faces)
    else:
        title = subject.name if subject is not None else f"unnamed cluster {key}"
        print(f"{title}: {len(faces)} faces shown")
        for face in faces:
            print(f"  {face['id']}  {face['status']:<9}  {face['confidence']:.2f}  {face['path']}")
    return 0


def _print_subjects(state: State, rows: list[SubjectRow]) -> None:
    named = [r for r in rows if r.name is not None]
    clusters = [r for r in rows if r.name is None]
    print("People and pets" if named else "Nobody is named yet.")
    for row in named:
        more = f" (+{row.suggested} suggested)" if row.suggested else ""
        print(f"  {row.name:<24} {row.kind:<6} {row.faces:>5} faces{more}  {row.id}")
    if clusters:
        print("Unnamed clusters (name one with `roost name ID NAME`)")
        for row in clusters:
            what = "dog or cat" if is_body(row.id) else "faces"
            print(f"  {row.id:<24} {row.faces:>5} {what}")
    waiting = len(state.suggestions())
    if waiting:
        print(f"{waiting} suggestions wait for an answer: `roost suggestions`")


def _face_records(library: Library, state: State, rows: list[FaceRow]) -> list[dict[str, Any]]:
    """The `roost people ID --json` contract: a face with where it is and how sure Roost is."""
    details = library.faces_by_id([r.face for r in rows], ["box", "score"])
    paths = library.paths_by_hash(r.media_hash for r in rows)
    subjects = state.labels.subjects
    return [
        {
            "id": r.face,
            "path": paths.get(r.media_hash, [None])[0],
            "box": [round(v, 1) for v in details[r.face]["box"]],
            "score": round(details[r.face]["score"], 4),
            "status": r.status,
            "confidence": r.confidence,
            "person": subjects[r.subject].name if r.subject in subjects else None,
        }
        for r in rows
    ]


def run_suggestions(args: argparse.Namespace, home: Home) -> int:
    library = Library.open(home.library)
    state = read_state(library)
    rows = state.suggestions(args.limit)
    paths = library.paths_by_hash(r.media_hash for r in rows)
    subjects = state.labels.subjects
    shown = [
        {
            "face": r.face,
            "path": paths.get(r.media_hash, [None])[0],
            "person": r.subject,
            "name": subjects[r.subject].name if r.subject in subjects else None,
            "confidence": r.confidence,
        }
        for r in rows
    ]
    if args.json:
        print_json(shown)
        return 0
    if not shown:
        print("No suggestions are waiting.")
    for s in shown:
        print(f"  {s['face']}  {s['name']}?  {s['confidence']:.2f}  {s['path']}")
    if shown:
        print("Answer with `roost confirm FACE` or `roost reject FACE PERSON`.")
    return 0


# -- editing -------------------------------------------------------------------------------------


def _report(args: argparse.Namespace, home: Home, change: edits.Change) -> int:
    library = Library.open(home.library)
    state = read_state(library)
    if args.json:
        print_json(
            {
                "subjects": [row.to_json() for row in change.subjects],
                "faces": _face_records(library, state, change.faces),
            }
        )
        return 0
    for row in change.subjects:
        print(f"{row.name} ({row.kind}): {row.faces} faces  {row.id}")
    for face in _face_records(library, state, change.faces):
        print(f"  {face['id']}  {face['status']:<11}  {face['person'] or '-'}")
    return 0


def run_name(args: argparse.Namespace, home: Home) -> int:
    with edits.editing(home) as library:
        change = edits.name(library, args.id, args.name, pet=args.pet)
    return _report(args, home, change)


def run_rename(args: argparse.Namespace, home: Home) -> int:
    with edits.editing(home) as library:
        change = edits.rename(library, args.who, args.name)
    return _report(args, home, change)


def run_merge(args: argparse.Namespace, home: Home) -> int:
    with edits.editing(home) as library:
        change = edits.merge(library, args.sources, args.into)
    return _report(args, home, change)


def run_split(args: argparse.Namespace, home: Home) -> int:
    with edits.editing(home) as library:
        change = edits.split(library, args.faces, new_name=args.name)
    return _report(args, home, change)


def run_reject(args: argparse.Namespace, home: Home) -> int:
    with edits.editing(home) as library:
        change = edits.reject(library, args.face, args.who)
    return _report(args, home, change)


def run_confirm(args: argparse.Namespace, home: Home) -> int:
    with edits.editing(home) as library:
        change = edits.confirm(library, args.faces)
    return _report(args, home, change)


def run_forget(args: argparse.Namespace, home: Home) -> int:
    with edits.editing(home) as library:
        change = edits.forget(library, args.who)
    return _report(args, home, change)
