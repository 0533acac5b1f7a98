"""The SuperLink's Grid, collecting the devices' replies promptly.

Flower's `Grid.send_and_receive` pushes a round's messages and then polls for the replies,
sleeping 3 s after every poll that finds some still missing. A family round has six such
exchanges (SecAgg+'s four stages, the fit, the evaluate), and each waited up to 3 s after its
last reply had arrived. `PromptGrid` does the same push and pull through the same Grid, polling
every `interval` seconds on the coordinator's own loopback: a few small requests a second to the
SuperLink, against seconds off every round.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from flwr.app import Message, RecordDict
from flwr.server import Grid
from flwr.supercore.run import Run

INTERVAL = 0.2  # seconds between polls for the replies still missing


class PromptGrid(Grid):
    def __init__(self, grid: Grid, interval: float = INTERVAL) -> None:
        self._grid = grid
        self._interval = interval

    def set_run(self, run: Run) -> None:
        self._grid.set_run(run)

    @property
    def run(self) -> Run:
        return self._grid.run

    def create_message(
        self,
        content: RecordDict,
        message_type: str,
        dst_node_id: int,
        group_id: str,
        ttl: float | None = None,
    ) -> Message:
        return self._grid.create_message(content, message_type, dst_node_id, group_id, ttl)

    def get_node_ids(self) -> Iterable[int]:
        return self._grid.get_node_ids()

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        return self._grid.push_messages(messages)

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        return self._grid.pull_messages(message_ids)

    def send_and_receive(
        self, messages: Iterable[Message], *, timeout: float | None = None
    ) -> Iterable[Message]:
        """As Flower's: the replies that came within `timeout` (None: all of them)."""
        missing = set(self.push_messages(messages))
        end = None if timeout is None else time.monotonic() + timeout
        replies: list[Message] = []
        while missing:
            arrived = list(self.pull_messages(missing))
            replies += arrived
            missing -= {m.metadata.reply_to_message_id for m in arrived}
            if not missing or (end is not None and time.monotonic() >= end):
                break
            time.sleep(self._interval)
        return replies
