"""Every command of `roost`: the group module that registers it, and its line in `roost --help`.

The list of commands is answered from this table alone, without importing any group: the groups
import the index's database, numpy and gRPC, which `roost --help` (or a mistyped command) has
no use for. Each group registers its commands through `command`, so the line shown here is the
one the group's own parser carries.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, TypeAlias

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


@dataclass(frozen=True)
class Command:
    group: str  # the module under node.cli that registers it
    summary: str  # its line in `roost --help`


COMMANDS: dict[str, Command] = {
    "index": Command(
        "library", "index the library's folders, or the photos under the folders named"
    ),
    "show": Command("library", "what the index holds for one photo"),
    "folders": Command(
        "folders", "the library's folders: what `roost index` and the node keep indexed"
    ),
    "config": Command("folders", "show the settings and the file they are in"),
    "status": Command("status", "what is indexed, what the node is doing, the family's devices"),
    "people": Command("people", "named people and pets, and unnamed clusters of faces"),
    "name": Command("people", "name a cluster or a face"),
    "rename": Command("people", "give a person or pet another name"),
    "merge": Command("people", "make people, pets or clusters one named person or pet"),
    "split": Command("people", "take faces out of the person or pet they are in"),
    "reject": Command("people", "say that a face is not a person, for good"),
    "confirm": Command("people", "accept what Roost proposed for faces"),
    "forget": Command("people", "delete a person or pet; their faces become unnamed"),
    "suggestions": Command(
        "people", "faces that may be someone named, waiting for `roost confirm` or `roost reject`"
    ),
    "search": Command(
        "search", 'find photos on every family device: "Alice and Bob in Paris summer 2015"'
    ),
    "models": Command("models", "the models for animals, objects and scenes: list, fetch, import"),
    "sync": Command("sync", "exchange names and labels with the family's devices now"),
    "fetch": Command("fetch", "copy a photo found by `roost search` from the device that holds it"),
    "originals": Command(
        "fetch", "show or set whether family devices may fetch originals from this one"
    ),
    "family": Command("family", "create a family, invite and join devices, revoke"),
    "node": Command("daemon", "run this device's node; check a peer"),
    "coordinator": Command("coordinator", "run the family's model rounds (admin device)"),
    "model": Command("model", "the family face model: status, rounds"),
    "check": Command("check", "verify the library and the identity; say what to do about problems"),
    "tui": Command("tui", "name people and pets, review suggestions and search, in the terminal"),
}  # fmt: skip


def command(sub: Sub, name: str, **options: Any) -> argparse.ArgumentParser:
    """Register the command `name`, with its line from the table."""
    return sub.add_parser(name, help=COMMANDS[name].summary, **options)


def listing(sub: Sub) -> None:
    """Every command by name and line only: what `roost --help` and a mistyped command show."""
    for name in COMMANDS:
        command(sub, name)
