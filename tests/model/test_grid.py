"""The coordinator's Grid returns every reply, polls until the last one, and keeps the round's
timeout (`coordinator.grid.PromptGrid`)."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, cast

from flwr.app import Message
from flwr.server import Grid

from coordinator.grid import PromptGrid


class SlowDevices(Grid):
    """Each pushed message is answered after `polls[id]` pulls (never if absent)."""

    def __init__(self, polls: dict[str, int]) -> None:
        self.polls = polls
        self.pulls = 0

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        return [cast(Any, m).id for m in messages]

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        self.pulls += 1
        due = [i for i in message_ids if self.polls.get(i, 1 << 30) == self.pulls]
        return [cast(Message, SimpleNamespace(metadata=SimpleNamespace(reply_to_message_id=i)))
                for i in due]  # fmt: skip

    def set_run(self, run: Any) -> None:
        raise NotImplementedError

    @property
    def run(self) -> Any:
        raise NotImplementedError

    def create_message(self, *args: Any, **kwargs: Any) -> Message:
        raise NotImplementedError

    def get_node_ids(self) -> Iterable[int]:
        return [1, 2, 3]

    def send_and_receive(self, messages: Iterable[Message], *, timeout: float | None = None) -> Any:
        raise AssertionError("Flower's own polling (3 s a poll) must not be used")


def _messages(*ids: str) -> list[Message]:
    return [cast(Message, SimpleNamespace(id=i)) for i in ids]


def test_every_reply_is_collected_and_polling_stops_at_the_last() -> None:
    devices = SlowDevices({"a": 1, "b": 4, "c": 2})
    replies = PromptGrid(devices, interval=0.0).send_and_receive(_messages("a", "b", "c"))
    assert sorted(cast(Any, r).metadata.reply_to_message_id for r in replies) == ["a", "b", "c"]
    assert devices.pulls == 4
    assert list(PromptGrid(devices).get_node_ids()) == [1, 2, 3]


def test_a_device_that_never_answers_costs_the_timeout_not_a_hang() -> None:
    devices = SlowDevices({"a": 1})
    replies = PromptGrid(devices, interval=0.01).send_and_receive(
        _messages("a", "silent"), timeout=0.05
    )
    assert [cast(Any, r).metadata.reply_to_message_id for r in replies] == ["a"]
    assert 1 <= devices.pulls < 50  # polled every 10 ms until the 50 ms were up
