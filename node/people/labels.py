"""The label log folded into what is true now: subjects, confirmed faces, rejections.

The merge rule. A device's log and a peer's log combine by set union (events have unique ids),
and every device folds the union in one total order, (timestamp, replica id, event id), so all
of them reach the same state whatever order the events arrived in. Within that order:

- Fields are last-writer-wins: a subject's name and kind, and each face's confirmed subject (a
  later `assign` or `reject` of the same face overrides an earlier one).
- Rejections are a set that only the user's own later word can shrink: `reject` adds
  (face, subject) for good, and only a later explicit `assign` of that face to that subject
  removes it. Suggestions and re-clustering never do.
- `forget` wins over everything: a forgotten subject never comes back, and later events that
  name it (say, from a device that had not heard of the forget) are ignored.
- `merge` points one subject at another. Ids are resolved through these pointers when an event
  is applied and again when the state is read, so an edit made on another device to a subject
  that was merged meanwhile lands on the merged subject. A merge whose two sides already
  resolve to one subject does nothing, so no cycle can form.
- Names are unique, ignoring case: naming a subject with a name another subject holds merges it
  into that one. This is what `roost name` does for a second cluster with an existing name, and
  it also settles two devices that each created an "Alice".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from node.people.events import LabelEvent


@dataclass(frozen=True)
class Subject:
    id: str
    name: str
    kind: str  # "person" | "pet"


class Labels:
    def __init__(self) -> None:
        self._name: dict[str, str] = {}
        self._kind: dict[str, str] = {}
        self._merged: dict[str, str] = {}
        self._forgotten: set[str] = set()
        self._face: dict[str, str | None] = {}
        self._rejected: dict[str, set[str]] = {}

    # -- reading -------------------------------------------------------------------------------

    def resolve(self, subject: str | None) -> str | None:
        """The live subject an id stands for now, through merges; None if forgotten or unknown."""
        while subject in self._merged:
            subject = self._merged[subject]
        if subject is None or subject in self._forgotten or subject not in self._name:
            return None
        return subject

    @property
    def subjects(self) -> dict[str, Subject]:
        return {
            s: Subject(s, name, self._kind[s])
            for s, name in self._name.items()
            if self.resolve(s) == s
        }

    def by_name(self, name: str) -> Subject | None:
        return next((s for s in self.subjects.values() if _same(s.name, name)), None)

    def confirmed(self) -> dict[str, str]:
        """Face id → live subject, for every face the user has confirmed."""
        result = {}
        for face, subject in self._face.items():
            live = self.resolve(subject)
            if live is not None:
                result[face] = live
        return result

    def rejected(self) -> dict[str, set[str]]:
        """Face id → live subjects it must never be matched to."""
        result = {}
        for face, subjects in self._rejected.items():
            live = {s for s in map(self.resolve, subjects) if s is not None}
            if live:
                result[face] = live
        return result

    # -- folding -------------------------------------------------------------------------------

    def apply(self, event: LabelEvent) -> None:
        edit = event.edit
        if edit.op == "subject":
            self._describe(edit.subject, edit.name, edit.kind)
            return
        subject = self.resolve(edit.subject)
        if subject is None:
            return  # forgotten, or never created: nothing to attach the edit to
        if edit.op == "assign":
            for face in edit.faces:
                self._face[face] = subject
                rejected = self._rejected.get(face, set())
                rejected -= {s for s in rejected if self.resolve(s) == subject}
        elif edit.op == "reject":
            for face in edit.faces:
                self._rejected.setdefault(face, set()).add(subject)
                if self.resolve(self._face.get(face)) == subject:
                    self._face[face] = None
        elif edit.op == "merge":
            into = self.resolve(edit.into)
            if into is not None and into != subject:
                self._merged[subject] = into
        elif edit.op == "forget":
            self._forgotten.add(subject)

    def _describe(self, raw: str, name: str | None, kind: str | None) -> None:
        subject = self.resolve(raw)
        if subject is None:
            if raw in self._name:
                return  # forgotten, or merged into a subject forgotten since
            subject = raw  # a new subject
            self._name[subject] = ""
            self._kind[subject] = kind or "person"
        elif kind is not None:
            self._kind[subject] = kind
        if name is None:
            return
        holder = next(
            (s for s in self.subjects.values() if s.id != subject and _same(s.name, name)), None
        )
        if holder is not None:
            self._merged[subject] = holder.id
        else:
            self._name[subject] = name


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def fold(events: Iterable[LabelEvent]) -> Labels:
    labels = Labels()
    for event in sorted(events, key=lambda e: e.order):
        labels.apply(event)
    return labels
