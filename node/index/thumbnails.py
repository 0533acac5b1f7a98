"""The thumbnail stage: one small JPEG per photo, made while the photo is decoded anyway.

A search hit shown on another family device carries this thumbnail, so answering a peer never
decodes an original, and a photo's bytes never leave the device. It is at most `SIDE` pixels on
the long side and at most `MAX_BYTES` long: the quality steps down until it fits (a 256 px photo
is 8–20 KB at quality 75; only very busy images need the lower steps).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa
from PIL import Image

from node.index.stage import Needs, Stage, StageFailed, Work
from node.library.schema import THUMBNAILS
from node.library.store import Library, StageRows

SIDE = 256
MAX_BYTES = 32 * 1024
QUALITIES = (75, 60, 45, 30, 20)


@dataclass(frozen=True)
class Thumbnail:
    width: int
    height: int
    jpeg: bytes


def make_thumbnail(image: Image.Image) -> Thumbnail:
    """The photo at most SIDE px long, as the best-quality JPEG of at most MAX_BYTES."""
    scale = min(1.0, SIDE / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    small = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    for quality in QUALITIES:
        out = io.BytesIO()
        small.save(out, format="JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_BYTES:
            return Thumbnail(small.width, small.height, out.getvalue())
    raise StageFailed(f"no thumbnail of {MAX_BYTES} bytes or less at quality {QUALITIES[-1]}")


class ThumbnailStage(Stage):
    name: ClassVar[str] = "thumbnail"
    needs: ClassVar[Needs] = Needs.IMAGE

    @property
    def version(self) -> str:
        return f"jpeg-{SIDE}px-{MAX_BYTES}b"

    def run(self, work: Work) -> None:
        assert work.decoded is not None
        work.results[self.name] = make_thumbnail(work.decoded.image)

    def rows(self, library: Library, done: Sequence[Work]) -> list[StageRows]:
        rows = []
        for w in done:
            thumb: Thumbnail = w.results[self.name]
            rows.append(
                {"hash": w.hash, "width": thumb.width, "height": thumb.height, "jpeg": thumb.jpeg}
            )
        data = pa.Table.from_pylist(rows, THUMBNAILS)
        return [StageRows(library.thumbnail_table, "hash", data, "hash")]
