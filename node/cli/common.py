"""What every command module shares: the error type and JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any


class UserError(Exception):
    """A refusal or bad input the user can act on; printed without a traceback."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    sys.stdout.flush()
