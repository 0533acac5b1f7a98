"""The imports stage: what other apps, and the files they left beside a photo, say about it.

- Where each metadata field came from (EXIF, embedded XMP, an XMP sidecar, a Google Takeout
  JSON, the file's time), the time zone, a motion photo's clip and a Live Photo's video, into
  `photo_sources` (`node.media.sources`).
- Names in face regions (digiKam, Lightroom, Picasa, Windows Photo Gallery), matched to the
  faces the face stage found (`after = ("faces",)`), into the label log (`node.media.names`). A
  named region no face matches is searched once more, alone and enlarged
  (`node.media.regions.search_region`); a face found there steadily is stored like any other,
  and its region records that it was found so. Where none is, a region large enough that no
  face covers becomes the face itself (`node.media.regions.region_box`: the region's box, dlib's
  five points fitted inside it, the space's embedder), named by the same import; a smaller one
  is reported, not made a face.
- The people a Takeout JSON lists, kept as hints for suggestions (`node.media.hints`).

The stage reads the file's header, not its pixels (those only when a region must be searched
and no other stage decoded the photo), and the files beside it. Its done marker records their
fingerprint (`Beside.stamp`: paths, sizes, modification times), so a sidecar added, edited or
removed later makes this stage, and only it, run again on that photo; the photo's `media` row
then takes the date and place the sidecars now give (and its place name is looked up again).
`roost index --stage imports` gives a library indexed before this stage existed its imports,
loading a face model only for a region that needs searching.

A content at several paths (copies with the same bytes) is one photo: the first of its paths,
in sorted order, that has a sidecar or video beside it supplies them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from node.faces.align import ShapePredictor
from node.faces.detect import Detection, MtcnnDetector
from node.faces.embed import Embedder, embedder_class
from node.index.faces import FaceStage, new_face
from node.index.models import one_torch_pool
from node.index.stage import Needs, Stage, StageFailed, Step, Work
from node.library.schema import MEDIA, FaceRecord, PhotoRecord, face_id
from node.library.store import Library, Space, StageRows
from node.media import sources
from node.media.beside import beside
from node.media.decode import Decoded, DecodeError, Header, decode, read_header
from node.media.metadata import PhotoInfo
from node.media.names import NamedFace, import_names
from node.media.regions import (
    MIN_IOU,
    SEARCH_SIDES,
    Box,
    FaceRegion,
    iou,
    match_faces,
    region_box,
    search_region,
)
from node.media.sources import FoundBy, ImportCounts, RegionFace, SourceRow
from node.places import PLACES, places_table

# 2: a named region no detector finds a face in may become the face itself, so libraries
# whose imports ran before that read their photos' regions again (headers only).
VERSION = "imports-2"
_REFRESHED = ("taken_at", "taken_local", "taken_at_source", "lat", "lon")


@dataclass
class _Photo:
    """One photo on its way through the stage."""

    path: str  # the path whose sidecars are read
    header: Header
    faces: dict[int, Box]  # the photo's faces now: index → box in original pixels
    regions: list[RegionFace]
    searchable: bool  # new faces may be added (they would land in the space faces go to)
    reuse: dict[str, int]  # region name (casefolded) → index of the face a search found before
    new_faces: list[FaceRecord]


class ImportStage(Stage):
    name: ClassVar[str] = "imports"
    needs: ClassVar[Needs] = Needs.FILE
    after: ClassVar[tuple[str, ...]] = (FaceStage.name,)

    def __init__(
        self, library: Library, space: Space, *, model_threads: int, work_side: int,
        max_pixels: int,
    ) -> None:  # fmt: skip
        super().__init__()
        self._library, self._space, self._threads = library, space, model_threads
        self._work_side, self._max_pixels = work_side, max_pixels
        self._detector: MtcnnDetector | None = None
        self._embedder: Embedder | None = None
        self._aligner: ShapePredictor | None = None
        self.counts = ImportCounts()

    @property
    def version(self) -> str:
        return VERSION

    def stamp(self, paths: Sequence[str]) -> str:
        return beside(Path(_source_path(paths))).stamp()

    def steps(self) -> Sequence[Step]:
        return (Step(self._match), Step(self._search))

    def report(self) -> dict[str, Any]:
        return {"imported": self.counts.to_json()}

    def tables(self, library: Library) -> dict[str, str]:
        return {sources.TABLE: "hash"}

    # -- step 1: read what the photo and its sidecars say; match the named regions -----------

    def _match(self, work: Work) -> None:
        path = _source_path(work.paths or (work.path,))
        header: Header
        if work.decoded is not None and path == work.path:
            header = work.decoded
        else:
            try:
                header = read_header(Path(path))
            except DecodeError as exc:
                raise StageFailed(f"cannot read {path}: {exc}") from exc
        faces, searchable = self._faces(work)
        regions: list[RegionFace] = []
        reuse: dict[str, int] = {}
        if header.info.regions:
            stored = (sources.read(self._library, work.hash) or {}).get("regions", [])
            before = {r["face"]: FoundBy(r["found_by"]) for r in stored if r["found_by"]}
            reuse = {
                r["name"].casefold(): int(r["face"].rsplit("-", 1)[1])
                for r in stored
                if r["found_by"] in (FoundBy.REGION, FoundBy.METADATA)
            }
            indexes = list(faces)
            size = (header.width, header.height)
            for m in match_faces(header.info.regions, list(faces.values()), size):
                face = None if m.face is None else face_id(work.hash, indexes[m.face])
                found = None if face is None else before.get(face, FoundBy.DETECTOR)
                regions.append(RegionFace(m.region, face, found))
        work.results[self.name] = _Photo(path, header, faces, regions, searchable, reuse, [])

    def _faces(self, work: Work) -> tuple[dict[int, Box], bool]:
        """The photo's faces: those the face stage made in this run, else those stored."""
        if FaceStage.name in work.results:
            made: list[FaceRecord] = work.results[FaceStage.name]
            return {f.idx: _box(f.box) for f in made}, True
        table = self._library.faces_of_space(self._space)
        rows = self._library.rows_of(table, "media_hash", [work.hash], ["idx", "box"])
        if not rows and self._space != self._library.meta.space:  # not re-embedded yet
            rows = self._library.rows_of(self._library.faces, "media_hash", [work.hash],
                                         ["idx", "box"])  # fmt: skip
            return {r["idx"]: _box(r["box"]) for r in rows}, False
        return {r["idx"]: _box(r["box"]) for r in rows}, True

    # -- step 2: look inside the named regions no face matched; else take the region itself --

    def _search(self, work: Work) -> None:
        photo: _Photo = work.results[self.name]
        empty = [n for n, r in enumerate(photo.regions) if r.face is None]
        if not empty or not photo.searchable:
            return
        decoded = work.decoded or self._decode(photo.path)
        for n in empty:
            region = photo.regions[n].region
            found, by = self._looked_inside(photo, region, decoded), FoundBy.REGION
            if found is None:
                found, by = self._region_itself(photo, region, decoded), FoundBy.METADATA
            if found is None:
                continue
            idx = photo.reuse.get(region.name.casefold(), -1)
            if idx < 0 or idx in photo.faces:  # the same id as before keeps its label on it
                idx = max(photo.faces, default=-1) + 1
            record = self._embedded(work.hash, idx, found, decoded)
            photo.faces[idx] = _box(record.box)
            photo.new_faces.append(record)
            photo.regions[n] = RegionFace(region, record.id, by)

    def _looked_inside(
        self, photo: _Photo, region: FaceRegion, decoded: Decoded
    ) -> Detection | None:
        """The face the detector finds steadily inside the region, unless a face of the photo
        (taken by another region) is already there."""
        found = search_region(decoded.image, region.box, self._models()[0].detect)
        if found is None:
            return None
        box = tuple(v / decoded.scale for v in found.box)
        if any(iou(_box(box), other) >= MIN_IOU for other in photo.faces.values()):
            return None
        return found

    def _region_itself(
        self, photo: _Photo, region: FaceRegion, decoded: Decoded
    ) -> Detection | None:
        """The region as a face in the working image, when it may be one (`region_box`): its
        box, dlib's five points fitted inside it, and no detector score (0)."""
        size = (photo.header.width, photo.header.height)
        box = region_box(region.box, size, list(photo.faces.values()))
        if box is None:
            return None
        working = _box(tuple(v * decoded.scale for v in box))
        if self._aligner is None:
            self._aligner = ShapePredictor()
        return Detection(working, 0.0, self._aligner.points(decoded.image, working))

    def _decode(self, path: str) -> Decoded:
        try:
            return decode(Path(path), work_side=self._work_side, max_pixels=self._max_pixels)
        except DecodeError as exc:
            raise StageFailed(f"cannot decode {path}: {exc}") from exc

    def _models(self) -> tuple[MtcnnDetector, Embedder]:
        if self._detector is None or self._embedder is None:
            self._detector = MtcnnDetector(detect_side=max(SEARCH_SIDES), threads=self._threads)
            one_torch_pool(self._threads)
            self._embedder = embedder_class(self._space.embedder)()
            self.loaded += [self._detector.id, self._embedder.id]
        return self._detector, self._embedder

    def _embedded(self, digest: str, idx: int, found: Detection, decoded: Decoded) -> FaceRecord:
        embedder = self._models()[1]
        try:
            vector = embedder.embed(decoded.image, [found])[0]
        except (RuntimeError, ValueError, TypeError) as exc:
            raise StageFailed(f"face analysis failed: {exc}") from exc
        return new_face(digest, idx, found, decoded.image, 1 / decoded.scale,
                        self._space.embedder, vector)  # fmt: skip

    # -- writing ---------------------------------------------------------------------------

    def rows(self, library: Library, done: Sequence[Work]) -> list[StageRows]:
        photos: list[tuple[Work, _Photo]] = [(w, w.results[self.name]) for w in done]
        imported = import_names(
            library,
            [
                NamedFace(r.face, r.region.name, r.region.source)
                for _, p in photos
                for r in p.regions
                if r.face is not None
            ],
            [name for _, p in photos for name in p.header.info.people],
        )
        self._count(photos, imported.named, imported.kept, imported.refused)
        rows = [
            SourceRow(w.hash, p.path, p.header.info,
                      tuple(_with_events(r, imported.events) for r in p.regions)).row()
            for w, p in photos
        ]  # fmt: skip
        made = [
            StageRows(
                library.faces_of_space(self._space),
                "id",
                pa.Table.from_pylist(
                    [f.row() for _, p in photos for f in p.new_faces],
                    library.faces_of_space(self._space).schema,
                ),
                "media_hash",
            ),
            StageRows(
                sources.sources_table(library),
                "hash",
                pa.Table.from_pylist(rows, sources.SCHEMA),
                "hash",
            ),
        ]
        return made + _refreshed(library, [(w.hash, p.header.info) for w, p in photos if not w.new])

    def _count(
        self,
        photos: Sequence[tuple[Work, _Photo]],
        named: Sequence[str],
        kept: Sequence[str],
        refused: Sequence[str],
    ) -> None:
        c = self.counts
        c.names_imported += len(named)
        c.names_kept += len(kept)
        c.names_refused += len(refused)
        for _, p in photos:
            info = p.header.info
            c.from_sidecars += info.from_sidecar
            c.people_hints += bool(info.people)
            c.motion_photos += info.clip is not None
            c.live_photos += info.live_video is not None
            made = {f.id for f in p.new_faces}
            by = [r.found_by for r in p.regions if r.face in made]
            c.faces_found_in_regions += by.count(FoundBy.REGION)
            c.faces_from_regions += by.count(FoundBy.METADATA)
            c.regions_without_face += sum(r.face is None for r in p.regions)


