"""`roost check`: verify this home's library and identity, and say what to do."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from node import check
from node.cli.commands import command
from node.cli.common import print_json
from node.settings import Home


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = command(sub, "check")
    parser.add_argument(
        "--repair",
        action="store_true",
        help="first fix what can be fixed without losing labels (repeated keys, faces and "
        "files whose photo is missing)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")
    parser.set_defaults(run=run_check)


def run_check(args: argparse.Namespace, home: Home) -> int:
    repaired = check.repair(home) if args.repair else []
    findings = check.check(home)
    problems = [f for f in findings if f.severity is check.Severity.PROBLEM]
    if args.json:
        print_json({"repaired": repaired, "findings": [asdict(f) for f in findings]})
    else:
        for line in repaired:
            print(f"repaired: {line}")
        check.describe(findings)
    return 1 if problems else 0
