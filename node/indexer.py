"""`roost index`: the stages from a folder on disk to rows in the library.

    scan → (unchanged? stop) → hash → (content known? link the path) → decode → detect
         → embed → batch → commit → forget deleted paths → drop orphaned content

Hashing and decoding run in a small thread pool ahead of the models (both release the GIL),
so the CPU-bound detector rarely waits for the disk. Models load only when the first photo
actually needs them: a run over an unchanged library loads none.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from node.derive import derive
from node.faces.crop import sharpness, thumbnail
from node.faces.detect import MtcnnDetector
from node.faces.embed import DEFAULT_EMBEDDER, Embedder, embedder_class
from node.library.schema import FaceRecord, FileRecord, PhotoRecord
from node.library.store import Library, write_lock
from node.media.decode import Decoded, DecodeError, decode
from node.media.scan import Found, Problem, scan
from node.models.store import ModelStore
from node.progress import Reporter
from node.settings import Home
from node.vision.stage import update_vision


@dataclass(frozen=True)
class IndexOptions:
    embedder: str = DEFAULT_EMBEDDER
    work_side: int = 2048  # long side of the image faces are aligned and cropped from
    detect_side: int = 1280  # long side MTCNN searches
    max_pixels: int = 100_000_000  # refuse decodes larger than this (after JPEG scaling)
    batch_size: int = 16  # photos per commit: the most work a kill can cost
    prefetch: int = 4  # files hashed and decoded ahead of the models
    # Torch's intra-op threads spin against anything else on the CPU (our decode threads, the
    # user's other programs); measured on 2 cores under load, 2 threads ran MTCNN 4-20x slower
    # than 1. Half the cores for the models leaves the rest for decoding.
    model_threads: int = max(1, (os.cpu_count() or 2) // 2)


@dataclass
class Summary:
    seen: int = 0
    indexed: int = 0
    unchanged: int = 0
    relinked: int = 0  # new paths of content already indexed: moves and duplicates
    removed: int = 0  # paths that no longer exist
    faces: int = 0
    skipped: list[Problem] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)
    models_loaded: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # stages skipped, and why

    def to_json(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "indexed": self.indexed,
            "unchanged": self.unchanged,
            "relinked": self.relinked,
            "removed": self.removed,
            "faces": self.faces,
            "skipped": [vars(p) for p in self.skipped],
            "failed": [vars(p) for p in self.failed],
            "models_loaded": self.models_loaded,
            "notes": self.notes,
        }


class Models:
    """The detector and embedder, each loaded on first use."""

    def __init__(self, options: IndexOptions) -> None:
        self._options = options
        self.loaded: list[str] = []

    @cached_property
    def detector(self) -> MtcnnDetector:
        detector = MtcnnDetector(
            detect_side=self._options.detect_side, threads=self._options.model_threads
        )
        self.loaded.append(detector.id)
        return detector

    @cached_property
    def embedder(self) -> Embedder:
        embedder: Embedder = embedder_class(self._options.embedder)()
        self.loaded.append(embedder.id)
        return embedder


@dataclass(frozen=True)
class _Prepared:
    found: Found
    hash: str | None = None
    decoded: Decoded | None = None
    problem: str | None = None


def content_hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def index(
    roots: Sequence[str | os.PathLike[str]],
    home: Home,
    options: IndexOptions = IndexOptions(),
    reporter: Reporter | None = None,
) -> Summary:
    home.ensure()
    with write_lock(home.library_lock):
        library = Library.open(
            home.library, embedder=options.embedder, dim=embedder_class(options.embedder).dim
        )
        return _Run(library, options, reporter, ModelStore.for_home(home)).run(roots)


class _Run:
    def __init__(
        self, library: Library, options: IndexOptions, reporter: Reporter | None, store: ModelStore
    ) -> None:
        self.library, self.options, self.reporter, self.store = library, options, reporter, store
        self.models = Models(options)
        self.summary = Summary()
        self.known = library.known_files()
        self.processed = library.processed_hashes()
        self.batch: list[PhotoRecord] = []
        self.links: list[FileRecord] = []

    def run(self, roots: Sequence[str | os.PathLike[str]]) -> Summary:
        found = scan(roots)
        s = self.summary
        s.seen, s.skipped, s.failed = found.seen, list(found.skipped), list(found.failed)
        todo = [f for f in found.media if not self._unchanged(f)]
        s.unchanged = len(found.media) - len(todo)
        if self.reporter:
            self.reporter.start(len(todo))
        try:
            for item in self._prepare_ahead(todo):
                faces = self._consume(item)
                if self.reporter:
                    self.reporter.advance(faces)
            self._commit()
        finally:
            if self.reporter:
                self.reporter.finish()
        present = {f.path for f in found.media} | {p.path for p in found.skipped + found.failed}
        gone = [
            p for p in self.known if p not in present and _under(p, found.roots, found.incomplete)
        ]
        self.library.forget_paths(gone)
        s.removed = len(gone)
        dropped = self.library.drop_orphans()
        if s.indexed or s.relinked or s.removed or dropped:
            self.library.compact()
        vision = update_vision(self.library, self.store, threads=self.options.model_threads)
        s.failed += vision.failed
        s.notes += vision.notes
        derive(self.library)
        s.models_loaded = self.models.loaded + vision.models_loaded
        return s

    def _unchanged(self, f: Found) -> bool:
        known = self.known.get(f.path)
        return (
            known is not None
            and known.size == f.size
            and known.mtime_ns == f.mtime_ns
            and known.hash in self.processed
        )

    def _prepare_ahead(self, todo: list[Found]) -> Iterator[_Prepared]:
        """Hash and decode up to `prefetch` files ahead, yielding them in order."""
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="decode") as pool:
            window: deque[Future[_Prepared]] = deque()
            pending = iter(todo)
            for f in pending:
                window.append(pool.submit(self._prepare, f))
                if len(window) >= self.options.prefetch:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()

    def _prepare(self, f: Found) -> _Prepared:
        try:
            digest = content_hash(f.path)
        except OSError as exc:
            return _Prepared(f, problem=f"cannot read: {exc.strerror or exc}")
        if digest in self.processed:
            return _Prepared(f, hash=digest)
        try:
            decoded = decode(
                Path(f.path), work_side=self.options.work_side, max_pixels=self.options.max_pixels
            )
        except DecodeError as exc:
            return _Prepared(f, hash=digest, problem=str(exc))
        return _Prepared(f, hash=digest, decoded=decoded)

    def _consume(self, item: _Prepared) -> int:
        """Process one prepared file; return the number of faces it added."""
        f, faces = item.found, 0
        if item.hash is None or (item.decoded is None and item.hash not in self.processed):
            self.summary.failed.append(Problem(f.path, item.problem or "unreadable"))
            return 0
        if item.hash in self.processed:  # moved, copied, or a duplicate earlier in this run
            self.summary.relinked += 1
        else:
            assert item.decoded is not None
            try:
                record = self._analyse(item.hash, item.decoded, f)
            except (RuntimeError, ValueError, TypeError) as exc:  # one photo must not end a run
                self.summary.failed.append(Problem(f.path, f"face analysis failed: {exc}"))
                return 0
            self.batch.append(record)
            self.processed.add(item.hash)
            self.summary.indexed += 1
            faces = len(record.faces)
            self.summary.faces += faces
        self.links.append(FileRecord(f.path, item.hash, f.size, f.mtime_ns))
        if len(self.batch) >= self.options.batch_size or len(self.links) >= 1000:
            self._commit()
        return faces

    def _analyse(self, digest: str, decoded: Decoded, f: Found) -> PhotoRecord:
        image = decoded.image
        detections = self.models.detector.detect(image)
        vectors = self.models.embedder.embed(image, detections)
        to_original = 1.0 / decoded.scale
        faces = tuple(
            FaceRecord(
                idx=i,
                box=_scaled(d.box, to_original),
                landmarks=_scaled(d.landmarks, to_original),
                score=round(d.score, 6),
                sharpness=sharpness(image, d.box),
                embedding=vectors[i],
                thumbnail=thumbnail(image, d.box),
            )
            for i, d in enumerate(detections)
        )
        meta = decoded.meta
        taken, source = meta.taken_at, "exif"
        if taken is None:
            taken = datetime.fromtimestamp(f.mtime_ns / 1e9).astimezone()
            source = "file"
        return PhotoRecord(
            hash=digest,
            format=decoded.format,
            width=decoded.width,
            height=decoded.height,
            taken_at=taken,
            taken_at_source=source,
            lat=meta.lat,
            lon=meta.lon,
            camera=meta.camera,
            embedder=self.options.embedder,
            faces=faces,
        )

    def _commit(self) -> None:
        if self.batch or self.links:
            self.library.write(self.batch, self.links)
            self.batch, self.links = [], []


def _scaled(values: Iterable[float], factor: float) -> tuple[float, ...]:
    return tuple(round(v * factor, 1) for v in values)


def _under(path: str, roots: list[str], incomplete: list[str]) -> bool:
    """Whether `path` lies in what this run walked completely, so its absence means deletion."""

    def inside(p: str, folder: str) -> bool:
        return p == folder or p.startswith(folder.rstrip(os.sep) + os.sep)

    return any(inside(path, r) for r in roots) and not any(inside(path, i) for i in incomplete)
