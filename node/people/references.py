"""The confirmed faces the distance rules compare against, by face, by subject and by cluster.

The distance scorer (`node.people.suggest`) places a face from its distance to each subject's
nearest confirmed face and from its cluster's evidence (the subjects confirmed in it). At a
family library's size both are built from 100,000 confirmed faces or more, while one label
edit changes a handful. So they are held here, once per label version, and `moved` makes the
next version's from the faces an edit changed, without reading the others; building them
from scratch (`build`) gives the same.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from protocol.labels import Kind, Labels

Evidence = Mapping[str, frozenset[str]]  # cluster → the subjects confirmed in it


@dataclass(frozen=True)
class References:
    """Which subject each confirmed face is, in one set of faces and clusters."""

    by_face: Mapping[str, str]  # confirmed face → subject
    by_subject: Mapping[str, frozenset[str]]  # subject → its confirmed faces
    evidence: Evidence
    counts: Mapping[str, Mapping[str, int]]  # cluster → subject → confirmed faces in it

    @classmethod
    def build(cls, refs: Mapping[str, str], clusters: Mapping[str, str | None]) -> References:
        by_subject: dict[str, set[str]] = {}
        counts: dict[str, dict[str, int]] = {}
        for face, subject in refs.items():
            by_subject.setdefault(subject, set()).add(face)
            if (cluster := clusters.get(face)) is not None:
                held = counts.setdefault(cluster, {})
                held[subject] = held.get(subject, 0) + 1
        return cls(
            dict(refs),
            {s: frozenset(faces) for s, faces in by_subject.items()},
            {c: frozenset(held) for c, held in counts.items()},
            counts,
        )

    def moved(
        self, moves: Mapping[str, str | None], clusters: Mapping[str, str | None]
    ) -> References:
        """These references with each face of `moves` confirmed as that subject now (None: no
        longer confirmed as anyone compared against), in the same clusters; these are kept."""
        by_face = dict(self.by_face)
        faces_of = {s: set(self.by_subject.get(s, ())) for s in self.touched(moves)}
        counts = dict(self.counts)
        changed: dict[str, dict[str, int]] = {}
        for face, subject in moves.items():
            cluster = clusters.get(face)
            if cluster is not None and cluster not in changed:
                changed[cluster] = dict(self.counts.get(cluster, {}))
            if (was := by_face.pop(face, None)) is not None:
                faces_of[was].discard(face)
                if cluster is not None:
                    changed[cluster][was] -= 1
            if subject is not None:
                by_face[face] = subject
                faces_of[subject].add(face)
                if cluster is not None:
                    changed[cluster][subject] = changed[cluster].get(subject, 0) + 1
        by_subject = dict(self.by_subject)
        for subject, faces in faces_of.items():
            by_subject[subject] = frozenset(faces)
            if not faces:
                del by_subject[subject]
        evidence = dict(self.evidence)
        for cluster, held in changed.items():
            counts[cluster] = {s: n for s, n in held.items() if n}
            evidence[cluster] = frozenset(counts[cluster])
            if not counts[cluster]:
                del counts[cluster], evidence[cluster]
        return References(by_face, by_subject, evidence, counts)

    def touched(self, moves: Mapping[str, str | None]) -> set[str]:
        """The subjects `moves` takes faces from or gives faces to."""
        return {
            s for face, subject in moves.items() for s in (self.by_face.get(face), subject) if s
        }


def of_kind(labels: Labels, kind: Kind) -> set[str]:
    """The live subjects of `kind`."""
    return {s for s, subject in labels.subjects.items() if subject.kind == kind}


def confirmed_of(labels: Labels, kind: Kind, faces: Collection[str]) -> dict[str, str]:
    """Confirmed face (of `faces`) → subject, for subjects of `kind`: what the distance rules
    compare against in one space (people's faces, or pets' bodies)."""
    subjects = of_kind(labels, kind)
    return {f: s for f, s in labels.confirmed().items() if s in subjects and f in faces}
