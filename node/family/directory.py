"""The family devices this node knows: `<home>/devices.json`.

Only authenticated facts go in: a device this one admitted by pairing, or a peer that completed
`Hello` over mutual TLS (its name comes from its CA-signed certificate, its address from the
connection). Discovery results are not stored here: an mDNS answer proves nothing.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from node.files import locked, write_atomic
from protocol.identity import Member

# Most recent first; older addresses of a device that moved around are forgotten.
MAX_ADDRESSES = 4


@dataclass(frozen=True)
class DeviceRecord:
    id: str
    name: str
    addresses: tuple[str, ...] = ()
    last_seen: datetime.datetime | None = None


class Directory:
    def __init__(self, path: Path) -> None:
        self._path = path

    def all(self) -> dict[str, DeviceRecord]:
        if not self._path.exists():
            return {}
        return {
            device_id: DeviceRecord(
                device_id,
                row["name"],
                tuple(row["addresses"]),
                datetime.datetime.fromisoformat(row["last_seen"]) if row["last_seen"] else None,
            )
            for device_id, row in json.loads(self._path.read_text()).items()
        }

    def record(
        self,
        member: Member,
        *,
        address: str | None = None,
        seen: datetime.datetime | None = None,
    ) -> None:
        """Note that `member` exists, was reached at `address`, and was last heard from `seen`."""
        with locked(self._path):
            devices = self.all()
            old = devices.get(member.id, DeviceRecord(member.id, member.name))
            addresses = old.addresses
            if address is not None:
                addresses = (address, *(a for a in addresses if a != address))[:MAX_ADDRESSES]
            devices[member.id] = DeviceRecord(
                member.id, member.name, addresses, seen or old.last_seen
            )
            self._write(devices)

    def _write(self, devices: dict[str, DeviceRecord]) -> None:
        rows = {
            record.id: {
                "name": record.name,
                "addresses": list(record.addresses),
                "last_seen": record.last_seen.isoformat() if record.last_seen else None,
            }
            for record in devices.values()
        }
        write_atomic(self._path, json.dumps(rows, indent=1).encode(), mode=0o600)
