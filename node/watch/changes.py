"""What changed in the library's folders, as the operating system reports it.

`watchfiles` (Rust `notify`: inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW on
Windows) was chosen over watchdog because it hands over changes in debounced batches — a
copied folder of 500 photos is one batch, not 500 wake-ups — with one thread for all folders
and a stop event for a clean shutdown; it is maintained and ships wheels for every platform.

Watching is a hint, like mDNS sightings: what it misses (network drives, whose changes happen
on another machine; a disk that was unplugged; a watch limit reached) the periodic rescan
finds. A change becomes a root for `index`: the path itself when it exists, and for a path that
is gone its nearest existing folder inside the library, because only a folder that lists
without it shows a deletion; a path whose library folder is offline prunes nothing (the caller
passes only the folders that are online).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Sequence

import watchfiles

from node.folders import contains

log = logging.getLogger("roost.node")
logging.getLogger("watchfiles").setLevel(logging.WARNING)  # it logs every batch at INFO


def roots_for(changed: Iterable[str], folders: Sequence[str]) -> list[str]:
    """The roots to index for these changed paths: the fewest that cover them all."""
    roots: set[str] = set()
    for path in changed:
        folder = next((f for f in folders if contains(f, path)), None)
        if folder is None:
            continue  # outside the library (a folder removed meanwhile)
        while not os.path.exists(path) and path != folder:
            path = os.path.dirname(path)
        if os.path.exists(path):
            roots.add(path)
    ordered = sorted(roots)
    return [r for r in ordered if not any(o != r and contains(o, r) for o in ordered)]


class Watcher:
    """One thread that watches a set of folders and collects the paths that changed."""

    def __init__(self, wake: threading.Event) -> None:
        self._wake = wake
        self._changed: set[str] = set()
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.folders: tuple[str, ...] = ()
        self.failed: str | None = None  # why watching stopped, when it did

    def watch(self, folders: Sequence[str]) -> None:
        """Watch exactly these (existing) folders from now on."""
        self.close()
        self.folders, self.failed = tuple(folders), None
        if folders:
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="watch", daemon=True
            )
            self._thread.start()

    def take(self) -> set[str]:
        with self._guard:
            changed, self._changed = self._changed, set()
        return changed

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self, stop: threading.Event) -> None:
        try:
            for batch in watchfiles.watch(
                *self.folders, stop_event=stop, raise_interrupt=False, rust_timeout=1000
            ):
                with self._guard:
                    self._changed.update(path for _, path in batch)
                self._wake.set()
        except (OSError, RuntimeError) as exc:  # a watch limit, a folder gone meanwhile
            self.failed = str(exc)
            log.warning("watching stopped (%s); the periodic rescan still finds changes", exc)
            self._wake.set()
