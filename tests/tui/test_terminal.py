"""`roost tui` in a real pseudo-terminal: it asks the terminal what it can draw, starts, draws
the people screen and quits on q, with and without a window size (a pty nobody sized reports
0 columns, which textual-image 0.12 would divide by)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

import pytest

from node.settings import Home
from tests.conftest import REPO


def _read(fd: int, until: bytes, seconds: float) -> bytes:
    out = b""
    deadline = time.monotonic() + seconds
    while until not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:  # the child has gone
                break
    return out


@pytest.mark.parametrize("size", [(24, 100), (0, 0)], ids=["sized", "unsized"])
def test_starts_draws_and_quits(home: Home, size: tuple[int, int]) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: roost tui on the pty
        os.chdir(REPO)
        os.environ["TERM"] = "xterm-256color"
        os.execv(
            sys.executable, [sys.executable, "-m", "node.cli", "--home", str(home.root), "tui"]
        )
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))
    try:
        drawn = _read(fd, b"unnamed clusters", 60)
        os.write(fd, b"q")
        rest = _read(fd, b"\x1b[?1049l", 20)  # leaves the alternate screen
    finally:
        _, status = os.waitpid(pid, 0)
    assert b"unnamed clusters" in drawn, drawn[-2000:]
    assert b"Traceback" not in drawn + rest
    assert os.waitstatus_to_exitcode(status) == 0
