"""What this device last heard from each family device over sync and search:
`<home>/peer-status.json`, for `roost family devices`-style views (the TUI's devices screen).

Written by the node and by commands (`roost sync`, `roost search`), so updates are
read-modify-write under the file's lock and replace the file atomically.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from node.files import locked, write_atomic


class Exchange(StrEnum):
    SYNC = "sync"
    SEARCH = "search"


@dataclass(frozen=True)
class Heard:
    at: str  # ISO 8601, when this device asked
    answered: bool
    error: str | None


class PeerStatus:
    def __init__(self, path: Path) -> None:
        self._path = path

    def all(self) -> dict[str, dict[Exchange, Heard]]:
        """Device id → its latest sync and search outcomes, as far as known."""
        try:
            rows = json.loads(self._path.read_text())
        except FileNotFoundError:
            return {}
        return {
            device: {Exchange(kind): Heard(**heard) for kind, heard in kinds.items()}
            for device, kinds in rows.items()
        }

    def record(
        self,
        exchange: Exchange,
        outcomes: dict[str, str | None],
        at: datetime.datetime | None = None,
    ) -> None:
        """Note, for each device id, that `exchange` answered (None) or failed (why) `at`
        (default: now)."""
        moment = at or datetime.datetime.now(datetime.UTC)
        now = moment.isoformat(timespec="seconds")
        with locked(self._path):
            rows = {d: {k.value: asdict(h) for k, h in v.items()} for d, v in self.all().items()}
            for device, error in outcomes.items():
                heard = Heard(now, error is None, None if error is None else error[:300])
                rows.setdefault(device, {})[exchange.value] = asdict(heard)
            write_atomic(self._path, json.dumps(rows, indent=1).encode(), mode=0o600)
