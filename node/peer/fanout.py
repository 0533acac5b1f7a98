"""Ask several family devices at once and take what came back by a deadline.

`fan_out` runs one call per device in parallel and returns, by the deadline at the latest, an
`Outcome` for every device: its value, or why there is none (an error, or no answer in time).
A dead or slow device therefore costs at most the deadline and never a hang, and one failing
device never hides the others' answers. It knows nothing of gRPC: calls are plain functions,
so fan-out is tested with in-memory calls as well as over the real channel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

from node.family import FamilyError

T = TypeVar("T")


@dataclass(frozen=True)
class Peer:
    """A family device to call: its id, display name and addresses (newest first)."""

    id: str
    name: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Outcome(Generic[T]):
    peer: Peer
    value: T | None
    error: str | None
    ms: float  # how long it took, or the deadline for one that did not answer

    @property
    def answered(self) -> bool:
        return self.error is None


Call = Callable[[Peer, float], T]  # (peer, deadline as time.monotonic()) → value


def fan_out(peers: Sequence[Peer], call: Call[T], timeout: float) -> list[Outcome[T]]:
    """`call` for each peer in parallel; an outcome for each, in order, within `timeout` s.

    Calls get the deadline and are expected to give up by it (gRPC calls take it as their
    timeout); one that does not is abandoned at the deadline, reported as not answering.
    `FamilyError`s (a refusal, an unreachable address) become the outcome's error; any other
    exception is a bug and is raised.
    """
    if not peers:
        return []
    started = time.monotonic()
    deadline = started + timeout
    pool = ThreadPoolExecutor(max_workers=len(peers), thread_name_prefix="fan-out")
    try:
        futures = [pool.submit(_timed, call, peer, deadline, started) for peer in peers]
        wait(futures, timeout=timeout)
        return [
            _outcome(peer, future, timeout) for peer, future in zip(peers, futures, strict=True)
        ]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _timed(call: Call[T], peer: Peer, deadline: float, started: float) -> _Done[T]:
    try:
        value, error = call(peer, deadline), None
    except FamilyError as exc:
        value, error = None, str(exc)
    return value, error, round((time.monotonic() - started) * 1000, 1)


_Done = tuple[T | None, str | None, float]


def _outcome(peer: Peer, future: Future[_Done[T]], timeout: float) -> Outcome[T]:
    if not future.done():
        return Outcome(peer, None, f"no answer within {timeout:g} s", timeout * 1000)
    value, error, ms = future.result()  # re-raises anything unexpected: a bug, not a peer
    return Outcome(peer, value, error, ms)


def remaining(deadline: float) -> float:
    """Seconds left until `deadline` (a time.monotonic() value), never below a millisecond."""
    return max(deadline - time.monotonic(), 0.001)
