"""Looking inside a named region with the real detector: a face where one is, even one too small
for the whole-photo pass, and none where a region was moved to an empty part of a real photo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from node.faces.detect import MtcnnDetector
from node.media.decode import Decoded, decode
from node.media.regions import SEARCH_SIDES, Box, FaceRegion, iou, search_region
from tests.conftest import TESTDATA
from tests.interop.builders import INTEROP

pytestmark = pytest.mark.models
SCENE = "places/drewnoakes_metadata-extractor-images/jpg__Samsung_SM-G935L_Galaxy_S7_Edge.jpg"


@pytest.fixture(scope="module")
def detector() -> MtcnnDetector:
    return MtcnnDetector(detect_side=max(SEARCH_SIDES))  # as the imports stage makes it


@pytest.fixture(scope="module")
def portrait() -> Decoded:
    return decode(INTEROP / "metadata/faces/portrait.jpg", work_side=2048, max_pixels=10**8)


def _regions(decoded: Decoded) -> dict[str, FaceRegion]:
    return {r.name: r for r in decoded.info.regions}


def _moved(region: Box, people: list[Box]) -> Iterator[Box]:
    """The region moved over a grid of the photo, wherever it stays clear of both people's
    regions grown to three times their size."""
    w, h = region[2] - region[0], region[3] - region[1]
    keep_off = [(a[0] - (a[2] - a[0]), a[1] - (a[3] - a[1]), a[2] + (a[2] - a[0]),
                 a[3] + (a[3] - a[1])) for a in people]  # fmt: skip
    for row in range(int(1 / h)):
        for col in range(int(1 / w)):
            box = (col * w, row * h, (col + 1) * w, (row + 1) * h)
            if not any(box[0] < a[2] and a[0] < box[2] and box[1] < a[3] and a[1] < box[3]
                       for a in keep_off):  # fmt: skip
                yield box


def test_a_named_face_is_found_inside_its_region(
    detector: MtcnnDetector, portrait: Decoded
) -> None:
    marie = _regions(portrait)["Marie Curie"]
    found = search_region(portrait.image, marie.box, detector.detect)
    assert found is not None and found.score >= 0.9
    whole = MtcnnDetector(detect_side=960).detect(portrait.image)
    assert len(whole) == 1 and iou(found.box, whole[0].box) >= 0.7  # the face the pass found


def test_a_profile_is_not_taken_for_a_face(detector: MtcnnDetector, portrait: Decoded) -> None:
    pierre = _regions(portrait)["Pierre Curie"]
    assert search_region(portrait.image, pierre.box, detector.detect) is None


def test_regions_moved_to_empty_parts_find_nothing(
    detector: MtcnnDetector, portrait: Decoded
) -> None:
    regions = _regions(portrait)
    people = [r.box for r in regions.values()]
    spots = [b for r in people for b in _moved(r, people)]
    assert len(spots) >= 20  # the window, the wall, the bench, his coat below the collar
    invented = [b for b in spots if search_region(portrait.image, b, detector.detect)]
    assert invented == []
    assert search_region(portrait.image, (0.5, 0.5, 0.5, 0.5), detector.detect) is None


def test_a_face_too_small_for_the_whole_photo_is_found_in_its_region(
    detector: MtcnnDetector,
) -> None:
    scene = decode(TESTDATA / SCENE, work_side=2048, max_pixels=10**8).image.copy()
    face_photo = decode(TESTDATA / "faces/id00/img1.jpg", work_side=2048, max_pixels=10**8)
    whole = MtcnnDetector(detect_side=960)
    face = whole.detect(face_photo.image)[0].box
    scale = 16 / (face[2] - face[0])  # the face 16 px across: 7 px where the pass looks
    small = face_photo.image.resize(
        (round(face_photo.image.width * scale), round(face_photo.image.height * scale))
    )
    scene.paste(small, (900, 300))
    truth = (900 + face[0] * scale, 300 + face[1] * scale, 900 + face[2] * scale,
             300 + face[3] * scale)  # fmt: skip
    assert not any(iou(d.box, truth) >= 0.5 for d in whole.detect(scene))
    w, h = truth[2] - truth[0], truth[3] - truth[1]
    drawn = (truth[0] - 0.1 * w, truth[1] - 0.25 * h, truth[2] + 0.1 * w, truth[3] + 0.05 * h)
    region = (drawn[0] / scene.width, drawn[1] / scene.height, drawn[2] / scene.width,
              drawn[3] / scene.height)  # fmt: skip
    found = search_region(scene, region, detector.detect)
    assert found is not None and iou(found.box, truth) >= 0.5
