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
    config_path: Path | None = None  # the settings file, when not `<root>/config.toml`

    @classmethod
    def resolve(cls, explicit: str | os.PathLike[str] | None = None) -> Home:
        """`--home`, else `$ROOST_HOME`, else the platform's user data dir.

        The default home's settings live in the platform's config dir; a home chosen explicitly
        is a node of its own and keeps its settings inside it (see `node.config`)."""
        chosen = explicit or os.environ.get(HOME_ENV)
        if chosen:
            return cls(Path(chosen).expanduser().absolute())
        config = Path(platformdirs.user_config_dir("roost")) / "config.toml"
        return cls(Path(platformdirs.user_data_dir("roost")).absolute(), config)

    @property
    def config_file(self) -> Path:
        """The node's settings (`node.config`): library folders, how the node indexes."""
        return self.config_path or self.root / "config.toml"

    @property
    def library(self) -> Path:
        """The LanceDB database: media, faces and (later) labels."""
        return self.root / "library"

    @property
    def library_lock(self) -> Path:
        """Held by the one process that writes the library."""
        return self.root / "library.lock"

    @property
    def identity(self) -> Path:
        """This device's keys and certificates, the family CA and the revocation list (0700)."""
        return self.root / "identity"

    @property
    def devices(self) -> Path:
        """The family devices this node knows: names, addresses, when last seen."""
        return self.root / "devices.json"

    @property
    def invites(self) -> Path:
        """Invite codes this device issued, with their secrets (0600)."""
        return self.root / "invites.json"

    @property
    def node_lock(self) -> Path:
        """Held by the one running node of this home; holds its pid."""
        return self.root / "node.lock"

    @property
    def node_state(self) -> Path:
        """Written by the running node: where it listens, so commands can point others at it."""
        return self.root / "node.json"

    @property
    def node_log(self) -> Path:
        return self.root / "node.log"

    @property
    def indexing(self) -> Path:
        """Written by the running node's indexing: its state and progress (`node.watch`)."""
        return self.root / "indexing.json"

    @property
    def peer_status(self) -> Path:
        """When each family device last answered a sync or a search from this one."""
        return self.root / "peer-status.json"

    @property
    def sharing(self) -> Path:
        """The owner's setting for family devices fetching originals from this one."""
        return self.root / "sharing.json"

    @property
    def transfers(self) -> Path:
        """Every request for an original, served or refused (JSON lines)."""
        return self.root / "transfers.log"

    def ensure(self) -> Home:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self
