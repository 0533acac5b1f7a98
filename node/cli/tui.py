"""`roost tui`: name people and pets, review suggestions and search, in the terminal.

Textual and textual-image are imported only when the app starts, so that `roost --help` and
the other commands do not pay for them, and so that textual-image asks the terminal what it can
draw (Sixel, Kitty graphics or half blocks) before Textual takes the terminal over.
"""

from __future__ import annotations

import argparse

from node.cli.commands import command
from node.library.store import Library
from node.settings import Home


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = command(
        sub,
        "tui",
        description="The Roost terminal app: people and pets with their faces (name clusters, "
        "split and reject faces, undo), suggestions to answer with one key each, search with "
        "photo thumbnails, and this device's family. Press ? in the app for its keys.",
    )
    p.set_defaults(run=run_tui)


def run_tui(args: argparse.Namespace, home: Home) -> int:
    Library.open(home.library)  # refuses at once, before the terminal is taken over
    from tui.widgets.images import terminal_image_class

    image_class = terminal_image_class()  # asks the terminal: before Textual starts

    from tui.app import RoostApp

    RoostApp(home, image_class=image_class).run()
    return 0
