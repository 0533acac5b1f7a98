"""`roost model status` and `roost model round` as scripts use them: the JSON contract and the
refusals when there is nothing to report or no coordinator to run a round."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from node.cli import main
from node.model.local import train_here
from node.people import edits
from node.settings import Home
from tests.albums import Album, copy_home

STATUS_KEYS = {"version", "round", "participants", "subjects", "validation"}


def run(home: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if "--json" in args and code == 0 else out, err


@pytest.mark.parametrize("command", ["model", "coordinator"])
def test_the_commands_explain_themselves(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: roost {command}" in capsys.readouterr().out


def test_status_before_and_after_a_model(
    album: Album, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = copy_home(album, tmp_path / "home")
    code, status, _ = run(home, "model", "status", "--json", capsys=capsys)
    assert code == 0 and set(status) >= STATUS_KEYS
    assert (status["version"], status["subjects"], status["scorer"]) == (0, 0, "distance rules")
    faces = [album.face_of(f"faces/id0{n}/{p}.jpg", home) for n, p in ((3, "img3"), (5, "img16"))]
    with edits.editing(Home(home)) as library:
        edits.name(library, faces[0], "Carl")
        edits.name(library, faces[1], "Eve")
        assert train_here(library, "laptop") is not None
    code, status, _ = run(home, "model", "status", "--json", capsys=capsys)
    assert code == 0 and status["version"] == 1 and status["round"] == 1
    assert status["participants"] == ["laptop"] and status["subjects"] == 2
    assert status["validation"]["faces"] == 2 and status["scorer"] == "family model"


def test_no_library_and_no_coordinator_are_clear_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(tmp_path / "empty", "model", "status", "--json", capsys=capsys)
    assert code == 1 and "roost index" in err
    code, _, err = run(tmp_path / "empty", "model", "round", "--json", capsys=capsys)
    assert code == 1 and "roost coordinator start" in err
