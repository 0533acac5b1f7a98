"""A peer's search answer as the asking device reads it (`read_answer`), and the thumbnail the
TUI then shows (`peer_thumbnail`): what a hostile or broken peer can send is refused or shown
as no thumbnail, never raised past them. Each case is one the fuzzer's `search_reply` target
reaches; the thumbnails are made from a real photo of ../shared/testdata."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from node.peer.search import read_answer
from protocol.gen import roost_pb2
from protocol.search import THUMBNAIL_PX, SearchWireError, thumbnail_problem
from tui.widgets.images import peer_thumbnail

PHOTO = Path(__file__).resolve().parents[2].parent / "shared/testdata/multi_face/couple.jpg"


def thumbnail(side: int = THUMBNAIL_PX, kind: str = "JPEG") -> bytes:
    with Image.open(PHOTO) as photo:
        photo.thumbnail((side, side))
        out = io.BytesIO()
        photo.convert("RGB").save(out, kind)
    return out.getvalue()


def with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """`jpeg` with the size its start-of-frame header claims replaced (the body unchanged)."""
    data = bytearray(jpeg)
    frame = data.find(b"\xff\xc0")
    assert frame > 0
    data[frame + 5 : frame + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def hit(picture: bytes, n: int = 0) -> roost_pb2.SearchHit:
    return roost_pb2.SearchHit(
        media=hashlib.sha256(bytes([n])).hexdigest(),
        taken_at="2019-07-14T10:00:00",
        people=["Alice"],
        score=0.5,
        thumbnail=picture,
    )


def answer(*hits: roost_pb2.SearchHit, total: int | None = None) -> list[roost_pb2.SearchReply]:
    last = roost_pb2.SearchReply(done=True, total=len(hits) if total is None else total)
    return [roost_pb2.SearchReply(hits=hits), last]


def test_a_real_answer_is_read_whole_and_its_thumbnails_shown() -> None:
    jpeg, webp = thumbnail(), thumbnail(200, "WEBP")
    read = read_answer(answer(hit(jpeg, 0), hit(webp, 1), hit(b"", 2), total=7), limit=3)
    assert [h.thumbnail for h in read.hits] == [jpeg, webp, b""] and read.total == 7
    shown = [peer_thumbnail(h.thumbnail) for h in read.hits]
    assert [image.size if image else None for image in shown[:2]] == [
        Image.open(io.BytesIO(jpeg)).size,
        Image.open(io.BytesIO(webp)).size,
    ]
    assert shown[2] is None


@pytest.mark.parametrize(
    ("picture", "why"),
    [
        (with_size(thumbnail(), 0xFFFF, 0xFFFF), "65535×65535 px"),
        (with_size(thumbnail(), 4000, 3000), "4000×3000 px"),
        (thumbnail(THUMBNAIL_PX + 1), f"at most {THUMBNAIL_PX} a side"),
        (b"\xff\xd8\xff" + b"\0" * 64, "not a readable JPEG or WebP"),
        (b"RIFF\0\0\0\0WEBP" + b"\0" * 64, "not a readable JPEG or WebP"),
    ],
    ids=["billions", "4000x3000", "257", "no-jpeg", "no-webp"],
)
def test_a_thumbnail_too_large_by_its_header_or_without_one_is_refused(
    picture: bytes, why: str
) -> None:
    """A header claiming billions of pixels once escaped as PIL's DecompressionBombError."""
    problem = thumbnail_problem(picture)
    assert problem is not None and why in problem
    with pytest.raises(SearchWireError, match=why):
        read_answer(answer(hit(thumbnail(), 0), hit(picture, 1)), limit=5)
    assert peer_thumbnail(picture) is None


def test_a_thumbnail_whose_body_does_not_decode_is_shown_as_none() -> None:
    """Its header passes on arrival; decoding for the screen fails, and the screen shows none."""
    jpeg = thumbnail()
    cut = jpeg[: len(jpeg) // 3]
    assert thumbnail_problem(cut) is None
    assert peer_thumbnail(cut) is None
    assert read_answer(answer(hit(cut)), limit=1).hits[0].thumbnail == cut


@pytest.mark.parametrize(
    ("replies", "limit", "why"),
    [
        (answer(hit(b"", 0), hit(b"", 1), total=1), 5, "a total of 1 photos for 2 hits"),
        (answer(hit(b"", 0), hit(b"", 1)), 1, "more than the 1 hits asked for"),
        (answer(hit(b"", 0))[:1], 5, "ended early"),
        ([], 5, "ended early"),
    ],
    ids=["total", "limit", "no-last", "empty"],
)
def test_an_answer_that_breaks_its_own_bounds_is_refused(
    replies: list[roost_pb2.SearchReply], limit: int, why: str
) -> None:
    with pytest.raises(SearchWireError, match=why):
        read_answer(replies, limit)


def test_nothing_after_a_refusal_is_read() -> None:
    read: list[int] = []

    def stream() -> Iterator[roost_pb2.SearchReply]:
        for n, reply in enumerate(answer(hit(b"", 0), hit(b"", 1)) * 3):
            read.append(n)
            yield reply

    with pytest.raises(SearchWireError):
        read_answer(stream(), limit=1)
    assert read == [0]
