"""The always-on node, as a real `roost node start` process on real photos: it indexes what is
copied into its folders without any command, follows deletions and moves, prunes nothing under
a folder that went away, finds on start what was added while it was stopped, indexes at low
priority, and never makes a label edit wait for its indexing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest

from node import config
from node.files import holder
from node.library.store import Library
from node.people import edits
from node.people.clusters import read_clusters
from node.people.state import read_state
from node.running import NodeState, running_node
from node.settings import Home
from node.watch import progress
from tests.albums import Album, copy_home
from tests.albums import album as album  # the session-wide album fixture
from tests.conftest import REPO, TESTDATA, roost_argv, roost_json
from tests.index.library_rows import KEYS, assert_same_rows, table_rows
from tests.integration.nodes import Node, wait_for
from tui.data import Roost

pytestmark = [pytest.mark.slow, pytest.mark.models]

INDEXED = 300.0  # seconds to wait for a few photos on a loaded 2-core machine (models load)
FRANK, STRANGER = "faces/id06/img30.jpg", "faces/id07/img35.jpg"  # two look-alikes
NO_NODE = NodeState(0, (), None, None)
PHOTOS = 240  # of lfw_dev: a run of many batches


def configure(home: Path, folders: list[Path], *, niceness: int, rescan_seconds: int) -> None:
    node = config.NodeSettings(
        rescan_seconds=rescan_seconds, niceness=niceness, on_battery=config.OnBattery.RUN
    )
    home.mkdir(parents=True, exist_ok=True)
    config.save(
        Home(home).config_file,
        config.Settings(config.LibrarySettings(tuple(str(f) for f in folders)), node),
    )


@contextmanager
def paused(pid: int, library: Library) -> Iterator[None]:
    """The process `pid`, in the middle of an index run, stopped (SIGSTOP) until the block
    ends: to everyone else its run simply goes on for as long as the block takes, however fast
    this machine indexes. It is never stopped inside its short labels-lock step, which edits
    are meant to wait for."""
    process = psutil.Process(pid)
    while True:
        process.suspend()
        if holder(library.root / "labels.lock") != f"pid {pid}":
            break
        process.resume()
        time.sleep(0.05)
    try:
        yield
    finally:
        process.resume()


def known(home: Path) -> set[str]:
    """The paths indexed in `home` (none before the node made the library)."""
    if not (home / "library" / "library.json").exists():
        return set()
    return set(Library.open(home / "library").known_files())


def published(home: Path) -> dict[str, Any]:
    return progress.read(Home(home).indexing) or {}


@pytest.fixture
def nodes() -> Iterator[list[Node]]:
    started: list[Node] = []
    yield started
    for node in started:
        node.terminate()
    for node in started:
        node.process.wait(timeout=60)


def start(home: Path, nodes: list[Node]) -> Node:
    node = Node(home, "--no-discovery", index=True)
    nodes.append(node)
    return node


def niceness_of_threads(pid: int) -> dict[int, int]:
    return {t.id: psutil.Process(t.id).nice() for t in psutil.Process(pid).threads()}


def test_the_node_keeps_its_folders_indexed(tmp_path: Path, nodes: list[Node]) -> None:
    home, pictures, usb = tmp_path / "home", tmp_path / "Pictures", tmp_path / "usb" / "Photos"
    pictures.mkdir()
    (pictures / "notes.txt").write_text("not a photo; an empty folder would be offline")
    usb.mkdir(parents=True)
    shutil.copy2(TESTDATA / "multi_face" / "couple.jpg", usb / "couple.jpg")
    configure(home, [pictures, usb], niceness=10, rescan_seconds=2)
    node = start(home, nodes)
    wait_for("the first rescan", lambda: str(usb / "couple.jpg") in known(home), INDEXED)

    # Indexing runs at low priority; the node's own (serving) thread does not.
    nice, base = niceness_of_threads(node.process.pid), os.nice(0)  # tests may run under nice
    lowered = min(base + 10, 19)
    assert nice[node.process.pid] == base and lowered in nice.values()
    # Under `nice 19` every thread is at 19 already: the indexing one is told by its disk class.
    low = [tid for tid, value in nice.items() if value == lowered and tid != node.process.pid]
    classes = [
        subprocess.run(["ionice", "-p", str(tid)], capture_output=True, text=True).stdout.strip()
        for tid in low
    ]
    assert "idle" in classes
    status = roost_json("status", home=home)
    assert status["node"]["pid"] == node.process.pid and status["node"]["port"] is None
    assert status["node"]["indexing"]["watching"] == [str(pictures), str(usb)]
    assert status["library"]["photos"] == 1

    # Copied in: indexed and searchable, without any command.
    shutil.copy2(TESTDATA / "faces" / "id00" / "img1.jpg", pictures / "beach.jpg")  # 2019-07-20
    shutil.copy2(TESTDATA / "faces" / "id04" / "img14.jpg", pictures / "lyon.jpg")
    both = {str(pictures / "beach.jpg"), str(pictures / "lyon.jpg")}
    wait_for("the copied photos", lambda: both <= known(home), INDEXED)
    hits = roost_json("search", "July 2019", home=home)["hits"]
    assert [hit["path"] for hit in hits] == [str(pictures / "beach.jpg")]
    photos = Library.open(home / "library").media.count_rows()

    # Deleted and moved: the index follows; a move is the same photo at a new path.
    (pictures / "lyon.jpg").unlink()
    (pictures / "2019").mkdir()
    (pictures / "beach.jpg").rename(pictures / "2019" / "beach.jpg")
    after = {str(usb / "couple.jpg"), str(pictures / "2019" / "beach.jpg")}

    def followed() -> bool:  # paths first, then the content no path holds (two commits)
        library = Library.open(home / "library")
        return set(library.known_files()) == after and library.media.count_rows() == photos - 1

    wait_for("the deletion and the move", followed, INDEXED)

    # Unplugged: the folder is gone, and rescans prune nothing under it; nor when it is back
    # but empty, as an unmounted drive's mount point is.
    usb.rename(tmp_path / "usb" / "elsewhere")
    wait_for("the folder offline", lambda: published(home).get("offline") == [str(usb)])
    last = published(home)["last"]
    wait_for("a rescan since", lambda: published(home)["last"] != last, INDEXED)
    assert str(usb / "couple.jpg") in known(home)
    usb.mkdir()
    last = published(home)["last"]
    wait_for("another rescan", lambda: published(home)["last"] != last, INDEXED)
    assert published(home)["offline"] == [str(usb)] and str(usb / "couple.jpg") in known(home)
    usb.rmdir()
    (tmp_path / "usb" / "elsewhere").rename(usb)

    # A family created meanwhile: the node starts serving its peers, and its indexing, started
    # once, goes on through that restart with the models its first run loaded.
    roost_json("family", "create", "The Smiths", home=home)
    wait_for("the family listeners", lambda: (running_node(Home(home)) or NO_NODE).port)
    shutil.copy2(TESTDATA / "faces" / "id03" / "img3.jpg", pictures / "family.jpg")
    wait_for("a photo after the restart", lambda: str(pictures / "family.jpg") in known(home))
    log = node.log()
    assert "restarting the listeners" in log
    assert log.count("keeping the library's folders indexed") == 1
    assert log.count("kept for later runs") == 1, "one model load for the node's life"

    # Stopped, a photo added, started again: the first rescan finds it.
    assert node.stop() == 0
    shutil.copy2(TESTDATA / "faces" / "id01" / "img26.jpg", pictures / "new.jpg")
    start(home, nodes)
    wait_for("the photo added meanwhile", lambda: str(pictures / "new.jpg") in known(home), INDEXED)
    assert str(usb / "couple.jpg") in known(home)


def test_labels_never_wait_for_the_node_indexing_a_large_folder(
    album: Album, tmp_path: Path, nodes: list[Node]
) -> None:
    """Names, a confirmation and an undo, from the CLI and through the TUI's adapter, while the
    node is in the middle of indexing new photos (held there, stopped, for as long as the edits
    take): each goes through during the run and is in the log after it, and the index is what
    a clean run makes. A foreground `roost index` started during the node's run waits for it;
    a name given during that clean run (a foreground `roost index`) goes through as well."""
    home = copy_home(album, tmp_path / "home")
    large = tmp_path / "large"
    large.mkdir()
    for photo in sorted((TESTDATA / "lfw_dev").rglob("*.jpg"))[:PHOTOS]:
        shutil.copy2(photo, large / photo.name)
    configure(home, [album.photos, large], niceness=0, rescan_seconds=3600)
    node = start(home, nodes)
    index_lock = Home(home).library_lock
    writing = f"pid {node.process.pid}"

    def in_run() -> bool:
        run = published(home).get("run") or {}
        return holder(index_lock) == writing and run.get("done", 0) >= 1

    wait_for("the node indexing the large folder", in_run, INDEXED)
    library = Library.open(home / "library")
    frank, stranger = album.face_of(FRANK, home), album.face_of(STRANGER, home)
    alice = read_clusters(library)[album.face_of("faces/id00/img1.jpg")]
    with paused(node.process.pid, library):
        # A foreground `roost index` started during the node's run says so and waits for it.
        waited = tmp_path / "foreground.err"
        with waited.open("w") as err:
            foreground = subprocess.Popen(
                roost_argv("index", large, "--json", home=home),
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        saying = f"the node (pid {node.process.pid}) is indexing this library"
        wait_for("the foreground run waiting", lambda: saying in waited.read_text(), INDEXED)

        tui = Roost(Home(home))
        roost_json("name", frank, "Frank", home=home)
        confirmed = tui.edit(lambda library: edits.confirm(library, [stranger]))[0]
        assert [row.status for row in confirmed.faces] == ["confirmed"]
        roost_json("name", str(alice), "Alice", home=home)
        undone = tui.edit(lambda library: edits.undo(library, confirmed.events))[0]
        assert [row.status for row in undone.faces if row.face == stranger] != ["confirmed"]
        assert holder(index_lock) == writing

    # The foreground `roost index`, once the node's run is over, finds it all done.
    out, _ = foreground.communicate(timeout=1200)
    assert foreground.returncode == 0, waited.read_text()
    ran = json.loads(out)
    assert (ran["indexed"], ran["unchanged"], ran["models_loaded"]) == (0, PHOTOS, [])
    wait_for("the run to end", lambda: holder(index_lock) is None, 1200)
    wait_for("the node idle", lambda: published(home).get("state") == "idle")
    assert node.stop() == 0
    state = read_state(Library.open(home / "library"))
    logged = {event.id for event in state.events}
    assert set(confirmed.events) | set(undone.events) <= logged
    assert {s.name for s in state.labels.subjects.values()} == {"Frank", "Alice"}
    row = state.face(stranger)
    assert row is not None and row.status != "confirmed"

    # The clean run, a foreground `roost index`: an edit made while it writes goes through too.
    clean = tmp_path / "clean"
    run = subprocess.Popen(
        roost_argv("index", large, "--json", home=clean),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    indexing = f"pid {run.pid}"

    def first_batch() -> bool:  # committed, so there are faces to name
        return holder(Home(clean).library_lock) == indexing and bool(known(clean))

    wait_for("the first batch of the clean run", first_batch, INDEXED)
    cleaned = Library.open(clean / "library")
    face = cleaned.faces.search().select(["id"]).limit(1).to_list()[0]
    with paused(run.pid, cleaned):
        roost_json("name", face["id"], "Dana", home=clean)
        assert holder(Home(clean).library_lock) == indexing
    out, _ = run.communicate(timeout=1200)
    assert run.returncode == 0 and json.loads(out)["indexed"] == PHOTOS
    dana = read_state(Library.open(clean / "library")).labels.by_name("Dana")
    assert dana is not None
    for table, key in KEYS.items():
        expected = sorted(
            table_rows(album.home, table) + table_rows(clean, table), key=lambda r: r[key]
        )
        assert_same_rows(table, table_rows(home, table), expected)
