"""The node's indexing: the library's folders stay indexed while the node runs.

One thread does all the indexing, at low priority, through `node.index.run.index` (the entry
point every index run uses), in a loop:

- at start, and every `node.rescan_seconds`, a rescan: index every library folder that is
  online (this finds what changed while the node was stopped, on network drives, and on a disk
  that came back); a folder that is offline (missing, or an empty mount point) is left out, so
  nothing under it is pruned;
- in between, what the watcher reported, as soon as a batch of changes settles;
- never on battery when `node.on_battery` is "pause": a run in progress waits between two
  photos until mains power is back;
- when another process writes the library (a foreground `roost index`), it waits and tries
  again; the changes it had are kept.

The keeper owns one set of loaded models (`node.index.models.Models`) for the node's life and
hands it to every run, so a photo arriving after the first run costs its faces, not a reload of
the detector and the embedder.

Settings are reread when their file changes, so `roost folders add` takes effect at once.
A run is stopped between two photos when the node stops; what it committed stays.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from node import config
from node.folders import chosen_folders, online
from node.index.models import Models
from node.index.run import IndexOptions, Summary, index
from node.library.store import LibraryBusy
from node.settings import Home
from node.watch.changes import Watcher, roots_for
from node.watch.power import Power, platform_power
from node.watch.priority import lower
from node.watch.progress import Publisher, Reason, RunReporter, State
from protocol.errors import RoostError

log = logging.getLogger("roost.node")

TICK = 1.0  # seconds between looks at the settings, the folders and the power supply
RETRY = 5.0  # seconds before trying again when another process writes the library
BATTERY_CHECK = 10.0  # seconds between looks at the power supply during a run

Indexer = Callable[[Sequence[str], Home, IndexOptions, RunReporter, Models], Summary]


class Stopping(Exception):
    """Raised between two photos to end a run because the node stops."""


class Keeper:
    def __init__(self, home: Home, *, power: Power | None = None, indexer: Indexer = index) -> None:
        self.home = home
        self._power = power or platform_power()
        self._index = indexer
        self._models = Models()  # loaded by the first run that needs them, kept for the rest
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._watcher = Watcher(self._wake)
        self._publisher = Publisher(home.indexing)
        self._settings = config.Settings()
        self._settings_stamp: float | None = None
        self._thread = threading.Thread(target=self._run, name="index", daemon=True)
        self._checked_power = 0.0
        self._rescan_at = 0.0  # at start: what changed while the node was stopped
        self._pending: set[str] = set()  # changed paths not indexed yet

    def start(self) -> None:
        self.home.ensure()
        self._publisher.write()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()
        self._watcher.close()

    # -- the loop ------------------------------------------------------------------------------

    def _run(self) -> None:
        lower(self._reload().node.niceness)
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:  # a bug must not stop the indexing for the node's life
                log.exception("indexing loop failed; trying again")
                self._sleep(RETRY)

    def _step(self) -> None:
        """Look at the settings, folders, changes and power once, and index if there is work."""
        settings = self._reload()
        folders = chosen_folders(settings).folders
        there = [f for f in folders if online(f)]
        if tuple(there) != self._watcher.folders:
            if set(there) - set(self._watcher.folders):
                self._rescan_at = 0.0  # a folder is new or back: walk it
            self._watcher.watch(there)
        self._pending |= self._watcher.take()
        offline = [f for f in folders if f not in there]
        self._publisher.set(watching=there, offline=offline, pending=len(self._pending))
        if self._paused(settings):
            self._publisher.set(state=State.PAUSED, detail="on battery power")
            self._sleep(TICK)
            return
        if time.monotonic() >= self._rescan_at:
            roots, reason = there, Reason.RESCAN
        elif self._pending:
            roots, reason = roots_for(self._pending, there), Reason.CHANGES
        else:
            if self._publisher.progress.state is not State.FAILED:
                self._publisher.set(state=State.IDLE, detail=None, run=None)
            self._sleep(TICK)
            return
        taken, self._pending = self._pending, set()
        outcome = self._index_now(roots, reason)
        if outcome is None:  # the library was busy, or the node stops: keep what was asked
            self._pending |= taken
            self._sleep(RETRY)
        elif reason is Reason.RESCAN or outcome is False:
            self._rescan_at = time.monotonic() + settings.node.rescan_seconds
            self._publisher.set(next_rescan=_at(settings.node.rescan_seconds))

    def _index_now(self, roots: Sequence[str], reason: Reason) -> bool | None:
        """One run; True when it finished, False when it failed, None when the library was busy
        (or the node stops)."""
        if not roots:
            return True
        reporter = RunReporter(self._publisher, reason, self._between)
        try:
            # IndexOptions(): the library's own embedder, the default model settings
            summary = self._index(roots, self.home, IndexOptions(), reporter, self._models)
        except Stopping:
            return None
        except LibraryBusy as exc:
            self._publisher.set(state=State.WAITING, detail=str(exc), run=None)
            return None
        except RoostError as exc:
            log.error("indexing failed: %s", exc)
            self._publisher.set(state=State.FAILED, detail=str(exc), run=None)
            return False
        except Exception as exc:  # a bug: logged with its trace, and the node goes on
            log.exception("indexing failed")
            self._publisher.set(state=State.FAILED, detail=f"internal error: {exc}", run=None)
            return False
        log.info(
            "indexed %s: %d new, %d moved or duplicate, %d removed, %d failed",
            reason, summary.indexed, summary.relinked, summary.removed, len(summary.failed),
        )  # fmt: skip
        if summary.models_loaded:
            log.info("loaded %s, kept for later runs", ", ".join(summary.models_loaded))
        last = {"finished": _at(0), "reason": reason.value, "summary": summary.to_json()}
        self._publisher.set(state=State.IDLE, detail=None, run=None, last=last)
        return True

    def _between(self) -> None:
        """Between two photos of a run: stop if the node stops, wait while on battery."""
        if self._stop.is_set():
            raise Stopping
        if time.monotonic() - self._checked_power < BATTERY_CHECK:
            return
        self._checked_power = time.monotonic()
        run = self._publisher.progress.run
        while self._paused(self._settings):
            self._publisher.set(state=State.PAUSED, detail="on battery power")
            self._sleep(TICK)
            if self._stop.is_set():
                raise Stopping
        if self._publisher.progress.state is State.PAUSED:
            self._publisher.set(state=State.INDEXING, detail=None, run=run)

    # -- helpers -------------------------------------------------------------------------------

    def _paused(self, settings: config.Settings) -> bool:
        return settings.node.on_battery is config.OnBattery.PAUSE and bool(self._power.on_battery())

    def _reload(self) -> config.Settings:
        """The settings, reread when their file changed; the last good ones if it is broken."""
        path = self.home.config_file
        try:
            stamp = path.stat().st_mtime
        except FileNotFoundError:
            stamp = None
        if stamp != self._settings_stamp:
            self._settings_stamp = stamp
            try:
                self._settings = config.load(path)
            except config.ConfigError as exc:
                log.error("%s; keeping the settings read before", exc)
        return self._settings

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()


def _at(seconds_from_now: float) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=seconds_from_now)
    return moment.isoformat(timespec="seconds")
