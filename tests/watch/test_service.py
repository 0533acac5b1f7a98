"""`roost node install|uninstall`: the systemd user unit is valid to systemd itself, and
install/uninstall drive `systemctl --user` (here a recording stand-in on PATH, because a test
machine has no user service manager to enable units in)."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
from pathlib import Path

import pytest

from node import service
from node.settings import Home
from tests.conftest import roost

SYSTEMCTL = """#!/bin/sh
echo "$@" >> "$SYSTEMCTL_LOG"
"""


def _verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd here")
def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    printed = roost("node", "install", "--print", home=tmp_path / "home").stdout
    first, text = printed.split("\n", 1)
    assert first.endswith("/systemd/user/roost-node.service")
    assert f"--home {tmp_path / 'home'} node start" in text
    unit = tmp_path / "roost-node.service"
    unit.write_text(text)
    checked = _verify(unit)
    assert (checked.returncode, checked.stderr) == (0, "")
    # The check can fail: systemd complains about a unit it cannot run.
    unit.write_text(text.replace("Type=exec", "Type=sometimes"))
    assert "Failed to parse service type" in _verify(unit).stderr


def test_install_writes_and_enables_the_unit_and_uninstall_removes_it(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text(SYSTEMCTL)
    (bin_dir / "systemctl").chmod(0o755)
    log = tmp_path / "systemctl.log"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SYSTEMCTL_LOG": str(log),
    }
    home = tmp_path / "home"
    unit = tmp_path / "config" / "systemd" / "user" / "roost-node.service"
    roost("node", "install", home=home, env=env)
    assert "ExecStart=" in unit.read_text()
    assert log.read_text().splitlines() == [
        "--user daemon-reload",
        "--user enable --now roost-node.service",
    ]
    roost("node", "uninstall", home=home, env=env)
    assert not unit.exists()
    assert log.read_text().splitlines()[2:] == [
        "--user disable --now roost-node.service",
        "--user daemon-reload",
    ]
    again = roost("node", "uninstall", home=home, env=env)
    assert "no service installed" in again.stdout


def test_a_failing_service_manager_is_a_clear_error(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text("#!/bin/sh\necho 'Failed to connect to bus' >&2\nexit 1\n")
    (bin_dir / "systemctl").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    result = roost("node", "install", home=tmp_path / "home", env=env, check=False)
    assert result.returncode == 1
    assert "enabling it failed" in result.stderr and "Failed to connect to bus" in result.stderr


def test_the_launchd_agent_runs_the_node_for_this_home(tmp_path: Path) -> None:
    agent = service.launchd_agent(Home(tmp_path / "home"))
    parsed = plistlib.loads(agent.text.encode())
    assert parsed["Label"] == "org.roost.node"
    assert parsed["ProgramArguments"][-4:] == ["--home", str(tmp_path / "home"), "node", "start"]
    assert parsed["RunAtLoad"] is True and parsed["KeepAlive"] == {"SuccessfulExit": False}
    assert agent.path.name == "org.roost.node.plist"


def test_the_default_home_is_not_named_so_the_service_reads_the_same_settings(
    tmp_path: Path,
) -> None:
    default = Home(tmp_path / "data", config_path=tmp_path / "config" / "config.toml")
    assert service.command(default)[-2:] == ["node", "start"]
    assert "--home" not in service.command(default)
