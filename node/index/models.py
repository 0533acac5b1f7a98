"""The face models indexing runs on, loaded once and kept by whoever owns the set.

A `roost index` run makes its own set, so its models go when it ends. The node's indexing
owns one for the node's life (`node.watch.keeper`), so a photo arriving in a watched folder
pays for detecting and embedding its faces, not for loading the models again (seconds on a
CPU). The set keeps one detector and one embedder: a run asking for other settings (another
embedder after `--reembed`) replaces the one held, so it never grows.
"""

from __future__ import annotations

import threading

from node.faces.detect import MtcnnDetector
from node.faces.embed import Embedder, embedder_class


class Models:
    """Loaded models for the runs that share this set. Thread-safe: both detection threads
    of a run ask at once, and one load serves them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._detector: tuple[tuple[int, int, int], MtcnnDetector] | None = None
        self._embedder: tuple[str, Embedder] | None = None

    def detector(
        self, *, detect_side: int, min_face: int, threads: int
    ) -> tuple[MtcnnDetector, bool]:
        """MTCNN with these settings, and whether this call loaded it."""
        key = (detect_side, min_face, threads)
        with self._lock:
            if self._detector is not None and self._detector[0] == key:
                return self._detector[1], False
            one_torch_pool(threads)
            detector = MtcnnDetector(detect_side=detect_side, min_face=min_face, threads=threads)
            self._detector = key, detector
            return detector, True

    def embedder(self, name: str, *, threads: int) -> tuple[Embedder, bool]:
        """The embedder called `name`, and whether this call loaded it."""
        with self._lock:
            if self._embedder is not None and self._embedder[0] == name:
                return self._embedder[1], False
            one_torch_pool(threads)
            embedder = embedder_class(name)()
            self._embedder = name, embedder
            return embedder, True


class RunModels:
    """One stage's view of a shared set: the detector and embedder at its settings, each asked
    for on first use, with the ids of those this view's asking loaded in `loaded` (a model the
    set already held, for another stage or an earlier run, is not loaded again).
    It is what `node.video.analyse` takes as its `FaceModels`."""

    def __init__(
        self, models: Models, *, embedder: str, detect_side: int, min_face: int, threads: int
    ) -> None:
        self._models, self._embedder_id, self._threads = models, embedder, threads
        self._detect_side, self._min_face = detect_side, min_face
        self.loaded: list[str] = []  # ids of the models loaded, in order

    @property
    def detector(self) -> MtcnnDetector:
        detector, loaded = self._models.detector(
            detect_side=self._detect_side, min_face=self._min_face, threads=self._threads
        )
        if loaded:
            self.loaded.append(detector.id)
        return detector

    @property
    def embedder(self) -> Embedder:
        embedder, loaded = self._models.embedder(self._embedder_id, threads=self._threads)
        if loaded:
            self.loaded.append(embedder.id)
        return embedder


def one_torch_pool(threads: int) -> None:
    """Torch's intra-op threads are per process: the detector and embedder share `threads`."""
    import torch

    torch.set_num_threads(threads)
