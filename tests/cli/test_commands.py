"""The command table: each command imports its own group only, the table says truly which
group registers which command and with which line of help, and the list of every command
(`roost --help`, a typo) imports no group at all."""

from __future__ import annotations

import argparse
import ast
import importlib
import subprocess
import sys

import pytest

from node.cli import GROUPS, build_parser, groups_for
from node.cli.commands import COMMANDS
from tests.albums import Album
from tests.integration.nodes import REPO


@pytest.mark.parametrize("group", GROUPS)
def test_the_table_lists_what_each_group_registers(group: str) -> None:
    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(f"node.cli.{group}").register(sub)
    assert tuple(sub.choices) == tuple(n for n, c in COMMANDS.items() if c.group == group)
    lines = {action.dest: action.help for action in sub._choices_actions}
    assert lines == {name: COMMANDS[name].summary for name in sub.choices}


@pytest.mark.parametrize(
    ("argv", "groups"),
    [
        (["search", "Alice"], ("search",)),
        (["--home", "/h", "name", "x", "Alice"], ("people",)),
        (["--home=/h", "node", "start"], ("daemon",)),
        (["--help"], ()),
        (["--home", "/h"], ()),
        (["serch", "Alice"], ()),  # a typo: argparse lists every command
        (["--hmoe", "/h", "search"], ()),
    ],
)
def test_the_command_word_picks_the_group(argv: list[str], groups: tuple[str, ...]) -> None:
    assert groups_for(argv) == groups


def _imported_by(argv: list[str]) -> tuple[set[str], str]:
    """The modules `roost ARGV` imported before argparse answered, and what it printed."""
    probe = (
        "import contextlib, io, sys\n"
        "from node.cli import build_parser, groups_for\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):\n"
        "    try:\n"
        f"        build_parser(groups_for({argv!r})).parse_args({argv!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(repr((sorted(sys.modules), out.getvalue())))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    modules, printed = ast.literal_eval(done.stdout)
    return set(modules), printed


def test_search_imports_no_other_group_and_no_index() -> None:
    """Before it knows whether the node will answer, `roost search` has imported neither the
    other command groups nor the index's database (the seconds the node saves it)."""
    imported, _ = _imported_by(["search", "Alice"])
    assert {f"node.cli.{g}" for g in GROUPS} & imported == {"node.cli.search"}
    assert not {"lancedb", "pyarrow", "torch", "numpy"} & imported


@pytest.mark.parametrize("argv", [["--help"], ["serch", "Alice"]])
def test_the_list_of_commands_imports_no_group(argv: list[str]) -> None:
    imported, printed = _imported_by(argv)
    assert not {f"node.cli.{g}" for g in GROUPS} & imported
    assert not {"lancedb", "pyarrow", "numpy", "grpc", "torch"} & imported
    for name in COMMANDS:
        assert name in printed
    if argv == ["--help"]:
        assert COMMANDS["search"].summary in " ".join(printed.split())


def test_a_command_s_own_help_comes_from_its_group() -> None:
    imported, printed = _imported_by(["index", "--help"])
    assert "node.cli.library" in imported and "--reembed" in printed


def test_every_command_parses_in_the_full_parser() -> None:
    parser = build_parser()
    assert parser.parse_args(["people"]).command == "people"
    assert parser.parse_args(["search", "Alice"]).command == "search"


def test_a_search_on_a_device_in_no_family_loads_no_peer_channel(album: Album) -> None:
    """In no family, `roost search` answers from this index alone: neither gRPC nor the
    cryptography of an identity is imported for it."""
    probe = (
        "import contextlib, io, json, sys\n"
        "from node.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = main(['--home', {str(album.home)!r}, 'search', '2019', '--json'])\n"
        "print(repr((code, sorted(sys.modules), json.loads(out.getvalue())['devices'])))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    code, modules, devices = ast.literal_eval(done.stdout.splitlines()[-1])
    assert code == 0 and [d["answered"] for d in devices] == [True]
    assert "lancedb" in modules  # it searched the index here
    assert not {"grpc", "cryptography", "node.peer.device", "node.peer.search"} & set(modules)
