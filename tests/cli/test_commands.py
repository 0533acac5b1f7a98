"""The command table: each command imports its own group only, and the table says truly which
group registers which command."""

from __future__ import annotations

import argparse
import ast
import importlib
import subprocess
import sys

import pytest

from node.cli import COMMAND_GROUPS, groups_for
from tests.integration.nodes import REPO

EVERY = tuple(COMMAND_GROUPS)


@pytest.mark.parametrize("group", EVERY)
def test_the_table_lists_what_each_group_registers(group: str) -> None:
    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(f"node.cli.{group}").register(sub)
    assert tuple(sub.choices) == COMMAND_GROUPS[group]


@pytest.mark.parametrize(
    ("argv", "groups"),
    [
        (["search", "Alice"], ("search",)),
        (["--home", "/h", "name", "x", "Alice"], ("people",)),
        (["--home=/h", "node", "start"], ("daemon",)),
        (["--help"], EVERY),
        (["--home", "/h"], EVERY),
        (["serch", "Alice"], EVERY),  # a typo: argparse lists every command
        (["--hmoe", "/h", "search"], EVERY),
    ],
)
def test_the_command_word_picks_the_group(argv: list[str], groups: tuple[str, ...]) -> None:
    assert groups_for(argv) == groups


def test_search_imports_no_other_group_and_no_index() -> None:
    """Before it knows whether the node will answer, `roost search` has imported neither the
    other command groups nor the index's database (the seconds the node saves it)."""
    probe = (
        "import sys\n"
        "from node.cli import build_parser, groups_for\n"
        "build_parser(groups_for(['search', 'Alice'])).parse_args(['search', 'Alice'])\n"
        "print(sorted(sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    imported = set(ast.literal_eval(done.stdout))
    assert {f"node.cli.{g}" for g in EVERY} & imported == {"node.cli.search"}
    assert not {"lancedb", "pyarrow", "torch", "numpy"} & imported
