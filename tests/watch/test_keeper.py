"""The node's indexing loop (`node.watch.keeper.Keeper`) with the indexer behind its seam: a
twin that records each run and reports progress the way `node.index.run.index` does. The real
watcher, settings file and progress file are used; `tests/integration/test_always_on.py` runs
the whole thing in a real node."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from node import config
from node.index.models import Models
from node.index.run import IndexOptions, Summary
from node.library.store import LibraryBusy
from node.settings import Home
from node.watch import keeper, progress
from node.watch.keeper import Keeper
from node.watch.progress import RunReporter


@dataclass
class Battery:
    on: bool = False

    def on_battery(self) -> bool | None:
        return self.on


@dataclass
class Indexer:
    """Records runs; each "indexes" `files` photos, one `advance` each, after `gate` opens."""

    files: int = 3
    pace: float = 0.0  # seconds per photo
    busy: int = 0  # refuse this many runs first, as a library written elsewhere does
    broken: int = 0  # then fail this many with a bug
    runs: list[list[str]] = field(default_factory=list)
    models: list[Models] = field(default_factory=list)  # the set each run was handed
    finished: int = 0
    gate: threading.Event = field(default_factory=threading.Event)

    def __call__(
        self,
        roots: Sequence[str],
        home: Home,
        options: IndexOptions,
        reporter: RunReporter,
        models: Models,
    ) -> Summary:
        self.runs.append(list(roots))
        self.models.append(models)
        if self.busy:
            self.busy -= 1
            raise LibraryBusy("the library is being written by pid 1; wait for it to finish")
        if self.broken:
            self.broken -= 1
            raise RuntimeError("a bug")
        reporter.start(self.files)
        try:
            for _ in range(self.files):
                self.gate.wait(30)
                time.sleep(self.pace)
                reporter.advance(1)
        finally:
            reporter.finish()
        self.finished += 1
        return Summary(indexed=self.files)


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "Pictures"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"x")
    return folder


@pytest.fixture
def home(tmp_path: Path, library: Path) -> Home:
    home = Home(tmp_path / "home")
    settings = config.Settings(
        config.LibrarySettings((str(library),)), config.NodeSettings(niceness=0)
    )
    home.ensure()
    config.save(home.config_file, settings)
    return home


@pytest.fixture
def running(home: Home) -> Iterator[Callable[..., Keeper]]:
    started: list[Keeper] = []

    def start(indexer: Indexer, battery: Battery | None = None) -> Keeper:
        node = Keeper(home, power=battery or Battery(), indexer=indexer)
        node.start()
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()


def published(home: Home) -> dict[str, Any]:
    return progress.read(home.indexing) or {}


def test_it_rescans_at_start_then_indexes_what_changes(
    home: Home, library: Path, running: Callable[..., Keeper]
) -> None:
    indexer = Indexer()
    indexer.gate.set()
    running(indexer)
    wait_for("the first rescan", lambda: indexer.finished == 1)
    assert indexer.runs == [[str(library)]]
    wait_for("idle", lambda: published(home).get("state") == "idle")
    assert published(home)["last"]["reason"] == "rescan"
    assert published(home)["watching"] == [str(library)]
    (library / "b.jpg").write_bytes(b"y")
    wait_for("a run for the change", lambda: indexer.finished == 2)
    assert indexer.runs[1] == [str(library / "b.jpg")]
    first, second = indexer.models
    assert first is second, "every run shares the keeper's loaded models"


def test_on_battery_it_waits_and_goes_on_with_mains_power(
    home: Home, running: Callable[..., Keeper], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keeper, "BATTERY_CHECK", 0.0)
    battery = Battery(on=True)
    indexer = Indexer()
    indexer.gate.set()
    running(indexer, battery)
    wait_for("paused", lambda: published(home).get("state") == "paused")
    assert indexer.runs == []  # nothing starts on battery
    battery.on = False
    wait_for("the rescan", lambda: indexer.finished == 1)
    # Unplugged during a run: it waits between two photos.
    (home.root.parent / "Pictures" / "b.jpg").write_bytes(b"y")
    indexer.gate.clear()
    wait_for("the second run", lambda: len(indexer.runs) == 2)
    battery.on = True
    indexer.gate.set()
    wait_for("paused in a run", lambda: published(home).get("state") == "paused")
    run = published(home)["run"]
    assert run["done"] < run["total"] and indexer.finished == 1
    battery.on = False
    wait_for("the run to finish", lambda: indexer.finished == 2)


def test_a_library_written_elsewhere_is_waited_for_and_nothing_asked_is_lost(
    home: Home, library: Path, running: Callable[..., Keeper], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keeper, "RETRY", 0.1)
    indexer = Indexer(busy=2)
    indexer.gate.set()
    running(indexer)
    wait_for("waiting", lambda: published(home).get("state") == "waiting")
    assert "being written by pid 1" in published(home)["detail"]
    wait_for("the run once the library is free", lambda: indexer.finished == 1)
    assert indexer.runs == [[str(library)]] * 3


def test_stopping_ends_a_run_between_two_photos(home: Home, running: Callable[..., Keeper]) -> None:
    indexer = Indexer(files=1000, pace=0.05)
    node = running(indexer)
    wait_for("the run to start", lambda: published(home).get("state") == "indexing")
    indexer.gate.set()
    wait_for("some progress", lambda: (published(home).get("run") or {}).get("done", 0) > 0)
    node.stop()
    assert indexer.finished == 0  # ended, not run to its end


def test_folders_added_while_running_are_watched_and_walked(
    home: Home, tmp_path: Path, running: Callable[..., Keeper]
) -> None:
    indexer = Indexer()
    indexer.gate.set()
    running(indexer)
    wait_for("the first rescan", lambda: indexer.finished == 1)
    phone = tmp_path / "Phone"
    phone.mkdir()
    (phone / "c.jpg").write_bytes(b"z")
    folders_now = config.load(home.config_file).library.folders
    time.sleep(0.05)  # a new modification time for the settings file
    config.update(
        home.config_file,
        lambda s: config.Settings(config.LibrarySettings((*folders_now, str(phone))), s.node),
    )
    wait_for("a rescan with the new folder", lambda: indexer.finished == 2)
    assert str(phone) in indexer.runs[1]
    assert str(phone) in published(home)["watching"]


def test_an_empty_folder_is_offline_and_never_walked(
    home: Home, library: Path, tmp_path: Path, running: Callable[..., Keeper]
) -> None:
    """An unmounted drive leaves its mount point behind, empty: walking it would prune all."""
    mount_point = tmp_path / "nas"
    mount_point.mkdir()
    config.save(
        home.config_file,
        config.Settings(config.LibrarySettings((str(library), str(mount_point)))),
    )
    indexer = Indexer()
    indexer.gate.set()
    running(indexer)
    wait_for("the first rescan", lambda: indexer.finished == 1)
    assert indexer.runs == [[str(library)]]
    assert published(home)["offline"] == [str(mount_point)]
    (library / "b.jpg").write_bytes(b"y")
    wait_for("a run for the change", lambda: indexer.finished == 2)
    assert all(str(mount_point) not in run for run in indexer.runs)


def test_a_failing_run_is_reported_and_the_node_goes_on(
    home: Home, library: Path, running: Callable[..., Keeper]
) -> None:
    indexer = Indexer(broken=1)
    indexer.gate.set()
    running(indexer)
    wait_for("the failure published", lambda: published(home).get("state") == "failed")
    assert published(home)["detail"] == "internal error: a bug"
    (library / "b.jpg").write_bytes(b"y")
    wait_for("the next change indexed", lambda: indexer.finished == 1)
    assert indexer.runs[-1] == [str(library / "b.jpg")]
    wait_for("idle again", lambda: published(home).get("state") == "idle")