def _source_path(paths: Sequence[str]) -> str:
    """Which of a content's paths supplies its sidecars: the first with any beside it, else
    the first that still exists."""
    ordered = sorted(paths)
    if len(ordered) == 1:
        return ordered[0]
    present = [p for p in ordered if os.path.exists(p)] or ordered
    return next((p for p in present if beside(Path(p)).read), present[0])


def _with_events(region: RegionFace, events: dict[str, tuple[str, ...]]) -> RegionFace:
    if region.face is None:
        return region
    return RegionFace(region.region, region.face, region.found_by, events.get(region.face, ()))


def _refreshed(library: Library, infos: Sequence[tuple[str, PhotoInfo]]) -> list[StageRows]:
    """`media` rows of photos indexed before whose date or place the sidecars now change, and
    the removal of their place names, which `derive` then looks up again."""
    if not infos:
        return []
    stored = {r["hash"]: r for r in library.rows_of(library.media, "hash", [h for h, _ in infos])}
    rows: list[dict[str, object]] = []
    moved: list[str] = []
    for digest, info in infos:
        old = stored.get(digest)
        if old is None:
            continue
        record = PhotoRecord(digest, old["format"], old["width"], old["height"], info.taken.at,
                             str(info.taken.source), info.lat, info.lon, old["camera"])  # fmt: skip
        row = record.media_row()
        if any(row[k] != old.get(k) for k in _REFRESHED):
            rows.append(row)
        if (row["lat"], row["lon"]) != (old.get("lat"), old.get("lon")):
            moved.append(digest)
    if not rows:
        return []
    return [
        StageRows(library.media, "hash", pa.Table.from_pylist(rows, MEDIA), "hash"),
        StageRows(places_table(library), "hash", PLACES.empty_table(), "hash", replace=moved),
    ]


def _box(values: Sequence[float]) -> Box:
    return (float(values[0]), float(values[1]), float(values[2]), float(values[3]))
