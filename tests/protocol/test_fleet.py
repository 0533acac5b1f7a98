"""The fleet tunnel's preamble, as the coordinator's relay reads it from a member's tunnel."""

from __future__ import annotations

import io
import struct

import pytest

from protocol.errors import RoostError
from protocol.fleet import MAGIC, MAX_KEY, FleetError, encode, read_preamble

KEY = b"ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQ= roost"


class Trickle:
    """A stream that hands out at most `step` bytes a call, as a socket may."""

    def __init__(self, data: bytes, step: int = 3) -> None:
        self.stream = io.BytesIO(data)
        self.step = step

    def __call__(self, n: int) -> bytes:
        return self.stream.read(min(n, self.step))


def test_the_key_is_read_and_nothing_after_it() -> None:
    after = b"POST /flwr HTTP/1.1\r\n"
    source = Trickle(encode(KEY) + after)
    assert read_preamble(source) == KEY
    assert source.stream.read() == after  # Flower's first bytes are left for the SuperLink


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", "not a Roost fleet tunnel"),
        (MAGIC + struct.pack(">H", 0), "a SuperNode key of 0 bytes"),
        (MAGIC + struct.pack(">H", MAX_KEY + 1) + bytes(MAX_KEY + 1), "of 1025 bytes"),
        (encode(KEY)[:-1], "closed inside its preamble"),
        (MAGIC[:5], "closed inside its preamble"),
    ],
)
def test_anything_else_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(FleetError, match=message):
        read_preamble(Trickle(data))


def test_a_refusal_is_a_roost_error_not_a_value_error() -> None:
    assert issubclass(FleetError, RoostError) and not issubclass(FleetError, ValueError)
