"""`roost index`: from folders on disk to rows in the library.

    scan → (unchanged and every stage done? stop) → hash → (content known and done? link the
         path) → decode → the stages that have not run on it (faces, thumbnail, …) → batch →
         commit → forget deleted paths → drop orphaned content → derive

Which stages a photo still needs comes from the done markers: a new stage, or a stage whose
version changed, runs over an existing library on its own, and a photo whose stages are all
done is not even opened. Hashing and decoding run ahead of the models and each stage step runs
on its own thread (`node.index.pipeline`). Models load only when the first photo needs them,
once per set of `Models` (a run's own, or one the caller keeps across runs).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from node.derive import derive, forget_face_derivations
from node.faces.detect import MTCNN_ID
from node.faces.embed import DEFAULT_EMBEDDER, embedder_class
from node.index.faces import FaceStage, version_of
from node.index.models import Models
from node.index.pipeline import run_pipeline
from node.index.registry import Context, build
from node.index.stage import Needs, Stage, Work
from node.index.video import VideoStage
from node.library.migrate import migrate
from node.library.schema import FileRecord, Marker, PhotoRecord
from node.library.store import (
    FORMAT_VERSION,
    Batch,
    Library,
    Meta,
    Space,
    write_lock,
)
from node.media.decode import DecodeError, decode
from node.media.kind import MediaKind, kind_of
from node.media.scan import Found, Problem, ScanResult, scan
from node.progress import Reporter
from node.settings import Home
from node.vision.migrate import adopt_vision_markers
from node.vision.shared import VisionModels
from node.vision.stages import store_of


@dataclass(frozen=True)
class IndexOptions:
    embedder: str | None = None  # None: the library's own (DEFAULT_EMBEDDER for a new one)
    reembed: bool = False  # embed every face again, into a new space, then switch to it
    stages: tuple[str, ...] = ()  # run only these stages (empty: all)
    work_side: int = 2048  # long side of the image faces are aligned and cropped from
    # MTCNN searches a copy this long for faces at least `min_face` px there (2.9% of the long
    # side: 58 px on a 2000 px photo). Measured on faces/: 1280 px / 20 px took 1.4x and 960 /
    # 20 1.4x the detection time of 960 / 28, at equal or lower pair accuracy (99.29%, 99.64%,
    # 99.64%) and with the same 64 faces found at 960.
    detect_side: int = 960
    min_face: int = 28
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
    indexed: int = 0  # new content
    updated: int = 0  # content indexed before that some stage ran on again
    unchanged: int = 0
    relinked: int = 0  # new paths of content already indexed: moves and duplicates
    removed: int = 0  # paths that no longer exist
    faces: int = 0
    skipped: list[Problem] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # indexed, with a caveat (a long video)
    models_loaded: list[str] = field(default_factory=list)
    stages_run: dict[str, int] = field(default_factory=dict)  # stage → photos it completed
    stages_skipped: dict[str, str] = field(default_factory=dict)  # stage → why it did not run
    embedder: str = ""
    reembed_pending: int = 0  # photos still to re-embed before the library switches space
    reports: dict[str, Any] = field(default_factory=dict)  # what stages add (`Stage.report`)

    def to_json(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "indexed": self.indexed,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "relinked": self.relinked,
            "removed": self.removed,
            "faces": self.faces,
            "skipped": [vars(p) for p in self.skipped],
            "failed": [vars(p) for p in self.failed],
            "notes": [vars(p) for p in self.notes],
            "models_loaded": self.models_loaded,
            "stages_run": self.stages_run,
            "stages_skipped": self.stages_skipped,
            "embedder": self.embedder,
            "reembed_pending": self.reembed_pending,
            **self.reports,
        }


def content_hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def index(
    roots: Sequence[str | os.PathLike[str]],
    home: Home,
    options: IndexOptions = IndexOptions(),
    reporter: Reporter | None = None,
    models: Models | None = None,
    *,
    wait: bool = False,
) -> Summary:
    """Index the photos under `roots` into `home`'s library, under the index lock.

    `models`: loaded models to share with other runs (the node keeps one set for its life);
    by default this run loads its own. `wait`: wait for another index writer to finish
    instead of refusing with `LibraryBusy` at once."""
    home.ensure()
    if not (home.library / "library.json").exists():
        # A new library needs the models: let the disk read them while the library opens.
        threading.Thread(target=prefetch_models, name="prefetch", daemon=True).start()
    with write_lock(home.library_lock, wait=wait):
        library = open_for_index(home.library, options)
        return _Run(library, options, reporter, models or Models()).run(roots)


def prefetch_models() -> None:
    """Ask the kernel to read the model runtime (torch's and dlib's libraries, the weights) into
    the page cache. Loading them is mostly disk reads (torch's CPU library is 400 MB); done on a
    thread of its own (the calls release the GIL), they overlap with opening the library instead
    of stalling the first photo. Costs only I/O, and nothing where the files are cached."""
    import importlib.util

    files: list[Path] = []
    for package, pattern in (("torch", "lib/*.so*"), ("face_recognition_models", "models/*.dat")):
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            files += Path(folder).glob(pattern)
    spec = importlib.util.find_spec("_dlib_pybind11")
    if spec and spec.origin:
        files.append(Path(spec.origin))
    for file in files:
        try:
            fd = os.open(file, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        finally:
            os.close(fd)


def open_for_index(root: Path, options: IndexOptions) -> Library:
    """Open (or create) the library, migrate an older format, and start a requested re-embed.

    The caller holds the write lock."""
    if not (root / "library.json").exists():
        embedder = options.embedder or DEFAULT_EMBEDDER
        return Library.open(root, embedder=embedder, dim=embedder_class(embedder).dim)
    wanted = None if options.reembed else options.embedder
    library = Library.open(root, embedder=wanted)
    migrate(library, {FaceStage.name: version_of(MTCNN_ID, library.meta.space)})
    adopt_vision_markers(library)
    library.drop_stray_faces_tables()
    if options.reembed:
        target = options.embedder or library.embedder
        pending = library.meta.next_space
        if pending is None or pending.embedder != target:
            if pending is not None:
                library.drop_table(pending.faces)
            space = Space(target, embedder_class(target).dim, _new_faces_name(library, target))
            library.set_meta(Meta(library.format, library.meta.space, space))
    return library


def _new_faces_name(library: Library, embedder: str) -> str:
    taken = {library.meta.space.faces}
    name, n = f"faces-{embedder}", 1
    while name in taken:
        n += 1
        name = f"faces-{embedder}-{n}"
    return name


@dataclass(frozen=True)
class _Todo:
    found: Found
    known_hash: str | None  # the content hash, when the file is unchanged since it was hashed


class _Run:
    def __init__(
        self, library: Library, options: IndexOptions, reporter: Reporter | None, models: Models
    ) -> None:
        self.library, self.options, self.reporter = library, options, reporter
        self.summary = Summary(embedder=library.embedder)
        space = library.meta.next_space or library.meta.space
        context = Context(
            library,
            space,
            options.detect_side,
            options.min_face,
            options.model_threads,
            models,
            options.work_side,
            options.max_pixels,
            VisionModels(store_of(library), threads=options.model_threads),
        )
        self.context = context
        self.stages: list[Stage] = []
        for stage in build(context, options.stages):
            reason = stage.unavailable()
            if reason is None:
                self.stages.append(stage)
            else:
                self.summary.stages_skipped[stage.name] = reason
        self.versions = {s.name: s.version for s in self.stages}
        self.markers = library.markers()
        self.known = library.known_files()
        self.paths: dict[str, list[str]] = {}  # content hash → its known paths
        for record in self.known.values():
            self.paths.setdefault(record.hash, []).append(record.path)
        self.media = library.media_hashes()
        self.claimed: set[str] = set()  # content some item of this run processes
        self.claim_lock = threading.Lock()
        self.batch = Batch()
        self.done: dict[str, list[Work]] = {}  # stage → photos it completed in this batch
        self.batch_photos = 0
        self.attempted: set[str] = set()

    def pending(self, digest: str, path: str, kind: MediaKind | None) -> dict[str, str | None]:
        """Stages of this run not done on `digest` as they would be now: name → old version."""
        return self.plan(digest, path, kind)[0]

    def plan(
        self, digest: str, path: str, kind: MediaKind | None
    ) -> tuple[dict[str, str | None], dict[str, str]]:
        """The stages to run on `digest` (found at `path`, content of this kind), with the
        version each last ran at, and what each one's marker will record (`target`).

        A stage runs again where a stage whose rows it reads (`after`) runs, and waits where
        one of those never ran and does not run now."""
        paths = self.paths_of(digest, path)
        left: dict[str, str | None] = {}
        targets: dict[str, str] = {}
        for stage in self.stages:
            if kind not in stage.kinds:
                continue
            before = self.markers.get(stage.name, {}).get(digest)
            if any(s not in left and digest not in self.markers.get(s, {}) for s in stage.after):
                continue
            target = _target(stage, paths)
            if before != target or any(s in left for s in stage.after):
                left[stage.name], targets[stage.name] = before, target
        return left, targets

    def paths_of(self, digest: str, path: str) -> tuple[str, ...]:
        return tuple(sorted({*self.paths.get(digest, ()), path}))

    def run(self, roots: Sequence[str | os.PathLike[str]]) -> Summary:
        found = scan(roots)
        s = self.summary
        s.seen, s.skipped, s.failed = found.seen, list(found.skipped), list(found.failed)
        todo = [t for t in map(self._todo, found.media) if t is not None]
        s.unchanged = len(found.media) - len(todo)
        todo += self._outside_roots(found)
        self.found = {t.found.path: t.found for t in todo}
        if self.reporter:
            self.reporter.start(len(todo))
        try:
            for work in run_pipeline(todo, self._prepare, self.stages, depth=self.options.prefetch):
                faces = self._consume(work)
                if self.reporter:
                    self.reporter.advance(faces)
            self._commit()
        finally:
            if self.reporter:
                self.reporter.finish()
        self._prune(found)
        self._finish_reembed()
        derive(self.library)
        s.models_loaded = [model for stage in self.stages for model in stage.loaded]
        for stage in self.stages:
            s.reports.update(stage.report())
        return s

    def _todo(self, f: Found) -> _Todo | None:
        known = self.known.get(f.path)
        if known is None or known.size != f.size or known.mtime_ns != f.mtime_ns:
            return _Todo(f, None)
        if known.hash in self.media and not self.pending(known.hash, f.path, kind_of(f.path)):
            return None  # unchanged
        return _Todo(f, known.hash)

    def _outside_roots(self, found: ScanResult) -> list[_Todo]:
        """During a re-embed, every photo of the library must be done before the switch, also
        those outside the folders this run walks: each is read from one of its known paths."""
        if self.library.meta.next_space is None or FaceStage.name not in self.versions:
            return []
        reached = {self.known[f.path].hash for f in found.media if f.path in self.known}
        first_path: dict[str, FileRecord] = {}
        for record in sorted(self.known.values(), key=lambda r: r.path):
            first_path.setdefault(record.hash, record)
        return [
            _Todo(Found(record.path, record.size, record.mtime_ns), digest)
            for digest, record in sorted(first_path.items())
            if digest not in reached
            and digest in self.media
            and self.pending(digest, record.path, kind_of(record.path))
        ]

    def _prepare(self, todo: _Todo) -> Work:
        f = todo.found
        try:
            digest = todo.known_hash or content_hash(f.path)
        except OSError as exc:
            return Work("", f.path, {}, failed=f"cannot read: {exc.strerror or exc}")
        kind = kind_of(f.path) or MediaKind.PHOTO
        with self.claim_lock:  # one item per content does the work; its copies only link
            if digest in self.claimed:
                return Work(digest, f.path, {})  # a duplicate of content this run handles
            new, (pending, targets) = digest not in self.media, self.plan(digest, f.path, kind)
            if not new and not pending:
                return Work(digest, f.path, {})  # moved or copied: its content is done
            self.claimed.add(digest)
        paths = self.paths_of(digest, f.path)
        work = Work(digest, f.path, pending, new=new, kind=kind, paths=paths, targets=targets)
        if kind is not MediaKind.PHOTO:  # read by its own stage, which must be in this run
            if new and not pending:
                work.failed = f"not indexed: no stage of this run reads a {kind}"
            return work
        if new or any(s.needs is Needs.IMAGE for s in self.stages if s.name in pending):
            try:
                work.decoded = decode(
                    Path(f.path),
                    work_side=self.options.work_side,
                    max_pixels=self.options.max_pixels,
                )
            except DecodeError as exc:
                work.failed = str(exc)
        return work

    def _consume(self, work: Work) -> int:
        """Take one photo the stages are done with; return the number of faces it added."""
        path = work.path
        found = self.found[path]
        self.attempted.add(work.hash)
        if work.failed is not None:
            self.summary.failed.append(Problem(path, work.failed))
            return 0
        faces = 0
        if work.new or work.pending:
            if work.new:
                self.batch.photos.append(_photo(work, found))
                self.media.add(work.hash)
                self.summary.indexed += 1
            else:
                self.summary.updated += 1
            for name in work.pending:
                self.done.setdefault(name, []).append(work)
                self.summary.stages_run[name] = self.summary.stages_run.get(name, 0) + 1
            faces = sum(s.faces_in(work) for s in self.stages if s.name in work.pending)
            self.summary.faces += faces
            self.summary.notes += [Problem(path, note) for note in work.notes]
            work.decoded = None  # the results are all that is kept until the commit
            self.batch_photos += 1
        elif self.known.get(path) is None or self.known[path].hash != work.hash:
            self.summary.relinked += 1
        record = FileRecord(path, work.hash, found.size, found.mtime_ns)
        if self.known.get(path) != record:
            self.batch.files.append(record)
        if self.batch_photos >= self.options.batch_size or len(self.batch.files) >= 1000:
            self._commit()
        return faces

    def _commit(self) -> None:
        batch = self.batch
        for stage in self.stages:
            works = self.done.get(stage.name, [])
            if works:
                batch.stage_rows += stage.rows(self.library, works)
                for w in works:
                    version = w.targets.get(stage.name, stage.version)
                    batch.markers.append(Marker(stage.name, w.hash, version))
                    self.markers.setdefault(stage.name, {})[w.hash] = version
        if batch.stage_rows or batch.photos or batch.files:
            self.library.write(batch)
        self.batch, self.done, self.batch_photos = Batch(), {}, 0

    def _prune(self, found: ScanResult) -> None:
        s = self.summary
        present = {f.path for f in found.media} | {p.path for p in found.skipped + found.failed}
        gone = [
            p for p in self.known if p not in present and _under(p, found.roots, found.incomplete)
        ]
        self.library.forget_paths(gone)
        s.removed = len(gone)
        tables: dict[str, str] = {}
        for stage in build(self.context):  # also the tables of stages this run skips
            tables.update(stage.tables(self.library))
        dropped = self.library.drop_orphans(tables)
        if s.indexed or s.updated or s.relinked or s.removed or dropped:
            self.library.compact()

    def _finish_reembed(self) -> None:
        """Switch to the new embedding space once every photo has been tried in it."""
        meta = self.library.meta
        if meta.next_space is None or FaceStage.name not in self.versions:
            return
        # Each content's faces come from the stage for its kind: photos' from the face stage,
        # videos' from the video stage; both write into the space being built.
        spaced = [s for s in self.stages if s.name in (FaceStage.name, VideoStage.name)]
        left = [
            h
            for h in self.library.media_hashes()
            if not any(self.markers.get(s.name, {}).get(h) == s.version for s in spaced)
        ]
        untried = [h for h in left if h not in self.attempted]
        self.summary.reembed_pending = len(untried)
        if untried:
            return
        forget_face_derivations(self.library)  # clusters of the old space must not survive it
        old = meta.space.faces
        self.library.set_meta(Meta(FORMAT_VERSION, meta.next_space))
        self.library.drop_table(old)
        self.summary.embedder = self.library.embedder


def _photo(work: Work, found: Found) -> PhotoRecord:
    """The media row of new content. A photo's is what decoding told (`Decoded.record`, dated
    by `node.media.metadata`'s rules); content a stage read itself (a video) is dated by the
    file's mtime when it carries no date."""
    if work.described is None:
        assert work.decoded is not None, "new content is either decoded or read by its stage"
        return work.decoded.record(work.hash)
    described = work.described
    taken, source = described.taken_at, described.taken_at_source
    if taken is None:
        taken = datetime.fromtimestamp(found.mtime_ns / 1e9).astimezone()
        source = "file"
    return PhotoRecord(
        hash=work.hash,
        format=described.format,
        width=described.width,
        height=described.height,
        taken_at=taken,
        taken_at_source=source,
        lat=described.lat,
        lon=described.lon,
        camera=described.camera,
    )


def _target(stage: Stage, paths: Sequence[str]) -> str:
    """What a stage's done marker records: its version, and the fingerprint of what it reads
    beside the content (`Stage.stamp`) when that is anything."""
    stamp = stage.stamp(paths)
    return f"{stage.version}#{stamp}" if stamp else stage.version


def _under(path: str, roots: list[str], incomplete: list[str]) -> bool:
    """Whether `path` lies in what this run walked completely, so its absence means deletion."""

    def inside(p: str, folder: str) -> bool:
        return p == folder or p.startswith(folder.rstrip(os.sep) + os.sep)

    return any(inside(path, r) for r in roots) and not any(inside(path, i) for i in incomplete)
