"""The vision models of one run, each made once and shared by every stage that uses it.

Scene labels classify a photo with the ImageNet model and bodies take a crop's appearance
from the same model: one instance (one ONNX session, one copy of the weights) serves both.
Models are keyed by their spec's name and made on first asking; the weights load on their
first prediction (`node.models.runtime`), so a run with nothing to analyse loads nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from node.models.registry import ModelSpec
from node.models.store import ModelStore

M = TypeVar("M")


class VisionModels:
    """The run's vision models over `store`, all on `threads` ONNX Runtime threads.
    Thread-safe: a stage's workers, or two stages, asking at once get the one instance."""

    def __init__(self, store: ModelStore, *, threads: int) -> None:
        self.store, self._threads = store, threads
        self._lock = threading.Lock()
        self._made: dict[str, Any] = {}
        self._reported: set[str] = set()

    def get(self, spec: ModelSpec, make: Callable[[Path, int], M]) -> M:
        """The model of `spec`, made by `make(folder, threads)` the first time it is asked for."""
        with self._lock:
            if spec.name not in self._made:
                self._made[spec.name] = make(self.store.folder(spec.name), self._threads)
            model: M = self._made[spec.name]
            return model

    def first_use(self, spec: ModelSpec) -> bool:
        """Whether this is the first report of a prediction by `spec`'s model in this run: the
        stage that gets True counts its load (`Stage.loaded`), the others used it loaded."""
        with self._lock:
            if spec.name in self._reported:
                return False
            self._reported.add(spec.name)
            return True
