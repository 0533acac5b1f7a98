"""Invite codes as typed on the joining device (`InviteCode.decode`)."""

from __future__ import annotations

from collections.abc import Iterator

from fuzz.world import world
from protocol.identity import key_fingerprint
from protocol.pairing import CodeError, InviteCode


def fuzz_one(data: bytes) -> None:
    try:
        code = InviteCode.decode(data.decode("utf-8", errors="replace"))
    except CodeError:
        return
    assert InviteCode.decode(code.encode()) == code


def seeds() -> Iterator[bytes]:
    fingerprint = key_fingerprint(world().admin.key.public_key())
    for _ in range(4):
        code = InviteCode.generate(fingerprint).encode()
        yield code.encode()
        yield code.lower().replace("-", " ").encode()
