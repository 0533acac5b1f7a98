"""Names a Google Takeout sidecar lists for a photo, turned into suggestions for its faces.

Takeout says who Google Photos recognised in a photo, not which face is whom, so its names are
hints, never labels (`photo_sources.people` keeps them). Given what the label log and the
library's own matching (`node.people.suggest`) already say about each face:

- a photo with one face and one name: the face is suggested as that person (0.9), unless the
  user has confirmed it or rejected it for that person, or Roost already assigned it to
  someone else at high confidence;
- several faces or names: a face whose own match (by embedding, against the rest of the
  library) is one of the photo's names is kept, and at least suggested; when that leaves one
  face and one name, and the photo has as many faces as names, the last face is suggested as
  the last name (0.75). Any other face gets no suggestion from the names: nothing is guessed.

Every name is a person in the label log before this runs (the imports stage creates those
missing), so a suggestion always points at a subject the user can confirm, reject or rename.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from protocol.labels import Labels

SINGLE = 0.9  # one face, one name
ELIMINATED = 0.75  # the last face of a photo whose other faces matched its other names

CONFIRMED, CLUSTERED, SUGGESTED = "confirmed", "clustered", "suggested"

# A face's placement as `node.people.suggest` makes it: (subject, status, confidence).
Placed = tuple[str | None, str, float]


def apply_hints(
    placed: Sequence[Placed],
    face_ids: Sequence[str],
    face_media: Sequence[str],
    hints: Mapping[str, Sequence[str]],
    labels: Labels,
) -> list[Placed]:
    """`placed` (one per face) with the hinted names of each face's photo applied."""
    result = list(placed)
    by_photo: dict[str, list[int]] = {}
    for i, media in enumerate(face_media):
        if media in hints:
            by_photo.setdefault(media, []).append(i)
    rejected = labels.rejected()
    for media, faces in by_photo.items():
        people = _people(hints[media], labels)
        for i, person, confidence in _hinted(result, faces, people):
            if person not in rejected.get(face_ids[i], ()):
                result[i] = (person, SUGGESTED, confidence)
    return result


def _people(names: Sequence[str], labels: Labels) -> list[str]:
    found: list[str] = []
    for name in names:
        subject = labels.by_name(name)
        if subject is not None and subject.kind == "person" and subject.id not in found:
            found.append(subject.id)
    return found


def _hinted(
    placed: list[Placed], faces: list[int], people: list[str]
) -> list[tuple[int, str, float]]:
    """(face index, person, confidence) for each face the names say something about."""
    if not people:
        return []
    if len(faces) == 1 and len(people) == 1:
        subject, status, _ = placed[faces[0]]
        if status == CONFIRMED or (status == CLUSTERED and subject is not None):
            return []  # the user said so, or Roost is already sure (of them or someone else)
        return [(faces[0], people[0], SINGLE)]
    agreed = {i for i in faces if placed[i][0] in people and placed[i][1] != "unclustered"}
    left_faces = [i for i in faces if i not in agreed and placed[i][1] != CONFIRMED]
    left_people = [p for p in people if p not in {placed[i][0] for i in agreed}]
    changes: list[tuple[int, str, float]] = []
    if len(left_faces) == 1 and len(left_people) == 1 and len(faces) == len(people):
        i = left_faces[0]
        if placed[i][1] != CLUSTERED or placed[i][0] is None:
            changes.append((i, left_people[0], ELIMINATED))
    return changes
