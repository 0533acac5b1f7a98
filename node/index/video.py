"""The video stage: a video's face tracks, as faces, with when each is on screen.

It reads the file itself (`Needs.FILE`: PyAV decodes what Pillow cannot) and runs on videos
only. What it writes for a video: one row in the space's faces table per face track (its best
sighting's box, crop and descriptor; ids `<hash16>-<idx>` like a photo's faces), the video's row
in `videos`, each track's spans in `face_spans`, and the video's poster frame in `thumbnails`
(what a search hit shows). Its `media` row (container format, upright size, date, place,
camera) comes from what the stage read (`Work.described`), dated like a photo.

Its version names the face models and the faces table, like the face stage's, plus the video
pipeline's own: a re-embed, or a change to sampling or tracking, analyses every video again.
It takes the photo pipeline's detector and embedder from the run's shared set
(`node.index.models`), asked for on its first video: a run over photos and videos loads each
once, and the node's indexing keeps them loaded between runs.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import pyarrow as pa

from node.faces.detect import MTCNN_ID
from node.index.faces import version_of
from node.index.models import Models, RunModels
from node.index.stage import Described, Needs, Stage, StageFailed, Work
from node.index.thumbnails import SIDE, make_thumbnail
from node.library.schema import THUMBNAILS, FaceRecord
from node.library.store import Library, Space, StageRows
from node.media.kind import MediaKind
from node.video.analyse import TrackFace, VideoOptions, VideoRecord, analyse
from node.video.read import VideoError, frame_at
from node.video.store import spans_table, video_rows, videos_table
from node.video.track import keep_indexes

PIPELINE = "video-1"  # sampling, tracking and grouping as `node.video` does them now
DATE_SOURCE = "container"  # the video container's own recording time (`node.video.meta`)


class VideoStage(Stage):
    name: ClassVar[str] = "video"
    needs: ClassVar[Needs] = Needs.FILE
    kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.VIDEO})

    def __init__(
        self,
        library: Library,
        space: Space,
        *,
        detect_side: int,
        model_threads: int,
        models: Models,
        options: VideoOptions | None = None,
    ) -> None:
        super().__init__()
        self._library, self._space = library, space
        self._options = options or VideoOptions()
        self.models = RunModels(
            models,
            embedder=space.embedder,
            detect_side=detect_side,
            min_face=self._options.min_face,
            threads=model_threads,
        )
        self.loaded = self.models.loaded

    @property
    def version(self) -> str:
        return f"{version_of(MTCNN_ID, self._space)}/{PIPELINE}"

    def unavailable(self) -> str | None:
        if importlib.util.find_spec("av") is None:
            return "PyAV is not installed (scripts/setup installs it); videos are not indexed"
        return None

    # -- the work --------------------------------------------------------------------------

    def run(self, work: Work) -> None:
        path = Path(work.path)
        try:
            record = self._keep_ids(work, analyse(path, self.models, self._options))
            poster = make_thumbnail(frame_at(path, record.poster, side=2 * SIDE))
        except VideoError as exc:
            raise StageFailed(str(exc)) from exc
        except (RuntimeError, ValueError, TypeError) as exc:  # one video must not end a run
            raise StageFailed(f"face analysis failed: {exc}") from exc
        work.results[self.name] = _Analysed(record, poster.width, poster.height, poster.jpeg)
        work.notes += record.notes
        meta = record.info.meta
        work.described = Described(
            record.info.format, record.width, record.height, meta.taken_at, DATE_SOURCE,
            meta.lat, meta.lon, meta.camera,
        )  # fmt: skip

    def _keep_ids(self, work: Work, record: VideoRecord) -> VideoRecord:
        """Face ids of a video analysed again (another embedder, a new pipeline version) follow
        its earlier tracks by when they are on screen, so the labels on them stay."""
        if work.previous(self.name) is None:
            return record
        rows = self._library.rows_of(spans_table(self._library), "media_hash", [work.hash])
        stored = {
            int(row["face"].rsplit("-", 1)[1]): [(s["start"], s["end"]) for s in row["spans"]]
            for row in rows
        }
        indexes = keep_indexes([f.spans for f in record.faces], stored)
        faces = tuple(replace(f, idx=i) for f, i in zip(record.faces, indexes, strict=True))
        return replace(record, faces=faces)

    def faces_in(self, work: Work) -> int:
        analysed: _Analysed = work.results[self.name]
        return len(analysed.record.faces)

    def rows(self, library: Library, done: Sequence[Work]) -> list[StageRows]:
        """Face tracks into the space's faces table and spans into `face_spans` (replacing
        what an earlier run found for these videos), then the poster thumbnails and the
        videos' own rows."""
        analysed: list[tuple[str, _Analysed]] = [(w.hash, w.results[self.name]) for w in done]
        hashes = [digest for digest, _ in analysed]
        faces = library.faces_of_space(self._space)
        records = [self._face(digest, f) for digest, a in analysed for f in a.record.faces]
        own = [video_rows(digest, a.record) for digest, a in analysed]
        thumbs = [
            {"hash": digest, "width": a.width, "height": a.height, "jpeg": a.jpeg}
            for digest, a in analysed
        ]
        face_rows = pa.Table.from_pylist([f.row() for f in records], faces.schema)
        spans = pa.concat_tables([spans for _, spans in own], promote_options="none")
        videos = pa.concat_tables([video for video, _ in own], promote_options="none")
        return [
            StageRows(faces, "id", face_rows, "media_hash", replace=hashes),
            StageRows(spans_table(library), "face", spans, "media_hash", replace=hashes),
            StageRows(
                library.thumbnail_table, "hash", pa.Table.from_pylist(thumbs, THUMBNAILS), "hash"
            ),
            StageRows(videos_table(library), "hash", videos, "hash"),
        ]

    def _face(self, digest: str, f: TrackFace) -> FaceRecord:
        return FaceRecord(
            digest, f.idx, f.box, f.landmarks, f.score, f.sharpness, self._space.embedder,
            f.embedding, f.thumbnail,
        )  # fmt: skip

    def tables(self, library: Library) -> dict[str, str]:
        return {"videos": "hash", "face_spans": "media_hash", self._space.faces: "media_hash"}


@dataclass(frozen=True)
class _Analysed:
    """What the stage made of one video: its record and its poster frame's thumbnail."""

    record: VideoRecord
    width: int
    height: int
    jpeg: bytes
