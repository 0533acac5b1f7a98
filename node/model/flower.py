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


def stop_group(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM a child's whole process group (Flower's helpers and app processes with it),
    then SIGKILL what is left after `grace`."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
