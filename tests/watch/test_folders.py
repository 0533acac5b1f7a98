"""The library's folders: remembered, nested sensibly, removed with their photos (not their
labels), and the platform's defaults on a fresh machine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from node import config, folders
from node.files import hold
from node.folders import FolderError, NoFolders
from node.library.store import Library, write_lock
from node.people.state import read_state
from node.settings import Home
from tests.albums import Album, copy_home
from tests.conftest import REPO, TESTDATA, roost, roost_json


def test_folders_never_nest(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    (tmp_path / "Pictures" / "2019").mkdir(parents=True)
    (tmp_path / "Phone").mkdir()
    assert folders.add(home, [tmp_path / "Pictures" / "2019"]) == [str(tmp_path / "Pictures/2019")]
    assert folders.add(home, [tmp_path / "Pictures", tmp_path / "Phone"]) == [
        str(tmp_path / "Pictures"),
        str(tmp_path / "Phone"),
    ]
    assert folders.add(home, [tmp_path / "Pictures" / "2019"]) == []  # inside one already
    assert config.load(home.config_file).library.folders == (
        str(tmp_path / "Pictures"),
        str(tmp_path / "Phone"),
    )
    with pytest.raises(FolderError, match="is not a folder"):
        folders.add(home, [tmp_path / "nowhere"])
    with pytest.raises(FolderError, match="is not a library folder"):
        folders.remove(home, tmp_path / "nowhere")


def test_removing_a_folder_drops_its_photos_and_keeps_the_labels(
    album: Album, tmp_path: Path
) -> None:
    home = copy_home(album, tmp_path / "home")
    listed = roost_json("folders", "list", home=home)
    assert listed == {"folders": [{"path": str(album.photos), "online": True}], "remembered": True}
    face = album.face_of("faces/id00/img1.jpg", home)
    roost("name", face, "Alice", home=home)
    events = read_state(Library.open(home / "library")).events
    result = roost("folders", "remove", album.photos, home=home)
    assert "files left the index" in result.stdout
    library = Library.open(home / "library")
    assert library.files.count_rows() == library.media.count_rows() == 0
    assert library.faces.count_rows() == 0
    assert read_state(library).events == events  # the label log is untouched
    assert roost_json("folders", "list", home=home)["folders"] == []


def _fresh_machine(tmp_path: Path, user_dirs: str | None) -> dict[str, str]:
    """The environment of a user who never ran Roost: an empty home folder, no settings."""
    user = tmp_path / "user"
    (user / ".config").mkdir(parents=True)
    if user_dirs is not None:
        (user / ".config" / "user-dirs.dirs").write_text(user_dirs)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ROOST_"))}
    env["HOME"] = str(user)
    return env


def _roost_without_home(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=600,
    )


def test_on_a_fresh_machine_roost_index_says_there_is_nothing_and_how_to_add(
    tmp_path: Path,
) -> None:
    env = _fresh_machine(tmp_path, None)
    result = _roost_without_home(env, "index")
    assert result.returncode == 1
    assert "no library folders yet" in result.stderr and "roost folders add PATH" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.models
def test_on_a_fresh_machine_roost_index_indexes_the_default_folders(tmp_path: Path) -> None:
    """XDG user dirs name the pictures folder (here "Bilder", as a German desktop has it)."""
    env = _fresh_machine(tmp_path, 'XDG_PICTURES_DIR="$HOME/Bilder"\n')
    pictures = Path(env["HOME"]) / "Bilder"
    pictures.mkdir()
    shutil.copy2(TESTDATA / "faces" / "id00" / "img1.jpg", pictures / "beach.jpg")
    result = _roost_without_home(env, "index", "--json")
    assert result.returncode == 0, result.stderr
    assert "indexing the default ones: ~/Bilder" in result.stderr
    assert '"indexed": 1' in result.stdout
    status = _roost_without_home(env, "status", "--json")
    assert (
        f'"path": "{pictures}"' in status.stdout and '"folders_remembered": false' in status.stdout
    )
    assert (Path(env["HOME"]) / ".local" / "share" / "roost" / "library").is_dir()


def test_folders_to_index_refuses_when_there_are_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folders, "default_folders", lambda: (str(tmp_path / "Pictures"),))
    with pytest.raises(NoFolders, match=r"neither /.*/Pictures exists"):
        folders.folders_to_index(Home(tmp_path / "home"))


def test_roost_index_leaves_out_folders_that_are_offline(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    photos, mount_point = tmp_path / "Pictures", tmp_path / "nas"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(b"x")
    mount_point.mkdir()
    folders.add(home, [photos, mount_point])
    roots, note = folders.roots_for_index(home, [])
    assert roots == [str(photos)]
    assert note is not None and f"missing or empty (a drive not mounted?): {mount_point}" in note
    assert folders.online(str(photos)) and not folders.online(str(mount_point))
    assert not folders.online(str(tmp_path / "nowhere"))


def test_roost_index_waits_for_the_run_in_progress(tmp_path: Path) -> None:
    """A foreground `roost index` while the node's indexing holds the index lock waits for that
    run to end, saying so, and then does its own (here: a folder with nothing to index)."""
    home, folder = Home(tmp_path / "home"), tmp_path / "Pictures"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a photo")
    home.ensure()
    # What a running node holds during one of its runs: its node lock and the index lock.
    with hold(home.node_lock), write_lock(home.library_lock):
        run = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "--home", str(home.root), "index", str(folder),
             "--json"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert run.stderr is not None
        said = [run.stderr.readline() for _ in range(2)]  # the folder added, then the wait
        assert f"the node (pid {os.getpid()}) is indexing this library; waiting" in said[1]
        assert run.poll() is None, "it waits instead of refusing"
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert (json.loads(out)["seen"], json.loads(out)["indexed"]) == (1, 0)
    assert str(folder) in folders.library_folders(home).folders
