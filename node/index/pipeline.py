"""Photos through the stages, overlapped: while photo n is embedded, photo n+1 is in detection
and photo n+2 is being decoded.

Each step of each stage runs on its own thread, fed in photo order through a short queue, so the
models (which release the GIL in their heavy loops) and decoding share the cores without any
stage knowing about threads. Results come out in the order the photos went in. A step that
raises `StageFailed` marks only that photo failed; any other exception (a missing model) stops
the pipeline and is raised to the caller.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from node.index.stage import Stage, StageFailed, Step, Work

T = TypeVar("T")
_DONE = object()  # end of input, passed down the queues


class _Stopped(Exception):
    """The consumer went away; worker threads end quietly."""


def run_pipeline(
    items: Iterable[T],
    prepare: Callable[[T], Work],
    stages: Sequence[Stage],
    *,
    depth: int,
    prepare_workers: int = 2,
) -> Iterator[Work]:
    """`prepare` (hash and decode) on a small pool, then every step of every stage in turn."""
    stop = threading.Event()
    steps = [(stage, step) for stage in stages for step in stage.steps()]
    queues: list[queue.Queue[object]] = [queue.Queue(maxsize=depth) for _ in range(len(steps) + 1)]
    threads = [threading.Thread(target=_feed, args=(items, prepare, queues[0], stop, depth,
                                                    prepare_workers), daemon=True)]  # fmt: skip
    for k, (stage, step) in enumerate(steps):
        threads.append(
            threading.Thread(
                target=_work,
                args=(stage.name, step, queues[k], queues[k + 1], stop),
                name=f"stage-{stage.name}-{k}",
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    try:
        while True:
            item = queues[-1].get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, Work)
            yield item
    finally:
        stop.set()
        for q in queues:  # unblock producers waiting on a full queue
            while True:
                try:
                    q.get_nowait()
                except queue.Empty:
                    break
        for thread in threads:
            thread.join(timeout=5)


def _put(q: queue.Queue[object], item: object, stop: threading.Event) -> None:
    while True:
        if stop.is_set():
            raise _Stopped
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _get(q: queue.Queue[object], stop: threading.Event) -> object:
    while True:
        if stop.is_set():
            raise _Stopped
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            continue


def _feed(
    items: Iterable[T],
    prepare: Callable[[T], Work],
    out: queue.Queue[object],
    stop: threading.Event,
    depth: int,
    workers: int,
) -> None:
    """Prepare up to `depth` items ahead on `workers` threads, passing them on in order."""
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode") as pool:
            window: deque[Future[Work]] = deque()
            for item in items:
                window.append(pool.submit(prepare, item))
                if len(window) >= depth:
                    _put(out, window.popleft().result(), stop)
            while window:
                _put(out, window.popleft().result(), stop)
        _put(out, _DONE, stop)
    except _Stopped:
        return
    except BaseException as exc:  # passed on, raised by the consumer
        _put_quietly(out, exc, stop)


def _work(
    name: str,
    step: Step,
    source: queue.Queue[object],
    out: queue.Queue[object],
    stop: threading.Event,
) -> None:
    """Run `step` on each photo from `source` (on `step.workers` threads), passing photos on in
    the order they came."""

    def one(item: object) -> object:
        if isinstance(item, Work) and item.failed is None and name in item.pending:
            try:
                step.run(item)
            except StageFailed as exc:
                item.failed = str(exc)
        return item

    try:
        with ThreadPoolExecutor(max_workers=step.workers, thread_name_prefix=name) as pool:
            window: deque[Future[object]] = deque()
            while True:
                item = _get(source, stop)
                last = item is _DONE or isinstance(item, BaseException)
                window.append(pool.submit(one, item))
                while window and (last or len(window) >= step.workers):
                    _put(out, window.popleft().result(), stop)
                if last:
                    return
    except _Stopped:
        return
    except BaseException as exc:
        _put_quietly(out, exc, stop)


def _put_quietly(q: queue.Queue[object], item: object, stop: threading.Event) -> None:
    with contextlib.suppress(_Stopped):
        _put(q, item, stop)
