"""Battery detection (`node.watch.power`) on sysfs trees laid out as real laptops and desktops
have them, and on `pmset` output."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.watch.power import SysfsPower, parse_pmset


def _supply(root: Path, name: str, **files: str) -> None:
    (root / name).mkdir(parents=True)
    for key, value in files.items():
        (root / name / key).write_text(value + "\n")


@pytest.mark.parametrize(
    ("supplies", "on_battery"),
    [
        ({}, False),  # a desktop or a server: no supply listed
        ({"AC": {"type": "Mains", "online": "1"}, "BAT0": {"type": "Battery", "status": "Full"}},
         False),
        ({"AC": {"type": "Mains", "online": "0"},
          "BAT0": {"type": "Battery", "status": "Discharging"}}, True),
        ({"BAT0": {"type": "Battery", "status": "Charging"}}, False),
        ({"ucsi-source-psy-USBC000:001": {"type": "USB", "online": "1"},
          "BAT0": {"type": "Battery", "status": "Discharging"}}, False),
        # A wireless mouse's battery discharging says nothing about the computer.
        ({"AC": {"type": "Mains", "online": "0"},
          "hidpp_battery_0": {"type": "Battery", "scope": "Device", "status": "Discharging"}},
         False),
    ],
)  # fmt: skip
def test_sysfs(tmp_path: Path, supplies: dict[str, dict[str, str]], on_battery: bool) -> None:
    for name, files in supplies.items():
        _supply(tmp_path, name, **files)
    assert SysfsPower(tmp_path).on_battery() is on_battery


def test_no_sysfs_is_unknown(tmp_path: Path) -> None:
    assert SysfsPower(tmp_path / "missing").on_battery() is None


def test_pmset() -> None:
    battery = "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t85%; discharging;"
    assert parse_pmset(battery) is True
    assert parse_pmset("Now drawing from 'AC Power'\n -InternalBattery-0\t100%; charged;") is False
    assert parse_pmset("") is None
