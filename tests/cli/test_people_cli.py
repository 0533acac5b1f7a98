"""`roost people`, `name`, `rename`, `merge`, `split`, `reject`, `confirm`, `forget` and
`suggestions` as scripts and people use them: JSON contracts, help, and clear refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from node.cli import main
from node.library import store
from node.library.store import Library, write_lock
from node.settings import Home
from tests.albums import Album, copy_home
from tests.conftest import roost, roost_json

COMMANDS = ["people", "name", "rename", "merge", "split", "reject", "confirm", "forget",
            "suggestions", "search"]  # fmt: skip
FRANK, STRANGER = "faces/id06/img30.jpg", "faces/id07/img35.jpg"  # two look-alikes


@pytest.fixture
def home(album: Album, tmp_path: Path) -> Path:
    return copy_home(album, tmp_path / "home")


def run(home: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    """`roost` in this process: (exit code, parsed JSON stdout or text, stderr)."""
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if "--json" in args and code == 0 else out, err


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: roost {command}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["name"],
        ["name", "only-an-id"],
        ["merge", "Alice"],
        ["people", "--limit", "0"],
        ["people", "--offset", "-1"],
        ["search"],
        ["search", "Alice", "--limit", "none"],
        ["reject", "face"],
    ],
)
def test_malformed_arguments_exit_2_with_usage(
    home: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--home", str(home), *args])
    assert exit_.value.code == 2
    assert "usage: roost" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["name", "no-such-id", "Alice"], "is no face or cluster id"),
        (["rename", "Nobody", "Alice"], "no person or pet"),
        (["forget", "Nobody"], "no person or pet"),
        (["people", "Nobody"], "no person, pet or cluster"),
        (["search", ""], "empty query"),
        (["search", "2019 before 2010"], "contradict"),
        (["search", "Alice or Bob"], "not understood"),
    ],
)
def test_refusals_are_clear_and_change_nothing(
    home: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in (home / "library" / "label_events.lance").rglob("*"))
    code, _, err = run(home, *args, capsys=capsys)
    assert code == 2
    assert err.startswith("roost: error: ") and message in err
    assert sorted(p.name for p in (home / "library" / "label_events.lance").rglob("*")) == before


def test_a_home_without_a_library_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (["people"], ["suggestions"], ["search", "Alice"], ["name", "x", "Alice"]):
        code, _, err = run(tmp_path / "empty", *args, capsys=capsys)
        assert code == 1 and "roost index" in err


def test_edits_go_through_while_the_index_is_written_and_say_who_holds_the_labels(
    album: Album, home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with write_lock(Home(home).library_lock):  # what an index run holds for its whole run
        code, named, err = run(home, "name", album.face_of(FRANK), "Frank", "--json", capsys=capsys)
    assert code == 0, err
    assert [s["name"] for s in named["subjects"]] == ["Frank"]
    # The labels lock is held only for a state refresh; past the bounded wait an edit is refused,
    # naming the holder, and changes nothing.
    monkeypatch.setattr(store, "LABELS_WAIT", 0.1)
    with Library.open(Home(home).library).labels_lock():
        code, _, err = run(home, "rename", "Frank", "Franky", capsys=capsys)
    assert code == 1 and f"labels are being written by pid {os.getpid()}" in err
    assert run(home, "people", "--json", capsys=capsys)[1][0]["name"] == "Frank"


def test_people_lists_named_subjects_then_clusters(album: Album, home: Path) -> None:
    before = roost_json("people", home=home)
    assert before and all(row["kind"] == "cluster" and row["name"] is None for row in before)
    # 67 faces: 64 in faces/ (3 of them blurred bystanders, in no cluster), 2 + the dog's
    assert sum(row["faces"] for row in before) == 67 - 3
    alice = album.face_of("faces/id00/img1.jpg")
    cluster = next(row["id"] for row in before if alice in _faces(home, row["id"]))
    changed = roost_json("name", cluster, "Alice", home=home)
    assert [(s["name"], s["kind"], s["faces"]) for s in changed["subjects"]] == [
        ("Alice", "person", 9)
    ]
    assert {f["status"] for f in changed["faces"]} == {"confirmed"}
    after = roost_json("people", home=home)
    assert after[0]["name"] == "Alice" and after[0]["id"] == changed["subjects"][0]["id"]
    assert cluster not in [row["id"] for row in after]
    faces = roost_json("people", "Alice", home=home)
    assert len(faces) == 9
    assert {"id", "path", "box", "score", "status"} <= set(faces[0])
    assert {Path(f["path"]).name for f in faces} >= {"img1.jpg", "couple.jpg"}
    shown = roost_json("show", album.path("faces/id00/img1.jpg"), home=home)
    assert [f["person"] for f in shown["faces"]] == ["Alice"]


def _faces(home: Path, key: str) -> list[str]:
    return [face["id"] for face in roost_json("people", key, home=home)]


def test_suggestions_confirm_reject_and_the_other_edits(
    album: Album, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frank, stranger = album.face_of(FRANK), album.face_of(STRANGER)
    code, changed, _ = run(home, "name", frank, "Frank", "--json", capsys=capsys)
    frank_id = changed["subjects"][0]["id"]
    code, waiting, _ = run(home, "suggestions", "--json", capsys=capsys)
    assert [(s["face"], s["person"], s["name"]) for s in waiting] == [(stranger, frank_id, "Frank")]
    assert Path(waiting[0]["path"]).name == "img35.jpg" and 0.25 <= waiting[0]["confidence"] < 0.99

    code, changed, _ = run(home, "reject", stranger, "Frank", "--json", capsys=capsys)
    assert code == 0 and changed["faces"][0]["status"] != "suggested"
    assert run(home, "suggestions", "--json", capsys=capsys)[1] == []
    code, text, _ = run(home, "suggestions", capsys=capsys)
    assert "No suggestions" in text

    code, changed, _ = run(home, "split", frank, "--name", "Francis", "--json", capsys=capsys)
    assert [s["name"] for s in changed["subjects"]] == ["Francis", "Frank"]
    code, changed, _ = run(home, "merge", "Francis", "--into", "Frank", "--json", capsys=capsys)
    assert [(s["name"], s["faces"]) for s in changed["subjects"]] == [("Frank", 5)]
    code, changed, _ = run(home, "rename", frank_id, "Frankie", "--json", capsys=capsys)
    assert changed["subjects"][0]["name"] == "Frankie"
    code, changed, _ = run(home, "confirm", frank, "--json", capsys=capsys)
    assert code == 0
    code, changed, _ = run(home, "forget", "Frankie", "--json", capsys=capsys)
    assert changed["subjects"] == [] and all(f["person"] is None for f in changed["faces"])
    people = run(home, "people", "--json", capsys=capsys)[1]
    assert all(row["kind"] == "cluster" for row in people)


def test_search_from_the_command_line(album: Album, home: Path) -> None:
    roost("name", album.face_of("faces/id00/img1.jpg"), "Alice", home=home)
    answer = roost_json("search", "Alice 2019", home=home)
    assert [Path(hit["path"]).name for hit in answer["hits"]] == ["img1.jpg"]
    assert answer["query"]["subjects"] == ["Alice"] and answer["unknown_names"] == []
    text = roost("search", "Alice and Zed", home=home).stdout
    assert "nobody is named Zed" in text


def test_a_reader_that_goes_away_ends_the_listing_quietly(home: Path) -> None:
    """`roost people | head -1`: the closed pipe ends the command with SIGPIPE's status and
    no traceback."""
    listing = subprocess.Popen(
        [sys.executable, "-m", "node.cli", "--home", str(home), "people"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert listing.stdout is not None
    listing.stdout.close()  # before the command prints anything: it has yet to import
    _, err = listing.communicate(timeout=120)
    assert listing.returncode == 141
    assert b"Traceback" not in err and b"BrokenPipe" not in err
