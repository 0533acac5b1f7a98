"""The SuperLink's Control API, through the `flwr` CLI on loopback.

The CLI is Flower's public interface for it, and this keeps Roost off Flower's internal client
classes. Every call reads the connection written by `write_connection` into the coordinator's
private `FLWR_HOME`: 127.0.0.1 and the family CA as the root of the SuperLink's certificate.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from coordinator.superlink import CoordinatorError, LinkPaths
from node.model.flower import environment, executable

CONNECTION = "roost"
CALL_SECONDS = 60.0


def write_connection(paths: LinkPaths, port: int) -> None:
    paths.flwr_home.mkdir(parents=True, exist_ok=True, mode=0o700)
    (paths.flwr_home / "config.toml").write_text(
        f'[superlink]\ndefault = "{CONNECTION}"\n\n[superlink.{CONNECTION}]\n'
        f'address = "127.0.0.1:{port}"\nroot-certificates = "{paths.ca}"\n'
    )


class Control:
    def __init__(self, paths: LinkPaths) -> None:
        self._paths = paths

    def _flwr(self, *args: str, timeout: float = CALL_SECONDS) -> dict[str, Any]:
        done = subprocess.run(
            [executable("flwr"), *args, "--format", "json"],
            env=environment(self._paths.flwr_home),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self._paths.root,
        )
        try:
            answer: dict[str, Any] = json.loads(done.stdout[done.stdout.index("{") :])
        except ValueError:  # no JSON, or not JSON
            answer = {"success": False}
        if done.returncode != 0 or not answer.get("success", False):
            detail = answer.get("error-message") or done.stderr.strip()[-400:] or done.stdout[-400:]
            raise CoordinatorError(f"flwr {args[0]} {args[1] if len(args) > 1 else ''}: {detail}")
        return answer

    def register(self, public_key: bytes, name: str) -> int:
        """Register a SuperNode's authentication key; returns its Flower node id."""
        with tempfile.NamedTemporaryFile(dir=self._paths.root, suffix=".pub") as file:
            file.write(public_key)
            file.flush()
            answer = self._flwr("supernode", "register", file.name, CONNECTION, "--name", name)
        return int(answer["node-id"])

    def unregister(self, node_id: int) -> None:
        self._flwr("supernode", "unregister", str(node_id), CONNECTION)

    def online(self) -> set[int]:
        """Flower node ids of the SuperNodes connected now."""
        nodes = self._flwr("supernode", "ls", CONNECTION)["nodes"]
        return {int(n["node-id"]) for n in nodes if n["status"] == "online"}

    def run(self, app: Path, config: dict[str, str | int | float | bool], timeout: float) -> None:
        """Start the family app and wait until the run ends."""
        overrides = " ".join(f"{k}={json.dumps(v)}" for k, v in config.items())
        done = subprocess.run(
            [
                executable("flwr"),
                "run",
                str(app),
                CONNECTION,
                "--run-config",
                overrides,
                "--stream",
            ],
            env=environment(self._paths.flwr_home),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self._paths.root,
        )
        if done.returncode != 0:
            raise CoordinatorError(f"flwr run failed: {(done.stderr or done.stdout)[-600:]}")
