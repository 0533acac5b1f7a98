"""`roost node install|uninstall`: run the node as the user's service, from login to logout.

- Linux: a systemd user unit, `$XDG_CONFIG_HOME/systemd/user/roost-node.service`, enabled and
  started with `systemctl --user enable --now`. It restarts the node if it fails, and stops it
  with SIGTERM (the node's clean stop).
- macOS: a launchd agent, `~/Library/LaunchAgents/org.roost.node.plist`, loaded with
  `launchctl bootstrap gui/UID`; it starts at login and again if the node fails.

The service runs this very `roost` (the Python it was installed into), for this home: the
default home is not named, so that the service reads the same settings file as the commands
a person types (`node.config`).
"""

from __future__ import annotations

import os
import plistlib
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from node.settings import Home
from protocol.errors import RoostError

UNIT = "roost-node.service"
AGENT = "org.roost.node"


class ServiceError(RoostError):
    """The service could not be installed or removed; the message says what to do instead."""


@dataclass(frozen=True)
class Service:
    path: Path  # where the unit or agent file goes
    text: str  # its contents
    enable: tuple[tuple[str, ...], ...]  # commands that enable and start it
    disable: tuple[tuple[str, ...], ...]  # commands that stop and disable it


def command(home: Home) -> list[str]:
    """How the service starts the node."""
    roost = Path(sys.executable).with_name("roost")
    program = [str(roost)] if roost.exists() else [sys.executable, "-m", "node.cli"]
    named = [] if home.config_path is not None else ["--home", str(home.root)]
    return [*program, *named, "node", "start"]


def for_platform(home: Home) -> Service:
    if sys.platform == "darwin":
        return launchd_agent(home)
    if sys.platform.startswith("linux"):
        return systemd_unit(home)
    raise ServiceError(f"no user service on {sys.platform}: run `roost node start` at login")


def systemd_unit(home: Home) -> Service:
    text = f"""[Unit]
Description=Roost node: keeps this device's photos indexed and serves the family's devices

[Service]
Type=exec
ExecStart={shlex.join(command(home))}
Restart=on-failure
RestartSec=10
TimeoutStopSec=30

[Install]
WantedBy=default.target
"""
    systemctl = ("systemctl", "--user")
    return Service(
        Path(platformdirs.user_config_dir("systemd")) / "user" / UNIT,
        text,
        enable=((*systemctl, "daemon-reload"), (*systemctl, "enable", "--now", UNIT)),
        disable=((*systemctl, "disable", "--now", UNIT), (*systemctl, "daemon-reload")),
    )


def launchd_agent(home: Home) -> Service:
    log = str(home.root / "node.stderr")
    agent = {
        "Label": AGENT,
        "ProgramArguments": command(home),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ProcessType": "Background",
        "StandardErrorPath": log,
    }
    path = Path.home() / "Library" / "LaunchAgents" / f"{AGENT}.plist"
    domain = f"gui/{os.getuid()}"
    return Service(
        path,
        plistlib.dumps(agent).decode(),
        enable=(("launchctl", "bootstrap", domain, str(path)),),
        disable=(("launchctl", "bootout", f"{domain}/{AGENT}"),),
    )


def install(service: Service) -> None:
    service.path.parent.mkdir(parents=True, exist_ok=True)
    service.path.write_text(service.text)
    _run(service.enable, f"wrote {service.path}, but enabling it failed")


def uninstall(service: Service) -> bool:
    """Stop and remove the service; False if it was not installed."""
    if not service.path.exists():
        return False
    _run(service.disable[:1], "stopping the service failed", check=False)
    service.path.unlink()
    _run(service.disable[1:], "reloading the service manager failed", check=False)
    return True


def _run(commands: tuple[tuple[str, ...], ...], failure: str, *, check: bool = True) -> None:
    for argv in commands:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            if check:
                raise ServiceError(f"{failure}: {shlex.join(argv)}: {exc}") from None
            continue
        if check and done.returncode != 0:
            raise ServiceError(
                f"{failure}: `{shlex.join(argv)}` said: {done.stderr.strip() or done.returncode}"
                f"; run it yourself once the service manager is available"
            )
