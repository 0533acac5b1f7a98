"""The benchmarks' and tests' measure of a child process's memory is the child's own."""

from __future__ import annotations

import sys

from benchmarks.measure import run_measured


def test_a_child_of_a_large_process_is_measured_at_its_own_size() -> None:
    """wait4's ru_maxrss would report at least the parent's 600 MB here (Linux carries the
    memory shared between fork and exec into it)."""
    held = bytearray(600 * 2**20)
    held[::4096] = b"\x01" * len(held[::4096])  # resident, not just reserved
    child = (
        "import time; x = bytearray(200 * 2**20); x[::4096] = b'1' * len(x[::4096]); "
        "time.sleep(0.2)"
    )
    measured = run_measured([sys.executable, "-c", child])
    assert 200 <= measured.peak_rss_mb < 450
    del held
