"""Face regions: every EXIF orientation, both vocabularies, and matching to detected faces."""

from __future__ import annotations

import pytest
from PIL import Image

from node.media import xmp
from node.media.regions import (
    MIN_REGION_SIDE,
    FaceRegion,
    covered,
    match_faces,
    read_regions,
    region_box,
    to_upright,
)
from protocol.labels import Source
from tests.interop.builders import INTEROP

BOX = (0.1, 0.2, 0.3, 0.6)  # a tall box near the top-left of the stored image


@pytest.mark.parametrize("orientation", range(1, 9))
def test_to_upright_agrees_with_pillow_on_every_orientation(orientation: int) -> None:
    """Paint the box in a stored image, let Pillow turn the pixels, find the box again."""
    width, height = 200, 100
    stored = Image.new("L", (width, height), 0)
    x1, y1, x2, y2 = BOX
    stored.paste(
        255, (round(x1 * width), round(y1 * height), round(x2 * width), round(y2 * height))
    )
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.info["exif"] = exif.tobytes()
    from PIL import ImageOps

    upright = ImageOps.exif_transpose(stored)
    left, top, right, bottom = upright.getbbox() or (0, 0, 0, 0)
    expected = (left / upright.width, top / upright.height, right / upright.width,
                bottom / upright.height)  # fmt: skip
    assert to_upright(BOX, orientation) == pytest.approx(expected, abs=0.01)


def _file_regions(name: str) -> tuple[list[FaceRegion], tuple[int, int]]:
    with Image.open(INTEROP / "metadata/faces" / name) as image:
        exif = image.getexif()
        props = xmp.parse(image.info["xmp"])
        stored = image.size
    orientation = exif.get(0x0112, 1)
    return read_regions(props, orientation=orientation, stored_size=stored), stored


def test_the_rotated_twin_has_the_upright_files_regions() -> None:
    upright, size = _file_regions("portrait.jpg")
    rotated, stored = _file_regions("portrait-orientation-6.jpg")
    assert stored == (size[1], size[0])
    assert [r.name for r in upright] == [r.name for r in rotated] == ["Marie Curie", "Pierre Curie"]
    for a, b in zip(upright, rotated, strict=True):
        assert a.source == b.source == Source.XMP_MWG_REGIONS
        assert a.box == pytest.approx(b.box, abs=1e-3)


def test_microsoft_regions_when_there_is_no_mwg() -> None:
    with Image.open(INTEROP / "metadata/faces/portrait-orientation-6.jpg") as image:
        props = xmp.parse(image.info["xmp"])
    del props["mwg-rs:Regions"]
    found = read_regions(props, orientation=6, stored_size=(700, 840))
    assert [r.source for r in found] == [Source.XMP_MP_REGIONS] * 2
    mwg, _ = _file_regions("portrait.jpg")
    for ms, ref in zip(found, mwg, strict=True):  # displayed frame: no turn applied
        assert ms.box == pytest.approx(ref.box, abs=1e-3)


def test_applied_dimensions_of_an_upright_writer_are_not_turned_again() -> None:
    props: xmp.Properties = {
        "mwg-rs:Regions": {
            "mwg-rs:AppliedToDimensions": {"stDim:w": "840", "stDim:h": "700"},
            "mwg-rs:RegionList": [
                {"mwg-rs:Name": "A", "mwg-rs:Type": "Face",
                 "mwg-rs:Area": {"stArea:x": "0.5", "stArea:y": "0.25", "stArea:w": "0.2",
                                 "stArea:h": "0.1"}},
                {"mwg-rs:Name": "Dog", "mwg-rs:Type": "Pet",
                 "mwg-rs:Area": {"stArea:x": "0.5", "stArea:y": "0.5", "stArea:w": "0.1",
                                 "stArea:h": "0.1"}},
                {"mwg-rs:Type": "Face",
                 "mwg-rs:Area": {"stArea:x": "0.5", "stArea:y": "0.5", "stArea:w": "0.1",
                                 "stArea:h": "0.1"}},
            ],
        }
    }  # fmt: skip
    (only,) = read_regions(props, orientation=6, stored_size=(700, 840))
    assert only.name == "A" and only.box == pytest.approx((0.4, 0.2, 0.6, 0.3))


def test_matching_is_one_to_one_by_overlap() -> None:
    regions = [
        FaceRegion("A", (0.10, 0.10, 0.30, 0.40), Source.XMP_MWG_REGIONS),
        FaceRegion("B", (0.12, 0.12, 0.32, 0.42), Source.XMP_MWG_REGIONS),
        FaceRegion("C", (0.70, 0.10, 0.80, 0.20), Source.XMP_MWG_REGIONS),
    ]
    faces = [(105.0, 105.0, 305.0, 405.0), (600.0, 600.0, 700.0, 700.0)]
    matches = match_faces(regions, faces, (1000, 1000))
    assert [(m.region.name, m.face) for m in matches] == [("A", 0), ("B", None), ("C", None)]


def test_a_region_becomes_a_face_only_when_large_and_uncovered() -> None:
    size = (1000, 500)
    region = (0.1, 0.2, 0.2, 0.4)  # 100 × 100 px
    assert region_box(region, size, []) == pytest.approx((100, 100, 200, 200))
    assert region_box(region, size, [(120, 120, 180, 180)]) is None  # a face inside it
    assert region_box(region, size, [(80, 80, 260, 260)]) is None  # inside a face
    assert region_box(region, size, [(190, 190, 300, 300)]) == pytest.approx((100, 100, 200, 200))
    side = MIN_REGION_SIDE - 1
    assert region_box((0.5, 0.5, 0.5 + side / 1000, 0.9), size, []) is None  # too narrow
    assert covered((0, 0, 10, 10), (5, 5, 15, 15)) == pytest.approx(0.25)
    assert covered((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
