"""What `roost index` does with a video: analyse it, and the rows that record it.

A video becomes what a photo becomes — a `media` row (its container format, upright size,
date, place, camera) and one `faces` row per face track — plus its rows in `videos` and
`face_spans` (`node.video.store`). Dates follow the photo rules: the container's recording
time when it has one (source `container`), else the file's modification time (source `file`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from node.library.schema import FaceRecord, PhotoRecord
from node.library.store import Library
from node.video.analyse import VideoRecord
from node.video.read import VIDEO_SUFFIXES
from node.video.store import forget_videos, videos_table

DATE_SOURCE = "container"


def is_video(path: str) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def media_record(digest: str, record: VideoRecord, mtime_ns: int, embedder: str) -> PhotoRecord:
    """The video's `media` row and its tracks' `faces` rows."""
    meta = record.info.meta
    taken, source = meta.taken_at, DATE_SOURCE
    if taken is None:
        taken, source = datetime.fromtimestamp(mtime_ns / 1e9).astimezone(), "file"
    faces = tuple(
        FaceRecord(
            idx=f.idx,
            box=f.box,
            landmarks=f.landmarks,
            score=f.score,
            sharpness=f.sharpness,
            embedding=f.embedding,
            thumbnail=f.thumbnail,
        )
        for f in record.faces
    )
    return PhotoRecord(
        hash=digest,
        format=record.info.format,
        width=record.width,
        height=record.height,
        taken_at=taken,
        taken_at_source=source,
        lat=meta.lat,
        lon=meta.lon,
        camera=meta.camera,
        embedder=embedder,
        faces=faces,
    )


def prune_videos(library: Library) -> int:
    """Drop the video rows of content that left `media` (no file points at it any more)."""
    table = videos_table(library)
    if not table.count_rows():
        return 0
    held = set(table.search().select(["hash"]).limit(None).to_arrow()["hash"].to_pylist())
    gone = sorted(held - library.processed_hashes())
    forget_videos(library, gone)
    return len(gone)
