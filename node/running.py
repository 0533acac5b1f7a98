"""Whether a node runs for a home, and where it listens: what `node.json` says.

Commands ask this before anything else (`roost search` hands its query to the running node),
so it imports nothing beyond the file helpers: the peer stack behind the node costs seconds.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from node.files import holder, write_atomic
from node.settings import Home


@dataclass(frozen=True)
class NodeState:
    """What `node.json` says about the running node."""

    pid: int
    hosts: tuple[str, ...]
    port: int | None  # None: in no family, so serving no peers
    pairing_port: int | None

    def write(self, home: Home) -> None:
        """Published once the listeners are up; readable by the user's other processes."""
        write_atomic(home.node_state, json.dumps(asdict(self)).encode(), mode=0o644)


def running_node(home: Home) -> NodeState | None:
    """The state of the node running for `home`, or None if none is."""
    if holder(home.node_lock) is None:
        return None
    try:
        state = json.loads(home.node_state.read_text())
    except FileNotFoundError:
        return None  # starting up: the lock is taken, the listeners are not up yet
    return NodeState(state["pid"], tuple(state["hosts"]), state["port"], state["pairing_port"])
