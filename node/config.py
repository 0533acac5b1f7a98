"""Settings: one TOML file, typed and validated, that `roost config` shows.

Where it is: the default node's settings live in the platform's config dir
(`~/.config/roost/config.toml` on Linux, `~/Library/Application Support/roost/config.toml` on
macOS); a node whose home was given explicitly (`--home`, `$ROOST_HOME`: a second library, a
test) keeps its own at `<home>/config.toml`, so two nodes on one device never share folders
(`node.settings.Home.config_file`).

Every key has a type and a range. A value of the wrong type, out of range, or a key nobody
reads (a typo) is a `ConfigError` naming the file and the key; a missing file or key means the
default. Commands that change settings (`roost folders add`) rewrite the whole file atomically
under a lock, so comments in it are not kept.

```toml
[library]
folders = ["/home/ann/Pictures", "/media/ann/Phone"]   # what `roost index` and the node index

[node]
rescan_seconds = 3600     # full rescan for what watching misses (network drives, offline disks)
niceness = 10             # 0-19: how much the node's indexing yields the CPU to everything else
on_battery = "pause"      # "pause" or "run": whether the node indexes on battery power
```
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import tomli_w

from node.files import locked, write_atomic
from protocol.errors import RoostError


class ConfigError(RoostError):
    """The settings file cannot be read as settings; the message names the file and the key."""


class OnBattery(StrEnum):
    PAUSE = "pause"
    RUN = "run"


Check = Callable[[Any], Any]  # a TOML value → the setting's value; ValueError says what is wanted


def _folders(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of folder paths (strings)")
    for folder in value:
        if not os.path.isabs(folder):
            raise ValueError(f"must hold absolute paths, not {folder!r}")
    return tuple(os.path.normpath(v) for v in value)


def _integer(low: int, high: int) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return value

    return check


def _choice(kind: type[StrEnum]) -> Check:
    def check(value: Any) -> StrEnum:
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"must be one of {', '.join(repr(k.value) for k in kind)}") from None

    return check


@dataclass(frozen=True)
class LibrarySettings:
    folders: tuple[str, ...] = field(default=(), metadata={"check": _folders})


@dataclass(frozen=True)
class NodeSettings:
    rescan_seconds: int = field(default=3600, metadata={"check": _integer(1, 7 * 24 * 3600)})
    niceness: int = field(default=10, metadata={"check": _integer(0, 19)})
    on_battery: OnBattery = field(default=OnBattery.PAUSE, metadata={"check": _choice(OnBattery)})


@dataclass(frozen=True)
class Settings:
    library: LibrarySettings = LibrarySettings()
    node: NodeSettings = NodeSettings()

    def to_toml(self) -> dict[str, dict[str, Any]]:
        """The settings as TOML tables (every key, defaults included)."""
        return {
            section.name: {
                key: _plain(value)
                for key, value in dataclasses.asdict(getattr(self, section.name)).items()
            }
            for section in dataclasses.fields(self)
        }


def _plain(value: Any) -> Any:
    """A setting's value as TOML writes it."""
    if isinstance(value, tuple):
        return list(value)
    return value.value if isinstance(value, StrEnum) else value


def load(path: Path) -> Settings:
    """The settings in `path`; defaults for what it does not say (or when it does not exist)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    sections = {f.name: f.type for f in dataclasses.fields(Settings)}
    for name in data:
        if name not in sections:
            raise ConfigError(f"{path}: unknown section [{name}] (known: {', '.join(sections)})")
    return Settings(
        **{
            f.name: _section(path, f.name, getattr(Settings(), f.name), data.get(f.name, {}))
            for f in dataclasses.fields(Settings)
        }
    )


def _section(path: Path, name: str, defaults: Any, table: Any) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {name} must be a table ([{name}])")
    known = {f.name: f for f in dataclasses.fields(defaults)}
    values = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{path}: unknown key {name}.{key} (known: {', '.join(known)})")
        try:
            values[key] = known[key].metadata["check"](value)
        except ValueError as exc:
            raise ConfigError(f"{path}: {name}.{key} {exc}, not {value!r}") from None
    return dataclasses.replace(defaults, **values)


def save(path: Path, settings: Settings) -> None:
    write_atomic(path, tomli_w.dumps(settings.to_toml()).encode(), mode=0o644)


def update(path: Path, change: Callable[[Settings], Settings]) -> Settings:
    """Read, change and write the settings as one step, safe against a concurrent command."""
    with locked(path):
        settings = change(load(path))
        save(path, settings)
        return settings
