"""Named face rectangles other apps wrote into XMP, and which detected face each one is.

Two vocabularies carry them:

- MWG regions (`mwg-rs:Regions`: digiKam, Lightroom, Picasa, Apple Photos exports): a centre
  and size, normalised to `AppliedToDimensions`, which are the dimensions of the image *as
  stored*. In a file with EXIF orientation 5–8 those are the sideways dimensions, and the
  rectangle must be turned with the pixels.
- Microsoft regions (`MP:RegionInfo`, Windows Photo Gallery): a top-left corner and size,
  normalised to the image *as displayed* (the test file rotated by orientation 6 carries the
  same rectangles as its upright twin).

Everything here is pure: XMP properties and sizes in, boxes in upright normalised coordinates
out, then matched one-to-one to the boxes the face detector found. A region no detected face
overlaps is searched once more (`search_region`): a person named a face there, so the detector
looks at that part of the photo alone, enlarged, at its normal score threshold, and a face it
finds there steadily becomes a face like any other. Otherwise a named region that no face
covers and that is large enough (`MIN_REGION_SIDE`) is itself made the face (`region_box`), as
digiKam and Immich do with the regions they import: someone drew it around a face and named it,
which is more than the detector can say of a face in profile. A smaller one is only reported.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image

from node.faces.detect import Detection
from node.media import xmp
from protocol.labels import Source

Box = tuple[float, float, float, float]  # x1, y1, x2, y2

MIN_IOU = 0.3  # overlap that makes a region and a detected face the same face
MAX_NAME = 80
# Looking inside a region: the crop is the region grown by each margin (a fraction of its size,
# on every side), scaled so that its long side is each of the sides; a face must be found in
# at least STEADY of those views, every box within STEADY_IOU of their median.
SEARCH_MARGINS = (0.25, 0.5)
SEARCH_SIDES = (160, 240, 320)
STEADY = 5
STEADY_IOU = 0.5
# A named region the detector finds no face in becomes a face itself when its shorter side is
# at least this many pixels of the original: dlib's chip is 150 px, and a face drawn smaller
# than this gives the shape predictor and the descriptor too little to work on.
MIN_REGION_SIDE = 40
# A face whose box lies this much (intersection over the smaller box) inside the region, or the
# region inside it, is already that region's face: no second one is made there.
COVERED = 0.5


@dataclass(frozen=True)
class FaceRegion:
    name: str
    box: Box  # upright, normalised to [0, 1]
    source: Source  # the vocabulary it came from, also the source of the names it gives


@dataclass(frozen=True)
class Match:
    region: FaceRegion
    face: int | None  # index into the detected faces; None: no detected face is there
    overlap: float


def read_regions(
    props: xmp.Properties, *, orientation: int, stored_size: tuple[int, int]
) -> list[FaceRegion]:
    """Named face regions in upright normalised coordinates: MWG's when the packet has any
    (they say which dimensions they apply to), else Microsoft's."""
    return _mwg(props, orientation, stored_size) or _microsoft(props)


