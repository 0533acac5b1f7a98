"""Progress of a long run: a live bar on a terminal, plain periodic lines anywhere else."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)


class Reporter(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, faces: int) -> None: ...
    def finish(self) -> None: ...


class BarReporter:
    """A rich progress bar: files done of total, files/s, faces found, ETA."""

    def __init__(self, stream: TextIO) -> None:
        self._progress = Progress(
            TextColumn("indexing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.1f} files/s · {task.fields[faces]} faces"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._task = self._progress.add_task("index", total=0, faces=0, rate=0.0)
        self._faces = 0
        self._started = time.monotonic()

    def start(self, total: int) -> None:
        self._started = time.monotonic()
        self._progress.update(self._task, total=total)
        self._progress.start()

    def advance(self, faces: int) -> None:
        self._faces += faces
        done = self._progress.tasks[0].completed + 1
        rate = done / max(time.monotonic() - self._started, 1e-6)
        self._progress.update(self._task, advance=1, faces=self._faces, rate=rate)

    def finish(self) -> None:
        self._progress.stop()


class LineReporter:
    """One line every `every` seconds and one at the end, for logs and pipes."""

    def __init__(self, stream: TextIO, every: float = 5.0) -> None:
        self._stream, self._every = stream, every
        self._total = self._done = self._faces = 0
        self._started = self._last = time.monotonic()

    def start(self, total: int) -> None:
        self._total = total
        self._started = self._last = time.monotonic()
        self._line(f"indexing {total} new or changed files")

    def advance(self, faces: int) -> None:
        self._done += 1
        self._faces += faces
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._status(now)

    def finish(self) -> None:
        if self._total:
            self._status(time.monotonic())

    def _status(self, now: float) -> None:
        rate = self._done / max(now - self._started, 1e-6)
        left = (self._total - self._done) / rate if rate > 0 else 0.0
        self._line(
            f"{self._done}/{self._total} files, {rate:.1f} files/s, {self._faces} faces, "
            f"ETA {left:.0f}s"
        )

    def _line(self, text: str) -> None:
        print(text, file=self._stream, flush=True)


def reporter_for(stream: TextIO = sys.stderr) -> Reporter:
    return BarReporter(stream) if stream.isatty() else LineReporter(stream)
