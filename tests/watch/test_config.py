"""Settings (`node.config`): typed values, defaults, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from node import config
from node.config import ConfigError, OnBattery, Settings
from node.settings import Home
from tests.conftest import roost, roost_json


def test_a_missing_file_is_every_default(tmp_path: Path) -> None:
    settings = config.load(tmp_path / "config.toml")
    assert settings == Settings()
    assert settings.library.folders == ()
    assert (settings.node.rescan_seconds, settings.node.niceness) == (3600, 10)
    assert settings.node.on_battery is OnBattery.PAUSE


def test_values_are_read_typed_and_written_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[library]\nfolders = ["/photos/a", "/photos/b/"]\n'
        '[node]\nrescan_seconds = 60\non_battery = "run"\n'
    )
    settings = config.load(path)
    assert settings.library.folders == ("/photos/a", "/photos/b")  # normalised
    assert settings.node.rescan_seconds == 60 and settings.node.niceness == 10
    assert settings.node.on_battery is OnBattery.RUN
    config.save(path, settings)
    assert config.load(path) == settings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[node]\nniceness = 40\n", "node.niceness must be a whole number from 0 to 19, not 40"),
        ("[node]\nniceness = true\n", "node.niceness must be a whole number"),
        ('[node]\nrescan_seconds = "1h"\n', "node.rescan_seconds must be a whole number"),
        ('[node]\non_battery = "maybe"\n', "node.on_battery must be one of 'pause', 'run'"),
        ('[library]\nfolders = "~/Pictures"\n', "library.folders must be a list of folder paths"),
        ('[library]\nfolders = ["Pictures"]\n', "library.folders must hold absolute paths"),
        ("[node]\nrescan = 5\n", "unknown key node.rescan (known: rescan_seconds"),
        ("[nodes]\n", "unknown section [nodes]"),
        ("node = 3\n", "node must be a table"),
        ("[node\n", "is not valid TOML"),
    ],
)
def test_a_bad_value_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        config.load(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_roost_config_shows_the_file_and_every_setting(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shown = roost_json("config", home=home)
    assert shown["file"] == str(Home(home).config_file) == str(home / "config.toml")
    assert shown["settings"] == {
        "library": {"folders": []},
        "node": {"rescan_seconds": 3600, "niceness": 10, "on_battery": "pause"},
    }
    home.mkdir()
    (home / "config.toml").write_text("[node]\nniceness = -1\n")
    result = roost("config", home=home, check=False)
    assert result.returncode == 1
    assert "config.toml: node.niceness must be a whole number from 0 to 19" in result.stderr


def test_the_default_home_keeps_its_settings_in_the_platform_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROOST_HOME", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = Home.resolve()
    assert default.root == tmp_path / "data" / "roost"
    assert default.config_file == tmp_path / "config" / "roost" / "config.toml"
    assert Home.resolve(tmp_path / "other").config_file == tmp_path / "other" / "config.toml"
