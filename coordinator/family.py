"""What the coordinator keeps between rounds: `<home>/coordinator/`.

    nodes.json            {device id: {"node": Flower node id, "key": SHA-256 of its SuperNode
                           key (hex), "name"}}: who each registered SuperNode is
    global.npz            the newest family model (`PersonalModel`), as sent to the devices
    rounds/NNNNNN.json    one record per round: participants, secure aggregation, seconds, ...
    traffic.json          bytes each device sent through the relay so far (the running relay
                           rewrites it every second)

The ServerApp (a Flower process of its own) reads and writes these too, which is why they are
files: atomic replacements, read-modify-write under a lock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.files import locked, write_atomic
from node.model.personal import PersonalModel


@dataclass(frozen=True)
class Registered:
    device: str
    node: int
    key: str  # hex SHA-256 of the SuperNode's public key
    name: str


def key_digest(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()


class FamilyState:
    def __init__(self, root: Path) -> None:
        self.root = root

    # -- registered SuperNodes -----------------------------------------------------------------

    @property
    def _nodes(self) -> Path:
        return self.root / "nodes.json"

    def registered(self) -> dict[str, Registered]:
        try:
            rows: dict[str, dict[str, Any]] = json.loads(self._nodes.read_text())
        except FileNotFoundError:
            return {}
        return {
            d: Registered(d, int(r["node"]), str(r["key"]), str(r["name"])) for d, r in rows.items()
        }

    def record_node(self, entry: Registered | None, device: str) -> None:
        """Set (or, with None, drop) the SuperNode registered for `device`."""
        with locked(self._nodes):
            rows = {d: r.__dict__ for d, r in self.registered().items()}
            rows.pop(device, None)
            if entry is not None:
                rows[device] = entry.__dict__
            write_atomic(self._nodes, json.dumps(rows, indent=1).encode())

    def device_of(self, node: int) -> str | None:
        return next((r.device for r in self.registered().values() if r.node == node), None)

    # -- models and rounds ---------------------------------------------------------------------

    def global_model(self) -> PersonalModel | None:
        try:
            return PersonalModel.from_bytes((self.root / "global.npz").read_bytes())
        except FileNotFoundError:
            return None

    def save_global(self, model: PersonalModel) -> None:
        write_atomic(self.root / "global.npz", model.to_bytes())

    def next_round(self) -> int:
        records = sorted((self.root / "rounds").glob("*.json"))
        return int(records[-1].stem) + 1 if records else 1

    def save_round(self, number: int, record: dict[str, Any]) -> None:
        path = self.root / "rounds" / f"{number:06d}.json"
        with locked(path):
            old = json.loads(path.read_text()) if path.exists() else {}
            write_atomic(path, json.dumps({**old, **record}, indent=1).encode(), mode=0o644)

    def round_record(self, number: int) -> dict[str, Any] | None:
        path = self.root / "rounds" / f"{number:06d}.json"
        if not path.exists():
            return None
        record: dict[str, Any] = json.loads(path.read_text())
        return record

    def traffic(self) -> dict[str, int]:
        try:
            counts: dict[str, int] = json.loads((self.root / "traffic.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return counts

    def save_traffic(self, counts: dict[str, int]) -> None:
        write_atomic(self.root / "traffic.json", json.dumps(counts).encode(), mode=0o644)
