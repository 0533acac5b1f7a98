"""`roost folders` and `roost config`: which folders the library is, and every setting."""

from __future__ import annotations

import argparse

import tomli_w

from node import config, folders
from node.cli.commands import command
from node.cli.common import print_json
from node.cli.library import say_who_writes
from node.folders import online
from node.settings import Home


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = command(
        sub,
        "folders",
        description="With no folder remembered, the library is the platform's pictures and "
        "videos folders.",
    )
    commands = group.add_subparsers(dest="folders_command", metavar="COMMAND")
    group.set_defaults(run=run_list, json=False)
    listing = commands.add_parser("list", help="the library's folders (the default command)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_list)
    adding = commands.add_parser("add", help="remember folders; the node starts watching them")
    adding.add_argument("paths", nargs="+", metavar="PATH")
    adding.set_defaults(run=run_add)
    removing = commands.add_parser(
        "remove", help="forget a folder; its photos leave the index (their labels are kept)"
    )
    removing.add_argument("path", metavar="PATH")
    removing.set_defaults(run=run_remove)

    shown = command(sub, "config")
    shown.add_argument("--json", action="store_true", help="print JSON")
    shown.set_defaults(run=run_config)


def run_list(args: argparse.Namespace, home: Home) -> int:
    chosen = folders.library_folders(home)
    rows = [{"path": f, "online": online(f)} for f in chosen.folders]
    if args.json:
        print_json({"folders": rows, "remembered": chosen.remembered})
        return 0
    if not rows:
        print("no library folders; add one with `roost folders add PATH`")
    for row in rows:
        state = "" if row["online"] else "  (offline: missing or empty; nothing is pruned)"
        print(f"{folders.shown(str(row['path']))}{state}")
    if rows and not chosen.remembered:
        print("(the platform's default folders: none is set; `roost folders add PATH` to choose)")
    return 0


def run_add(args: argparse.Namespace, home: Home) -> int:
    added = folders.add(home, args.paths)
    for folder in added:
        print(f"added {folders.shown(folder)}")
    if not added:
        print("nothing to add: already in the library's folders")
    return 0


def run_remove(args: argparse.Namespace, home: Home) -> int:
    say_who_writes(home)
    gone = folders.remove(home, args.path, wait=True)
    print(f"removed {args.path}; {gone} files left the index (labels are kept)")
    return 0


def run_config(args: argparse.Namespace, home: Home) -> int:
    settings = config.load(home.config_file).to_toml()
    if args.json:
        print_json({"file": str(home.config_file), "settings": settings})
        return 0
    exists = home.config_file.exists()
    print(f"# {home.config_file}" + ("" if exists else " (not written yet: all defaults)"))
    print(tomli_w.dumps(settings), end="")
    return 0
