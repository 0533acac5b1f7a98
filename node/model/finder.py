"""Where this node's SuperNode finds the coordinator: through the family, as it finds peers.

In order: an address given with `roost node start --coordinator`; a coordinator running on this
very device (`<home>/coordinator.json`); else a family device whose `Hello` announced the
capability `fleet-relay=PORT`, dialed at the address it greeted from and pinned to its id, so a
spoofed announcement costs a failed handshake. A coordinator advertises itself by that
capability in its own node's greetings (`advertised`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from node.family.directory import Directory
from node.peer.address import join, parse
from node.peer.hello import Greeter

CAPABILITY = "fleet-relay"
STATE_FILE = "coordinator.json"


@dataclass(frozen=True)
class LocalCoordinator:
    pid: int
    port: int
    device: str
    two_devices: bool  # the coordinator consents to rounds of two


def local_coordinator(root: Path) -> LocalCoordinator | None:
    """The coordinator running for this home, if one is."""
    try:
        state = json.loads((root / STATE_FILE).read_text())
        os.kill(int(state["pid"]), 0)
    except (FileNotFoundError, ProcessLookupError, json.JSONDecodeError, KeyError):
        return None
    return LocalCoordinator(
        int(state["pid"]), int(state["port"]), str(state["device"]), bool(state["two_devices"])
    )


def advertised(root: Path) -> tuple[str, ...]:
    """The capabilities this node adds to its greetings."""
    local = local_coordinator(root)
    return (f"{CAPABILITY}={local.port}",) if local is not None else ()


class CoordinatorFinder:
    def __init__(
        self, root: Path, greeter: Greeter, directory: Directory, explicit: str | None
    ) -> None:
        self._root = root
        self._greeter = greeter
        self._directory = directory
        self._explicit = explicit

    def __call__(self) -> tuple[str, str | None] | None:
        """(HOST:PORT, the coordinator's device id when known), or None while none is known."""
        if self._explicit:
            return self._explicit, None
        local = local_coordinator(self._root)
        if local is not None:
            return f"127.0.0.1:{local.port}", local.device
        devices = self._directory.all()
        for device, capabilities in sorted(self._greeter.capabilities_of.items()):
            port = _relay_port(capabilities)
            record = devices.get(device)
            if port is not None and record is not None and record.addresses:
                return join(parse(record.addresses[0])[0], port), device
        return None


def _relay_port(capabilities: tuple[str, ...]) -> int | None:
    for capability in capabilities:
        name, _, value = capability.partition("=")
        if name == CAPABILITY and value.isdigit() and 0 < int(value) < 65536:
            return int(value)
    return None
