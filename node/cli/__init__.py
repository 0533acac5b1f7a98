"""The `roost` command line.

Each command group lives in its own module with a `register(subparsers)` function; this module
only assembles them, resolves `--home`, and turns a `RoostError` into a message and an exit
code (the table in `errors`).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence

from node.cli.commands import COMMANDS, listing
from node.cli.errors import explain
from node.disk import refusing_full_disk
from node.settings import HOME_ENV, Home
from protocol.errors import RoostError

# A command imports its own group only (`node.cli.commands` has the table): importing them all
# costs seconds (the index's database, the models, Flower), which `roost search` answered by the
# running node would otherwise pay every time. `roost --help` imports none.
GROUPS = tuple(dict.fromkeys(command.group for command in COMMANDS.values()))
# A command's heap is mostly long-lived objects: the modules it imported (the database's and
# torch's are hundreds of thousands of objects), the models, the library's tables. With the
# default threshold (700 allocations) the collector walked them over and over: 0.56 s of a
# 61-photo `roost index` was collection. Measured on faces/: 0.9 s less CPU with both changes.
_YOUNG_COLLECTION_AFTER = 50_000  # allocations
_BROKEN_PIPE = 128 + 13  # the status of a process SIGPIPE ended, as a shell reports it


def build_parser(groups: Sequence[str] = GROUPS) -> argparse.ArgumentParser:
    """The parser of the commands in `groups` (by default, every command); with none, of every
    command by name only, which is all that help and a mistyped command need."""
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
    if not groups:
        listing(sub)
    for group in groups:
        importlib.import_module(f"node.cli.{group}").register(sub)
    return parser


def groups_for(argv: Sequence[str]) -> tuple[str, ...]:
    """The one group that registers the command `argv` names; none when it names no command that
    is known (`roost --help`, a typo): the listing of every command answers those."""
    words = iter(argv)
    for word in words:
        if word == "--home":
            next(words, None)
        elif not word.startswith("-"):
            known = COMMANDS.get(word)
            return (known.group,) if known else ()
        elif not word.startswith("--home="):
            break  # an option before the command: -h, or one argparse will refuse
    return ()


def program() -> int:
    """`roost` as a process of its own (the console script, `python -m node.cli`): `main`, with
    the collector set for a process that ends when its command does. Not for callers that run
    commands inside a longer-lived process of their own."""
    gc.set_threshold(_YOUNG_COLLECTION_AFTER, *gc.get_threshold()[1:])
    try:
        return main()
    except BrokenPipeError:
        # The reader went away (`roost people | head`): stop quietly, as other tools do, and
        # point stdout at nothing so the flush at exit does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _BROKEN_PIPE
    finally:
        # What the command built stays until the process ends: the last full collection at
        # exit (0.6 s after `roost index`) then has nothing to walk.
        gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(groups_for(words)).parse_args(words)
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
