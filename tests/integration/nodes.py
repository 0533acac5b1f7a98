"""Real `roost` processes for integration tests: commands, long-running nodes, a private network.

Anything that speaks mDNS must run inside a network namespace (`Netns`), never on the machine's
real network: multicast goes out of every interface.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from node.cli import main

REPO = Path(__file__).resolve().parents[2]
ROOST = (sys.executable, "-c", "import sys; from node.cli import main; sys.exit(main())")

T = TypeVar("T")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


def roost(home: Path, *args: str, prefix: Sequence[str] = ()) -> Result:
    """Run `roost --home HOME ARGS` as a separate process (behind `prefix`, e.g. nsenter)."""
    done = subprocess.run(
        [*prefix, *ROOST, "--home", str(home), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def roost_here(home: Path, *args: str) -> Result:
    """Run the same command line in this process: for cheap reads while polling. Never for
    anything that could browse mDNS outside a namespace."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--home", str(home), *args])
    return Result(code, out.getvalue(), err.getvalue())


def device(home: Path, device_id: str) -> dict[str, Any]:
    """The `roost family devices` row for `device_id` in `home`, or {} if it is not listed."""
    rows = roost_here(home, "family", "devices", "--json").json()
    return next((row for row in rows if row["id"] == device_id), {})


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


class Node:
    """A `roost node start` process on loopback (port 0: the kernel picks)."""

    def __init__(
        self, home: Path, *args: str, prefix: Sequence[str] = (), index: bool = False
    ) -> None:
        """`index`: keep the home's library folders indexed; off by default, so that a node
        with no folders set never walks the platform's default ones (a developer's photos)."""
        self.home = home
        self._terminated = False
        home.mkdir(parents=True, exist_ok=True)
        command = [*prefix, *ROOST, "--home", str(home), "node", "start"]
        command += ["--listen", "127.0.0.1:0", "--hello-interval", "0.5", *args]
        command += [] if index else ["--no-index"]
        with open(home / "node.stderr", "wb") as stderr:
            self.process = subprocess.Popen(
                command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr
            )
        self.state: dict[str, Any] = wait_for(f"the node in {home} to listen", self._started)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.state['port']}"

    @property
    def pairing_address(self) -> str:
        return f"127.0.0.1:{self.state['pairing_port']}"

    def log(self) -> str:
        return (self.home / "node.log").read_text()

    def stop(self) -> int:
        self.terminate()
        return self.process.wait(timeout=20)

    def terminate(self) -> None:
        if self.process.poll() is None and not self._terminated:
            self.process.send_signal(signal.SIGTERM)
            self._terminated = True

    def _started(self) -> dict[str, Any] | None:
        if self.process.poll() is not None:
            stderr = (self.home / "node.stderr").read_text()
            raise AssertionError(f"node exited with {self.process.returncode}:\n{stderr}")
        try:
            state: dict[str, Any] = json.loads((self.home / "node.json").read_text())
        except FileNotFoundError:
            return None
        return state


def stop_all(nodes: Iterable[Node]) -> list[int]:
    """SIGTERM every node at once, then collect their exit codes."""
    nodes = list(nodes)
    for node in nodes:
        node.terminate()
    return [node.stop() for node in nodes]


class Netns:
    """A private network namespace with only loopback, up and multicast-capable.

    A holder process keeps the namespace alive and dies with our end of its stdin pipe, so
    even a crashed test leaves nothing behind. Commands enter it with `prefix`.
    """

    SETUP = (
        "set -e; ip link set lo up; ip link set lo multicast on; "
        "ip route add 224.0.0.0/4 dev lo; echo ready; exec cat"
    )

    def __init__(self) -> None:
        self._holder = subprocess.Popen(
            ["unshare", "--net", "--", "sh", "-c", self.SETUP],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._holder.stdout is not None
        if self._holder.stdout.readline().strip() != "ready":
            self._holder.wait(timeout=5)
            raise RuntimeError(
                "could not create a network namespace (needs root and unshare/ip): "
                + (self._holder.stderr.read() if self._holder.stderr else "")
            )
        self.prefix = ("nsenter", f"--net=/proc/{self._holder.pid}/ns/net", "--")

    def close(self) -> None:
        assert self._holder.stdin is not None
        self._holder.stdin.close()
        self._holder.wait(timeout=5)