def _mwg(props: xmp.Properties, orientation: int, stored: tuple[int, int]) -> list[FaceRegion]:
    regions = xmp.struct(props.get("mwg-rs:Regions"))
    applied = xmp.struct(regions.get("mwg-rs:AppliedToDimensions"))
    dims = (_number(xmp.text(applied, "stDim:w")), _number(xmp.text(applied, "stDim:h")))
    listed = regions.get("mwg-rs:RegionList")
    found = []
    for item in listed if isinstance(listed, list) else []:
        region = xmp.struct(item)
        kind = xmp.text(region, "mwg-rs:Type")
        name = _name(xmp.text(region, "mwg-rs:Name"))
        area = xmp.struct(region.get("mwg-rs:Area"))
        values = [_number(xmp.text(area, f"stArea:{k}")) for k in "xywh"]
        if name is None or (kind is not None and kind != "Face") or None in values:
            continue
        x, y, w, h = (v for v in values if v is not None)
        if xmp.text(area, "stArea:unit") == "pixel":
            if dims[0] is None or dims[1] is None or not dims[0] or not dims[1]:
                continue
            x, w, y, h = x / dims[0], w / dims[0], y / dims[1], h / dims[1]
        box = _clipped((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        if box is None:
            continue
        if _in_stored_frame(dims, orientation, stored):
            box = to_upright(box, orientation)
        found.append(FaceRegion(name, box, Source.XMP_MWG_REGIONS))
    return found


def _in_stored_frame(
    applied: tuple[float | None, float | None], orientation: int, stored: tuple[int, int]
) -> bool:
    """Whether MWG coordinates are in the stored (sideways) frame, as the standard says.

    Some writers apply the rotation first; their AppliedToDimensions then match the upright
    image instead. Only a quarter turn makes the two distinguishable, and only when the image
    is not square; otherwise the standard's reading is taken.
    """
    if orientation in (1, 2, 3, 4) or orientation not in range(1, 9):
        return True
    w, h = applied
    if not w or not h or stored[0] == stored[1]:
        return True
    stored_ratio, applied_ratio = stored[0] / stored[1], w / h
    return abs(math.log(applied_ratio / stored_ratio)) <= abs(
        math.log(applied_ratio * stored_ratio)
    )


def _microsoft(props: xmp.Properties) -> list[FaceRegion]:
    info = xmp.struct(props.get("MP:RegionInfo"))
    listed = info.get("MPRI:Regions")
    found = []
    for item in listed if isinstance(listed, list) else []:
        region = xmp.struct(item)
        name = _name(xmp.text(region, "MPReg:PersonDisplayName"))
        parts = [_number(p) for p in (xmp.text(region, "MPReg:Rectangle") or "").split(",")]
        if name is None or len(parts) != 4 or None in parts:
            continue
        x, y, w, h = (p for p in parts if p is not None)
        box = _clipped((x, y, x + w, y + h))
        if box is not None:
            found.append(FaceRegion(name, box, Source.XMP_MP_REGIONS))
    return found


def to_upright(box: Box, orientation: int) -> Box:
    """A normalised box in the stored frame, in the frame of the image as displayed."""
    (ax, ay), (bx, by) = _turn(box[0], box[1], orientation), _turn(box[2], box[3], orientation)
    return (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))


def _turn(x: float, y: float, orientation: int) -> tuple[float, float]:
    """Where EXIF orientation `orientation` moves the stored point (x, y) (normalised)."""
    return {
        2: (1 - x, y),
        3: (1 - x, 1 - y),
        4: (x, 1 - y),
        5: (y, x),
        6: (1 - y, x),
        7: (1 - y, 1 - x),
        8: (y, 1 - x),
    }.get(orientation, (x, y))


def match_faces(
    regions: Sequence[FaceRegion], faces: Sequence[Box], size: tuple[int, int]
) -> list[Match]:
    """Pair each region with at most one detected face (upright pixel boxes in an image of
    `size`), greatest overlap first; each face takes at most one region."""
    width, height = size
    pairs = []
    for r, region in enumerate(regions):
        x1, y1, x2, y2 = region.box
        pixels = (x1 * width, y1 * height, x2 * width, y2 * height)
        for f, face in enumerate(faces):
            overlap = iou(pixels, face)
            if overlap >= MIN_IOU:
                pairs.append((overlap, r, f))
    taken_regions: dict[int, tuple[int, float]] = {}
    taken_faces: set[int] = set()
    for overlap, r, f in sorted(pairs, reverse=True):
        if r not in taken_regions and f not in taken_faces:
            taken_regions[r] = (f, overlap)
            taken_faces.add(f)
    return [Match(region, *taken_regions.get(r, (None, 0.0))) for r, region in enumerate(regions)]


def search_region(
    image: Image.Image, region: Box, detect: Callable[[Image.Image], Sequence[Detection]]
) -> Detection | None:
    """A face inside `region` (upright, normalised) of the upright `image`, if the detector
    finds one there steadily; its box and landmarks in `image` pixels.

    Each view is a crop around the region, enlarged (MTCNN finds a face best when it is some
    tens to a few hundred pixels across); in each, the detection that matches the region as a
    detected face would (`MIN_IOU`) counts. Enlarging makes the detector see more than it
    would in the whole photo, which is why one view is not enough: noise (a profile, a
    pattern) scores high at one scale and not at the next, a face at nearly all of them.
    """
    width, height = image.size
    x1, y1, x2, y2 = region[0] * width, region[1] * height, region[2] * width, region[3] * height
    pixels = (x1, y1, x2, y2)
    found: list[Detection] = []
    for margin in SEARCH_MARGINS:
        mx, my = (x2 - x1) * margin, (y2 - y1) * margin
        left, top = max(0, round(x1 - mx)), max(0, round(y1 - my))
        right, bottom = min(width, round(x2 + mx)), min(height, round(y2 + my))
        if right - left < 2 or bottom - top < 2:
            return None
        crop = image.crop((left, top, right, bottom))
        for side in SEARCH_SIDES:
            scale = side / max(crop.size)
            view = crop.resize(
                (max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
                Image.Resampling.BICUBIC,
            )
            best = _best_in(detect(view), scale, (left, top), pixels)
            if best is not None:
                found.append(best)
    return _steady(found)


def _best_in(
    detections: Sequence[Detection], scale: float, at: tuple[int, int], region: Box
) -> Detection | None:
    """The detection of one view that overlaps the region most (at least `MIN_IOU`), mapped
    back into the image's pixels."""
    best, best_overlap = None, MIN_IOU
    for d in detections:
        xs, ys = d.box[0::2], d.box[1::2]
        box = (at[0] + xs[0] / scale, at[1] + ys[0] / scale, at[0] + xs[1] / scale,
               at[1] + ys[1] / scale)  # fmt: skip
        overlap = iou(box, region)
        if overlap >= best_overlap:
            marks = tuple(at[i % 2] + v / scale for i, v in enumerate(d.landmarks))
            best, best_overlap = Detection(box, d.score, marks), overlap
    return best


def _steady(found: Sequence[Detection]) -> Detection | None:
    """The view whose box is nearest the median of all, if enough views agree on it."""
    if len(found) < STEADY:
        return None
    median = tuple(statistics.median(d.box[i] for d in found) for i in range(4))
    box: Box = (median[0], median[1], median[2], median[3])
    if any(iou(d.box, box) < STEADY_IOU for d in found):
        return None
    return max(found, key=lambda d: iou(d.box, box))


def region_box(region: Box, size: tuple[int, int], faces: Sequence[Box]) -> Box | None:
    """The named `region` (upright, normalised) as a face's box in pixels of an image of
    `size`, when it is to become a face: large enough, and no face of `faces` (pixel boxes) is
    already there."""
    width, height = size
    box = (region[0] * width, region[1] * height, region[2] * width, region[3] * height)
    if min(box[2] - box[0], box[3] - box[1]) < MIN_REGION_SIDE:
        return None
    if any(covered(box, face) >= COVERED for face in faces):
        return None
    return box


def covered(a: Box, b: Box) -> float:
    """Intersection over the smaller of two boxes: 1 when one lies inside the other."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller if smaller > 0 else 0.0


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _clipped(box: Box) -> Box | None:
    """The box inside the image, or None if nothing of it is (or it has no area)."""
    x1, y1, x2, y2 = (min(1.0, max(0.0, v)) for v in box)
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _name(text: str | None) -> str | None:
    name = " ".join((text or "").split())
    return name[:MAX_NAME] if name else None
