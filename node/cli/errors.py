"""How a refusal reaches the person at the terminal: one table from error to exit code.

Commands do not catch Roost's errors: every error raised on purpose is a `RoostError`, and
`roost`'s `main` prints its message and exits with the code of the first row below that the
error is an instance of (so the more specific rows come first). An exception that is not a
`RoostError` is a bug and keeps its traceback.

- 2: what was asked cannot be read or done as written (a query, a name, an invite code, an
  argument that names nothing known); changing the command fixes it.
- 1: this device's state stops the command (no library yet, a model missing, the library busy,
  a peer unreachable); the message says what to do first.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from protocol.errors import RoostError

USAGE: Final = 2
FAILED: Final = 1


class CommandError(RoostError):
    """A command's own refusal: an argument that names nothing known, a path not indexed."""


ExitCodes = tuple[tuple[type[RoostError], int, str], ...]


@cache
def exit_codes() -> ExitCodes:
    """(error class, exit code, what the message starts with), in the order they are tried.

    Imported on first use: the classes live beside the code that raises them, some of it slow
    to import, and most commands never fail."""
    from node.config import ConfigError
    from node.faces.models import ModelMissing
    from node.family import FamilyError
    from node.folders import FolderError
    from node.library.store import LibraryError
    from node.people.edits import LabelError
    from node.search.errors import QueryError
    from node.service import ServiceError
    from protocol.pairing import CodeError

    return (
        (QueryError, USAGE, "cannot read the query: "),
        (LabelError, USAGE, ""),
        (CodeError, USAGE, ""),
        (FamilyError, USAGE, ""),
        (CommandError, USAGE, ""),
        (FolderError, USAGE, ""),
        (ConfigError, FAILED, ""),
        (ServiceError, FAILED, ""),
        (LibraryError, FAILED, ""),
        (ModelMissing, FAILED, ""),
        (RoostError, FAILED, ""),
    )


def explain(error: RoostError) -> tuple[str, int]:
    """The message to print for `error`, and the exit code."""
    for kind, code, prefix in exit_codes():
        if isinstance(error, kind):
            return prefix + str(error), code
    raise AssertionError("RoostError is the table's last row")
