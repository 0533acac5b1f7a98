"""What the node's indexing is doing, published in `<home>/indexing.json` for `roost status`
and the TUI's status line (other processes), rewritten atomically at most once a second.

```json
{"pid": 4242, "state": "indexing", "detail": null, "updated": "2025-01-01T12:00:00+00:00",
 "run": {"reason": "changes", "total": 40, "done": 12, "faces": 9, "rate": 0.8,
         "started": "..."},
 "pending": 3, "watching": ["/home/ann/Pictures"], "offline": ["/media/ann/Phone"],
 "next_rescan": "...", "last": {"finished": "...", "reason": "rescan", "summary": {...}}}
```

`state` is one of `State`; `detail` says why it is paused, waiting or failing; `run` is the run
in progress (`reason`: "rescan", a walk of every folder, or "changes", what watching reported),
`pending` the changed paths not yet indexed, `last` the last finished run (`Summary.to_json`).
The file is only believed while the node that wrote it runs (`node.lock`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from node.files import write_atomic

EVERY = 1.0  # seconds between rewrites while a run advances


class State(StrEnum):
    STARTING = "starting"
    INDEXING = "indexing"
    IDLE = "idle"  # up to date; waiting for changes or the next rescan
    PAUSED = "paused"  # on battery
    WAITING = "waiting"  # another process writes the library (a foreground `roost index`)
    FAILED = "failed"  # the last run failed (a model missing...); tried again at the next rescan


class Reason(StrEnum):
    RESCAN = "rescan"
    CHANGES = "changes"


@dataclass
class Run:
    reason: Reason
    total: int = 0
    done: int = 0
    faces: int = 0
    rate: float = 0.0  # files per second since the run started
    started: str = field(default_factory=lambda: now())


@dataclass
class Progress:
    pid: int = field(default_factory=os.getpid)
    state: State = State.STARTING
    detail: str | None = None
    updated: str = field(default_factory=lambda: now())
    run: Run | None = None
    pending: int = 0
    watching: list[str] = field(default_factory=list)
    offline: list[str] = field(default_factory=list)
    next_rescan: str | None = None
    last: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read(path: Path) -> dict[str, Any] | None:
    """The published progress, or None when there is none (or it is being replaced)."""
    try:
        value: dict[str, Any] = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return value


class Publisher:
    """Holds the node's `Progress` and writes it: at once on a change of state, and at most once
    a second while a run advances."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self.progress = Progress()
        self._written = 0.0

    def set(self, **changes: Any) -> None:
        """Change what is published; written at once if that changed anything."""
        changed = replace(self.progress, **changes)
        if changed != self.progress:
            self.progress = changed
            self.write()

    def write(self, *, throttled: bool = False) -> None:
        moment = time.monotonic()
        if throttled and moment - self._written < EVERY:
            return
        self._written = moment
        self.progress.updated = now()
        write_atomic(self._path, json.dumps(self.progress.to_json()).encode(), mode=0o644)


class RunReporter:
    """The indexer's `Reporter` for one of the node's runs: counts into the published progress,
    and between files lets the node pause (on battery) or stop the run (`between` blocks, or
    raises to end the run; what was committed stays, the rest is redone next time)."""

    def __init__(self, publisher: Publisher, reason: Reason, between: Callable[[], None]) -> None:
        self._publisher, self._between = publisher, between
        self._run = Run(reason)
        self._started = time.monotonic()

    def start(self, total: int) -> None:
        self._run.total = total
        self._publisher.set(state=State.INDEXING, detail=None, run=self._run)

    def advance(self, faces: int) -> None:
        run = self._run
        run.done += 1
        run.faces += faces
        run.rate = round(run.done / max(time.monotonic() - self._started, 1e-6), 2)
        self._publisher.write(throttled=True)
        self._between()

    def finish(self) -> None:
        self._publisher.write()
