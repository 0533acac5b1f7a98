"""One round, start to finish: who is online, SecAgg+ or consent, the run, its record.

Rounds never overlap (a lock in the coordinator's folder): the coordinator's scheduler and
`roost model round` may both want one. The record `roost model round --json` prints is the
ServerApp's (participants, secure aggregation, version) plus what only this side can measure:
the seconds the run took and the bytes each participant sent through the relay meanwhile
(everything: Flower's polls and heartbeats as well as the masked contribution).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coordinator.control import Control
from coordinator.family import FamilyState
from coordinator.superlink import CoordinatorError, LinkPaths
from node.files import locked
from node.settings import Home

APP = Path(__file__).resolve().parent / "app"
SECURE_MINIMUM = 3


@dataclass(frozen=True)
class RoundPolicy:
    two_devices: bool  # the coordinator's consent to rounds of two (each device consents too)
    timeout: float = 300.0

    @property
    def minimum(self) -> int:
        return 2 if self.two_devices else SECURE_MINIMUM


def paths_of(home: Home) -> LinkPaths:
    return LinkPaths(home.root / "coordinator")


def run_round(home: Home, policy: RoundPolicy) -> dict[str, Any]:
    """Run one round now and wait for it; raises CoordinatorError with what is missing."""
    paths = paths_of(home)
    state = FamilyState(paths.root)
    control = Control(paths)
    with locked(paths.root / "round"):
        online = sorted(control.online())
        if len(online) < policy.minimum:
            raise CoordinatorError(
                f"{len(online)} family device(s) online; a round needs {SECURE_MINIMUM} "
                "(or 2 where the coordinator and both devices consented to rounds without "
                "secure aggregation)"
            )
        number = state.next_round()
        secure = len(online) >= SECURE_MINIMUM
        before = state.traffic()
        started = time.monotonic()
        state.save_round(number, {"round": number, "started_at": time.time()})
        config: dict[str, str | int | float | bool] = {
            "coordinator-home": str(home.root), "round": number, "devices": len(online),
            "secure": secure, "timeout": policy.timeout,
        }  # fmt: skip
        control.run(APP, config, timeout=policy.timeout + 60)
        seconds = round(time.monotonic() - started, 1)
        record = state.round_record(number) or {}
        if "participants" not in record:
            raise CoordinatorError(f"round {number} ended without an aggregate; see {paths.log}")
        time.sleep(1.5)  # the relay writes its byte counts every second
        after = state.traffic()
        sent = {d: after.get(d, 0) - before.get(d, 0) for d in record["participants"]}
        state.save_round(number, {"seconds": seconds, "bytes_sent": sent})
    return summary(state.round_record(number) or {})


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """The contract of `roost model round --json`, plus the measurements."""
    return {
        "round": record.get("round"),
        "participants": record.get("participants", []),
        "secure_aggregation": record.get("secure_aggregation", False),
        "seconds": record.get("seconds"),
        "version": record.get("version"),
        "bytes_sent": record.get("bytes_sent", {}),
        "devices": record.get("devices", {}),
    }


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(summary(record))
