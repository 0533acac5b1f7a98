"""Run a command as a child process and measure its wall time and peak memory."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from node.media.decode import MEDIA_SUFFIXES

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mb: float
    stdout: str


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Wall time and the child's own peak RSS (wait4, so earlier children do not count)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO, env=env
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]}... exited with {proc.returncode}")
    return Measured(seconds, usage.ru_maxrss / 1024, out)


def photo_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES)
