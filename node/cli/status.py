"""`roost status`: the library, its folders, the node's indexing and the family, at a glance."""

from __future__ import annotations

import argparse
from typing import Any

from node import status
from node.cli.commands import command
from node.cli.common import print_json
from node.folders import shown
from node.settings import Home


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = command(sub, "status")
    p.add_argument("--json", action="store_true", help="print JSON (fields: see the README)")
    p.set_defaults(run=run_status)


def run_status(args: argparse.Namespace, home: Home) -> int:
    report = status.report(home)
    if args.json:
        print_json(report)
    else:
        for line in describe(report):
            print(line)
    return 0


def describe(report: dict[str, Any]) -> list[str]:
    lines = []
    counts = report["library"]
    if counts is None:
        lines.append("library  nothing indexed yet (`roost index`)")
    else:
        lines.append(
            f"library  {counts['photos']} photos, {counts['videos']} videos, "
            f"{counts['faces']} faces; {counts['people']} people, {counts['pets']} pets named, "
            f"{counts['clusters']} unnamed clusters, {counts['suggestions']} to review"
        )
    folders = report["folders"]
    default = "" if report["folders_remembered"] else " (the platform's defaults)"
    lines.append(f"folders{default}" if folders else "folders  none (`roost folders add PATH`)")
    for folder in folders:
        lines.append(f"  {shown(folder['path'])}" + ("" if folder["online"] else "  (offline)"))
    lines.append(f"node     {_node(report['node'])}")
    if report["writer"] is not None:
        lines.append(f"index    being written by {report['writer']}")
    family = report["family"]
    if family is None:
        lines.append("family   none yet (`roost family create NAME` or `roost family join CODE`)")
    else:
        lines.append(f"family   {family['name']}: {len(family['devices'])} other devices")
        for device in family["devices"]:
            seen = "revoked" if device["revoked"] else f"last seen {device['last_seen'] or 'never'}"
            synced = device["last_sync"]
            if synced is not None:
                seen += f", synced {synced['at']}" if synced["answered"] else ", last sync failed"
            lines.append(f"  {device['name']}  {device['id'][:16]}  {seen}")
    return lines


def _node(node: dict[str, Any] | None) -> str:
    if node is None:
        return "not running (`roost node start`, or `roost node install` to run it always)"
    where = "serving peers on port " + str(node["port"]) if node["port"] else "in no family"
    return f"running (pid {node['pid']}, {where}); {status.indexing_text(node['indexing'])}"
