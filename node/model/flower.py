"""How Roost runs Flower's processes: no outside network call, private state, these executables.

Flower reports telemetry, checks for updates and installs app dependencies at run time unless
told not to; every Flower process Roost starts (SuperLink, SuperNode, the `flwr` CLI, and the
app processes they spawn, which inherit this environment) gets the switches that turn all
three off, and a `FLWR_HOME` inside the node's home so nothing is read from or written to the
user's own Flower configuration. Flower spawns helpers (`flower-superexec`, `flwr-clientapp`)
by name, so this interpreter's scripts directory goes first on `PATH`; their app processes
import Roost's ServerApp and ClientApp, so the Roost that started them goes first on
`PYTHONPATH` (an editable install elsewhere must not answer instead).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

QUIET = {
    "FLWR_TELEMETRY_ENABLED": "0",
    "FLWR_DISABLE_UPDATE_CHECK": "1",
    "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1",
}
BIN = Path(sys.executable).parent
SOURCE = Path(__file__).resolve().parents[2]  # the directory holding this `node` package


def environment(flwr_home: Path) -> dict[str, str]:
    flwr_home.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = {**os.environ, **QUIET, "FLWR_HOME": str(flwr_home)}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SOURCE), env.get("PYTHONPATH")) if p)
    return env


def executable(name: str) -> str:
    return str(BIN / name)


def free_port() -> int:
    """A loopback port free right now, for a Flower API that must be told its port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Runs first in the child, single-threaded: ask the kernel for SIGTERM when the thread that
# started it ends, give up if that already happened, then become the real program.
_GUARD = (
    "import ctypes, os, signal, sys; "
    "ctypes.CDLL(None).prctl(1, signal.SIGTERM); "  # 1: PR_SET_PDEATHSIG
    "os.getppid() == int(sys.argv[1]) or sys.exit(1); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)


def dying_with_this_process(command: list[str]) -> list[str]:
    """`command`, run so that it is stopped when its supervisor dies (a node or coordinator
    that crashed), so no Flower process outlives the one that watches it."""
    return [sys.executable, "-c", _GUARD, str(os.getpid()), *command]


def stop_group(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop a child and everything it started: its process group, and the descendants that
    left it (Flower starts its app processes in sessions of their own). SIGTERM, then SIGKILL
    what is left after `grace`."""
    family = [process.pid, *_descendants(process.pid)]
    _signal(family, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    _signal(family, signal.SIGKILL)
    process.wait()


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        for send in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                send(pid, signum)


def _descendants(root: int) -> list[int]:
    """Every live process below `root`, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
