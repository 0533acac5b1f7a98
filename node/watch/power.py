"""Whether the device runs on battery, where the platform says so.

- Linux: `/sys/class/power_supply`. A supply of type Mains or USB that is online means mains
  power; otherwise a system battery (not a device's, like a wireless mouse: scope Device)
  that is discharging means battery. No supply at all (a desktop, a server, a VM): mains.
- macOS: `pmset -g batt` says "drawing from 'Battery Power'" or "'AC Power'".
- Elsewhere: unknown, and the node indexes as on mains power.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Protocol

SYSFS = Path("/sys/class/power_supply")


class Power(Protocol):
    def on_battery(self) -> bool | None:
        """True on battery, False on mains power, None when the platform does not say."""
        ...


class SysfsPower:
    def __init__(self, root: Path = SYSFS) -> None:
        self._root = root

    def on_battery(self) -> bool | None:
        try:
            supplies = sorted(self._root.iterdir())
        except OSError:
            return None
        discharging = False
        for supply in supplies:
            kind = _read(supply / "type")
            if kind in ("Mains", "USB") and _read(supply / "online") == "1":
                return False
            if kind == "Battery" and _read(supply / "scope") != "Device":
                discharging |= _read(supply / "status") == "Discharging"
        return discharging


class PmsetPower:
    def on_battery(self) -> bool | None:
        try:
            out = subprocess.run(
                ["pmset", "-g", "batt"], capture_output=True, text=True, timeout=5, check=True
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return parse_pmset(out)


class UnknownPower:
    def on_battery(self) -> bool | None:
        return None


def parse_pmset(out: str) -> bool | None:
    if "'Battery Power'" in out:
        return True
    if "'AC Power'" in out or "'UPS Power'" in out:
        return False
    return None


def platform_power() -> Power:
    if sys.platform.startswith("linux"):
        return SysfsPower()
    if sys.platform == "darwin":
        return PmsetPower()
    return UnknownPower()


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None
