"""Looking inside named face regions: the faces it finds, and the faces it must not invent.

    python -m benchmarks.region_search --data ../shared/testdata

Every photo under DATA is decoded as `roost index` decodes it, and the face stage's detector
runs on the whole of it (the baseline). Then `node.media.regions.search_region` looks inside:

- `around`: a region around each face the whole-photo pass found, drawn as other apps draw them
  (wider, and taller above for the hair); found when the box it gives is within IoU 0.5 of the
  face.
- `small`: each photo of DATA/faces scaled down and pasted into a real scene (DATA/places) so
  that its face is 12–18 px across at the working size: faces too small for the whole-photo
  pass. Both passes are scored on them; the ratio is search / whole.
- `empty`: face-sized regions at random spots (fixed seed) touching no face the whole-photo pass
  found (each grown to three times its size): any face found there is an invented one.
- the Immich portrait's Pierre Curie (a face in full profile), when ../shared/interop is there.

Counts are per top-level folder of DATA, so that the folders the search's settings were chosen
on can be told from the others. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

from PIL import Image

from benchmarks.measure import photo_files
from node.faces.detect import MtcnnDetector
from node.media.decode import DecodeError, decode, read_header
from node.media.regions import SEARCH_SIDES, Box, iou, search_region

WORK_SIDE, DETECT_SIDE = 2048, 960  # as `roost index` runs
PORTRAIT = Path("interop/immich-test-assets/metadata/faces/portrait.jpg")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of real photos")
    parser.add_argument("--empty", type=int, default=6, help="empty regions per photo")
    parser.add_argument("--limit", type=int, default=0, help="photos per folder (0: all)")
    args = parser.parse_args()
    data = args.data.resolve()
    whole = MtcnnDetector(detect_side=DETECT_SIDE)
    inside = MtcnnDetector(detect_side=max(SEARCH_SIDES))  # as the imports stage
    rng = random.Random(15)
    counts: dict[str, Counter[str]] = {}
    for photo in _photos(data, args.limit):
        folder = photo.relative_to(data).parts[0]
        tally = counts.setdefault(folder, Counter())
        try:
            image = decode(photo, work_side=WORK_SIDE, max_pixels=100_000_000).image
        except DecodeError:
            continue
        faces = [d.box for d in whole.detect(image)]
        for face in faces:
            tally["around"] += 1
            tally["around_found"] += _found(image, _drawn_around(face, image.size), face, inside)
        for region in _empty_spots(image.size, faces, args.empty, rng):
            tally["empty"] += 1
            tally["empty_invented"] += search_region(image, region, inside.detect) is not None
    small = _small_faces(data, whole, inside, rng)
    pierre = _pierre(data.parent / PORTRAIT, inside)
    result: dict[str, Any] = {
        "folders": {k: dict(v) for k, v in sorted(counts.items())},
        "small": small,
        "small_ratio_search_over_whole": (
            round(small["search"] / small["whole"], 2) if small["whole"] else None
        ),
        "pierre_curie_found": pierre,
    }
    for folder, tally in sorted(counts.items()):
        print(
            f"{folder:>11}: around faces {tally['around_found']}/{tally['around']} found, "
            f"empty regions {tally['empty_invented']}/{tally['empty']} with a face invented"
        )
    print(
        f"small faces: whole-photo pass {small['whole']}/{small['faces']}, "
        f"search {small['search']}/{small['faces']}; Pierre Curie found: {pierre}"
    )
    print(json.dumps(result))
    return 0


def _photos(data: Path, limit: int) -> list[Path]:
    by_folder: dict[str, list[Path]] = {}
    for photo in photo_files(data):
        by_folder.setdefault(photo.relative_to(data).parts[0], []).append(photo)
    return [p for photos in by_folder.values() for p in (photos[:limit] if limit else photos)]


def _normalised(box: Box, size: tuple[int, int]) -> Box:
    w, h = size
    x1, y1, x2, y2 = (min(1.0, max(0.0, v)) for v in (box[0] / w, box[1] / h, box[2] / w,
                                                       box[3] / h))  # fmt: skip
    return (x1, y1, x2, y2)


def _drawn_around(face: Box, size: tuple[int, int]) -> Box:
    w, h = face[2] - face[0], face[3] - face[1]
    return _normalised((face[0] - 0.1 * w, face[1] - 0.25 * h, face[2] + 0.1 * w,
                        face[3] + 0.05 * h), size)  # fmt: skip


def _found(image: Image.Image, region: Box, face: Box, detector: MtcnnDetector) -> bool:
    got = search_region(image, region, detector.detect)
    return got is not None and iou(got.box, face) >= 0.5


def _empty_spots(size: tuple[int, int], faces: list[Box], n: int, rng: random.Random) -> list[Box]:
    width, height = size
    keep_off = [
        (x1 - (x2 - x1), y1 - (y2 - y1), x2 + (x2 - x1), y2 + (y2 - y1)) for x1, y1, x2, y2 in faces
    ]
    spots: list[Box] = []
    for _ in range(50 * n):
        if len(spots) == n:
            break
        side = rng.uniform(0.06, 0.3) * min(width, height)
        w, h = side * rng.uniform(0.7, 0.9), side
        x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
        box = (x, y, x + w, y + h)
        if not any(box[0] < a[2] and a[0] < box[2] and box[1] < a[3] and a[1] < box[3]
                   for a in keep_off):  # fmt: skip
            spots.append(_normalised(box, size))
    return spots


def _small_faces(
    data: Path, whole: MtcnnDetector, inside: MtcnnDetector, rng: random.Random
) -> dict[str, int]:
    """Faces of DATA/faces pasted small into scenes of DATA/places: found by each pass?"""
    scenes = [p for p in photo_files(data / "places") if read_header(p).width >= 1600]
    tally = Counter({"faces": 0, "whole": 0, "search": 0})
    for n, portrait in enumerate(photo_files(data / "faces")):
        big = decode(portrait, work_side=WORK_SIDE, max_pixels=100_000_000).image
        found = whole.detect(big)
        if not found or not scenes:
            continue
        face = max(found, key=lambda d: d.width).box
        scale = rng.uniform(12, 18) / (face[2] - face[0])
        pasted = big.resize((max(1, round(big.width * scale)), max(1, round(big.height * scale))))
        scene = decode(scenes[n % len(scenes)], work_side=WORK_SIDE, max_pixels=100_000_000)
        canvas = scene.image.copy()
        at = (rng.randrange(0, canvas.width - pasted.width),
              rng.randrange(0, canvas.height - pasted.height))  # fmt: skip
        canvas.paste(pasted, at)
        truth = (at[0] + face[0] * scale, at[1] + face[1] * scale, at[0] + face[2] * scale,
                 at[1] + face[3] * scale)  # fmt: skip
        tally["faces"] += 1
        tally["whole"] += any(iou(d.box, truth) >= 0.5 for d in whole.detect(canvas))
        tally["search"] += _found(canvas, _drawn_around(truth, canvas.size), truth, inside)
    return dict(tally)


def _pierre(portrait: Path, detector: MtcnnDetector) -> bool | None:
    if not portrait.is_file():
        return None
    decoded = decode(portrait, work_side=WORK_SIDE, max_pixels=100_000_000)
    pierre = next(r for r in decoded.info.regions if r.name == "Pierre Curie")
    return search_region(decoded.image, pierre.box, detector.detect) is not None


if __name__ == "__main__":
    raise SystemExit(main())
