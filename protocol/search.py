"""A search between family devices on the wire: the request, the hits, and what bounds them.

The asker sends the structured `Query` (`protocol.query`) with the subject ids its names
resolved to through the synced label registry; the answering device runs it on its own index
and streams hits. A hit carries only what means the same on every device: the photo's content
hash (never a path), its date, place, the names of the people in it, a score, and one small
thumbnail of the photo (JPEG or WebP, at most THUMBNAIL_PX on its long side and
MAX_THUMBNAIL_BYTES). Never the original, a face crop or an embedding. Both ends check all of
it: a receiver trusts nothing a peer sent.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from protocol.errors import RoostError
from protocol.gen import roost_pb2
from protocol.images import image_size
from protocol.labels import name_problem
from protocol.query import Query, QueryError

MAX_HITS = 200  # per device and search
DEFAULT_HITS = 50
DEADLINE = 3.0  # seconds an asker waits for the slowest device, by default
# The longest an asker may wait: a device refuses a call set to run past MAX_CALL_SECONDS (60),
# and the asker's own node needs time on top of the family deadline for its own search.
MAX_DEADLINE = 45.0
THUMBNAIL_PX = 256
MAX_THUMBNAIL_BYTES = 64 << 10
HITS_PER_MESSAGE = 8  # 8 × 64 KiB stays under the channel's 1 MiB message limit
MAX_PEOPLE = 64
MAX_PLACE = 200
MAX_NOTES = 8

_MEDIA = re.compile(r"[0-9a-f]{64}")


class SearchWireError(RoostError):
    """A search request or hit that this device refuses; the message says why."""


def is_media(value: str) -> bool:
    return bool(_MEDIA.fullmatch(value))


@dataclass(frozen=True)
class SearchRequest:
    query: Query
    subject_ids: tuple[str, ...]  # aligned with query.subjects
    limit: int = DEFAULT_HITS

    def to_wire(self) -> roost_pb2.SearchRequest:
        return roost_pb2.SearchRequest(
            query=json.dumps(self.query.to_dict()), subject_ids=self.subject_ids, limit=self.limit
        )

    @classmethod
    def from_wire(cls, message: roost_pb2.SearchRequest) -> SearchRequest:
        try:
            document = json.loads(message.query)
        except (ValueError, RecursionError) as exc:  # not JSON, or nested past the stack
            raise SearchWireError(f"bad query: not JSON ({exc})") from None
        try:
            query = Query.from_dict(document)
        except QueryError as exc:
            raise SearchWireError(f"bad query: {exc}") from None
        ids = tuple(message.subject_ids)
        if len(ids) != len(query.subjects):
            raise SearchWireError("a subject id is needed for each person or pet asked for")
        for subject in ids:
            try:
                uuid.UUID(subject)
            except ValueError:
                raise SearchWireError(f"{subject[:60]!r} is no subject id") from None
        if not 1 <= message.limit <= MAX_HITS:
            raise SearchWireError(f"ask for 1 to {MAX_HITS} hits, not {message.limit}")
        return cls(query, ids, message.limit)


@dataclass(frozen=True)
class WireHit:
    media: str
    taken_at: str
    place: str | None
    people: tuple[str, ...]
    score: float
    thumbnail: bytes

    def to_wire(self) -> roost_pb2.SearchHit:
        hit = roost_pb2.SearchHit(
            media=self.media,
            taken_at=self.taken_at,
            people=self.people,
            score=self.score,
            thumbnail=self.thumbnail,
        )
        if self.place is not None:
            hit.place = self.place
        return hit

    @classmethod
    def from_wire(cls, hit: roost_pb2.SearchHit) -> WireHit:
        if not is_media(hit.media):
            raise SearchWireError(f"hit {hit.media[:70]!r}: a media id is a SHA-256 in hex")
        try:
            datetime.fromisoformat(hit.taken_at)
        except ValueError:
            raise SearchWireError(f"hit {hit.media}: bad date {hit.taken_at[:40]!r}") from None
        place = hit.place if hit.HasField("place") else None
        if place is not None and (len(place) > MAX_PLACE or "\n" in place):
            raise SearchWireError(f"hit {hit.media}: place too long or multi-line")
        people = tuple(hit.people)
        if len(people) > MAX_PEOPLE or any(name_problem(p) for p in people):
            raise SearchWireError(f"hit {hit.media}: bad or too many names of people")
        if not (math.isfinite(hit.score) and 0.0 <= hit.score <= 1.0):
            raise SearchWireError(f"hit {hit.media}: score must lie in [0, 1]")
        if problem := thumbnail_problem(hit.thumbnail):
            raise SearchWireError(f"hit {hit.media}: {problem}")
        return cls(hit.media, hit.taken_at, place, people, hit.score, hit.thumbnail)


def thumbnail_problem(data: bytes) -> str | None:
    """Why `data` cannot be a hit's thumbnail, or None (empty: no thumbnail): its bytes, and
    the pixel size its header declares (`protocol.images`). Its body is checked where it is
    decoded, which only a thumbnail that is shown is."""
    if not data:
        return None
    if len(data) > MAX_THUMBNAIL_BYTES:
        return f"thumbnail of {len(data)} bytes exceeds {MAX_THUMBNAIL_BYTES}"
    size = image_size(data)
    if size is None:
        return "the thumbnail is not a readable JPEG or WebP image"
    if not (0 < size.width <= THUMBNAIL_PX and 0 < size.height <= THUMBNAIL_PX):
        return f"a thumbnail of {size.width}×{size.height} px (at most {THUMBNAIL_PX} a side)"
    return None
