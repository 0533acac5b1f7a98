"""The `roost` command line.

Each command group lives in its own module with a `register(subparsers)` function; this module
only assembles them, resolves `--home`, and turns a `RoostError` into a message and an exit
code (the table in `errors`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from node.cli import (
    check,
    coordinator,
    daemon,
    family,
    fetch,
    library,
    model,
    models,
    people,
    search,
    sync,
    tui,
)
from node.cli.errors import explain
from node.disk import refusing_full_disk
from node.settings import HOME_ENV, Home
from protocol.errors import RoostError

COMMAND_GROUPS = (
    library,
    people,
    search,
    models,
    sync,
    fetch,
    family,
    daemon,
    coordinator,
    model,
    check,
    tui,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roost",
        description="Private photo search for a family: index, name and find people and pets.",
    )
    parser.add_argument(
        "--home",
        metavar="DIR",
        help=f"where this node keeps its state (default: ${HOME_ENV}, else the user data dir)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    home = Home.resolve(args.home)
    try:
        with refusing_full_disk(home.root):
            code: int = args.run(args, home)
    except RoostError as exc:
        message, exit_code = explain(exc)
        print(f"roost: error: {message}", file=sys.stderr)
        return exit_code
    except KeyboardInterrupt:
        print("roost: interrupted; the next run resumes where this one stopped", file=sys.stderr)
        return 130
    return code
