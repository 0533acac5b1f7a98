"""The command line's promises: help everywhere, clear refusals, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.cli import build_parser
from tests.conftest import roost


def _commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str, tmp_path: Path) -> None:
    result = roost(command, "--help", home=tmp_path)
    assert result.stdout.startswith("usage: roost")


def test_show_of_a_photo_that_is_not_indexed(tmp_path: Path) -> None:
    photo = tmp_path / "x.jpg"
    photo.write_bytes(b"x")
    result = roost("show", photo, home=tmp_path / "home", check=False)
    assert result.returncode != 0
    assert "roost index" in result.stderr and "Traceback" not in result.stderr


def test_bad_arguments_exit_non_zero(tmp_path: Path) -> None:
    result = roost("index", tmp_path, "--batch-size", "0", home=tmp_path, check=False)
    assert result.returncode == 2 and "at least 1" in result.stderr


@pytest.mark.parametrize("seconds", ["0", "-1", "90", "nan"])
def test_a_search_waits_for_other_devices_only_as_long_as_they_accept(
    tmp_path: Path, seconds: str
) -> None:
    # A device refuses a call set to run past a minute: a longer wait would get no remote hits.
    result = roost("search", "Alice", "--timeout", seconds, home=tmp_path, check=False)
    assert result.returncode == 2 and "at most 45 seconds" in result.stderr
