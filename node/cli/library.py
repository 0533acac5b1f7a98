"""`roost index` and `roost show`: build the local index and look inside it."""

from __future__ import annotations

import argparse

from node.cli.common import UserError
from node.settings import Home


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    index = sub.add_parser("index", help="index photos under one or more folders")
    index.add_argument("paths", nargs="+", metavar="PATH")
    index.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    index.set_defaults(run=run_index)


def run_index(args: argparse.Namespace, home: Home) -> int:
    raise UserError("not implemented yet")
