"""Flower's processes never outlive Roost's: a supervisor that dies takes its child with it,
and stopping a child stops what it started in sessions of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from node.model.flower import dying_with_this_process, stop_group
from tests.integration.nodes import wait_for

SLEEP = ["/bin/sleep", "120"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_child_dies_with_its_supervisor() -> None:
    supervisor = subprocess.Popen(
        [sys.executable, "-c", (
            "import subprocess, sys, time; from node.model.flower import dying_with_this_process; "
            f"p = subprocess.Popen(dying_with_this_process({SLEEP!r})); print(p.pid, flush=True); "
            "time.sleep(120)"
        )],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert supervisor.stdout is not None
    child = int(supervisor.stdout.readline())
    wait_for(
        "the child to exec",
        lambda: Path(f"/proc/{child}/cmdline").read_bytes().startswith(b"/bin/sleep"),
    )
    supervisor.send_signal(signal.SIGKILL)  # a crash: no cleanup code runs
    supervisor.wait()
    wait_for("the child to go", lambda: not alive(child), 10)


def test_stopping_a_child_stops_what_it_started_in_another_session() -> None:
    script = "setsid /bin/sleep 120 & echo $!; wait"
    child = subprocess.Popen(
        dying_with_this_process(["/bin/sh", "-c", script]),
        stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert child.stdout is not None
    grandchild = int(child.stdout.readline())
    time.sleep(0.2)
    assert alive(grandchild)
    stop_group(child, grace=2.0)
    wait_for("the grandchild to go", lambda: not alive(grandchild), 10)
