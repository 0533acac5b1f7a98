"""What the benchmarks share: measuring a child process, finding photos, indexing them."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.library.store import Library
from node.media.decode import MEDIA_SUFFIXES

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mb: float
    stdout: str
    cpu_seconds: float = 0.0  # the child's own user + system time: less sensitive to load


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Wall time, CPU time and peak resident memory of one child process.

    The peak is the child's own high-water mark (`VmHWM` in /proc, sampled every 10 ms until it
    exits; where there is no /proc, wait4's `ru_maxrss`). `ru_maxrss` alone does not do on
    Linux: the kernel carries into it, across exec, the high-water mark of the memory the child
    shared with this process between fork and exec, so a child of a large process (a test run
    that has loaded models) measured at least as large as its parent."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO, env=env
    )  # returns once the child has exec'd: what /proc shows from here on is the command's
    stdout = proc.stdout
    assert stdout is not None
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(stdout.read()), daemon=True)
    reader.start()
    peak_kb = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak_kb = max(peak_kb, _high_water_kb(proc.pid))
        time.sleep(0.01)
    reader.join()
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]}... exited with {proc.returncode}")
    peak_mb = (peak_kb or usage.ru_maxrss) / 1024
    return Measured(seconds, peak_mb, "".join(out), usage.ru_utime + usage.ru_stime)


def _high_water_kb(pid: int) -> int:
    """The process's peak resident memory so far, in KiB (0 where /proc cannot tell)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def phase_peak_mb(reset: bool = True) -> float | None:
    """This process's peak resident memory since the last reset, in MB, then (by default) the
    peak reset to what it holds now (`/proc/self/clear_refs`, Linux): so that one phase of a
    benchmark is measured apart from what an earlier one held for a moment. None where the
    kernel does not offer it."""
    peak = _high_water_kb(os.getpid())
    if not peak:
        return None
    if reset:
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            return None
    return peak / 1024


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q` quantile (0–1) of `values`: one of the values measured."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def photo_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES)


def identity_folder_args(
    description: str, extra: Callable[[argparse.ArgumentParser], object] | None = None
) -> argparse.Namespace:
    """`--data` (a folder of identity subfolders), `--home` (reuse or keep the index), `--prior`
    (the family model's calibration prior, as `benchmarks.calibrate` fits it on another part of
    the data), and whatever `extra` adds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", type=Path, required=True, help="folder of identity subfolders")
    parser.add_argument("--home", type=Path, help="reuse (or keep) this node home")
    parser.add_argument(
        "--prior",
        metavar="MIDPOINT:SCALE",
        help="calibration prior fitted elsewhere (default: the product's own)",
    )
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    args.data = args.data.resolve()
    if args.prior:
        _use_prior(parser, args.prior)
    return args


def _use_prior(parser: argparse.ArgumentParser, text: str) -> None:
    """Measure with another prior than the one the product ships: set for this process only."""
    from node.model import calibration

    try:
        midpoint, scale = (float(part) for part in text.split(":"))
    except ValueError:
        parser.error(f"--prior takes MIDPOINT:SCALE, not {text!r}")
    calibration.PRIOR_MIDPOINT, calibration.PRIOR_SCALE = midpoint, scale


def index_with_roost(data: Path, home: Path) -> Library:
    """Index `data` with the real `roost index` command and open the library it built."""
    cmd = [sys.executable, "-m", "node.cli", "--home", str(home), "index", str(data), "--json"]
    subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return Library.open(home / "library")


def largest_faces(library: Library, data: Path, columns: list[str]) -> dict[Path, dict[str, Any]]:
    """Photo path relative to `data` → its largest face (the identity's, in a portrait set)."""
    largest = {}
    for photo in photo_files(data):
        record = library.file(str(photo))
        faces = library.faces_of(record["hash"], ["box", *columns]) if record else []
        if faces:
            largest[photo.relative_to(data)] = max(faces, key=lambda f: _area(f["box"]))
    return largest


def _area(box: list[float]) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])
