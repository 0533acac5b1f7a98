"""Where a node keeps its state.

Everything a node owns lives under one home directory so that a device can run several
independent nodes (tests do) and so that backing up or wiping a node is one folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

HOME_ENV = "ROOST_HOME"


@dataclass(frozen=True)
class Home:
    """The layout of a node's home directory."""

    root: Path

    @classmethod
    def resolve(cls, explicit: str | os.PathLike[str] | None = None) -> Home:
        """`--home`, else `$ROOST_HOME`, else the platform's user data dir."""
        chosen = explicit or os.environ.get(HOME_ENV) or platformdirs.user_data_dir("roost")
        return cls(Path(chosen).expanduser().absolute())

    @property
    def library(self) -> Path:
        """The LanceDB database: media, faces and (later) labels."""
        return self.root / "library"

    @property
    def library_lock(self) -> Path:
        """Held by the one process that writes the library."""
        return self.root / "library.lock"

    def ensure(self) -> Home:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self
