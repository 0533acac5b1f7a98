"""Finding and reading what other apps left beside a photo, and the bounded binary readers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from node.media import sidecars, takeout, xmp
from node.media.beside import beside
from node.media.live import still_content_id, video_content_id, video_for
from node.media.motion import embedded_clip
from tests.interop.builders import VIDEO, apple_maker_note, live_mov, takeout_json

PHOTO = Path("/photos/IMG_0001.JPG")
SUP = ".supplemental-metadata"
ID_1, ID_2 = "AAAAAAAA-0000-4000-8000-000000000001", "AAAAAAAA-0000-4000-8000-000000000002"


@pytest.mark.parametrize(
    ("names", "found"),
    [
        ({"IMG_0001.JPG.xmp", "IMG_0001.xmp"}, "IMG_0001.JPG.xmp"),
        ({"IMG_0001.xmp"}, "IMG_0001.xmp"),
        ({"img_0001.jpg.XMP"}, "img_0001.jpg.XMP"),  # any case
        ({"IMG_0002.xmp"}, None),
    ],
)
def test_xmp_sidecar_names(names: set[str], found: str | None) -> None:
    result = sidecars.find_xmp(PHOTO, names)
    assert (result.name if result else None) == found


@pytest.mark.parametrize(
    ("photo", "names", "found"),
    [
        ("IMG_1.jpg", {"IMG_1.jpg.json", f"IMG_1.jpg{SUP}.json"}, "IMG_1.jpg.json"),
        ("IMG_1.jpg", {f"IMG_1.jpg{SUP}.json"}, f"IMG_1.jpg{SUP}.json"),
        ("IMG_1.jpg", {"IMG_1.jpg.supplemental-me.json"}, "IMG_1.jpg.supplemental-me.json"),
        ("IMG_1.jpg", {"IMG_1.jpg.supp.json"}, "IMG_1.jpg.supp.json"),
        ("IMG_1-edited.jpg", {"IMG_1.jpg.json"}, "IMG_1.jpg.json"),
        ("IMG_1-bearbeitet.jpg", {f"IMG_1.jpg{SUP}.json"}, f"IMG_1.jpg{SUP}.json"),
        ("IMG_1(2).jpg", {"IMG_1.jpg(2).json", "IMG_1.jpg.json"}, "IMG_1.jpg(2).json"),
        ("IMG_1(2).jpg", {f"IMG_1.jpg{SUP}(2).json"}, f"IMG_1.jpg{SUP}(2).json"),
        ("IMG_1.jpg", {"IMG_1.json"}, "IMG_1.json"),
        ("a" * 50 + ".jpg", {"a" * 46 + ".json"}, "a" * 46 + ".json"),  # older exports
        ("IMG_1.jpg", {"IMG_10.jpg.json", "IMG_1.jpg.jsonx"}, None),
    ],
)  # fmt: skip
def test_takeout_sidecar_names(photo: str, names: set[str], found: str | None) -> None:
    result = takeout.find(Path("/t") / photo, names)
    assert (result.name if result else None) == found


def test_takeout_json_reading(tmp_path: Path) -> None:
    path = takeout_json(
        tmp_path / "a.json", title="a.jpg", taken=0, people=["Ann", "ann", " Bo  Bo "]
    )
    meta = takeout.read(path)
    assert meta.taken is None and meta.lat is None  # 0 and 0/0 are Takeout's "unknown"
    assert meta.people == ("Ann", "Bo Bo")
    (tmp_path / "big.json").write_bytes(b" " * (takeout.MAX_JSON + 1))
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "other.json").write_text('{"name": "a package.json"}')
    for name, why in (("big", "over"), ("deep", "not valid JSON"), ("other", "not a Google")):
        with pytest.raises(takeout.TakeoutError, match=why):
            takeout.read(tmp_path / f"{name}.json")


def test_maker_note_reader_refuses_garbage() -> None:
    note = apple_maker_note("ABCDEF12-3456-4789-8ABC-DEF012345678")
    assert still_content_id(note) == "ABCDEF12-3456-4789-8ABC-DEF012345678"
    for broken in (note[:20], b"Apple iOS\x00\x00\x01MM\xff\xff", b"Nikon\x00" + note[6:], None):
        assert still_content_id(broken) is None


def test_mov_reader_is_bounded_on_broken_files(tmp_path: Path) -> None:
    good = live_mov(tmp_path / "a.MOV", "ABCDEF12-3456-4789-8ABC-DEF012345678")
    assert video_content_id(good) == "ABCDEF12-3456-4789-8ABC-DEF012345678"
    assert video_content_id(VIDEO) is None  # a plain MP4 has none
    data = good.read_bytes()
    (tmp_path / "cut.MOV").write_bytes(data[: len(data) - 40])
    (tmp_path / "lie.MOV").write_bytes(b"\x7f\xff\xff\xffmoov" + data[8:200])
    for name in ("cut.MOV", "lie.MOV"):
        assert video_content_id(tmp_path / name) is None


def test_live_pairs_prefer_identifiers_then_the_name(tmp_path: Path) -> None:
    a = live_mov(tmp_path / "IMG_1.MOV", "AAAAAAAA-0000-4000-8000-000000000001")
    b = live_mov(tmp_path / "clip.MOV", "AAAAAAAA-0000-4000-8000-000000000002")
    c = live_mov(tmp_path / "IMG_3.mov", None)
    videos = [a, b, c]
    # The identifier wins over the name, whatever the video is called.
    assert video_for(tmp_path / "IMG_1.JPG", "AAAAAAAA-0000-4000-8000-000000000002", videos) == b
    assert video_for(tmp_path / "IMG_1.HEIC", None, videos) == a  # no identifier: the name
    assert video_for(tmp_path / "img_3.jpg", "AAAAAAAA-0000-4000-8000-000000000009", videos) == c
    # Both carry identifiers and they differ: not a pair, even by name.
    assert video_for(tmp_path / "IMG_1.JPG", "AAAAAAAA-0000-4000-8000-000000000009", videos) is None
    assert video_for(tmp_path / "IMG_2.JPG", None, videos) is None


def test_the_files_beside_a_photo_and_their_fingerprint(tmp_path: Path) -> None:
    photo = tmp_path / "IMG_1.jpg"
    photo.write_bytes(b"")
    assert beside(photo).read == () and beside(photo).stamp() == ""
    (tmp_path / "IMG_1.XMP").write_text("<x/>")
    (tmp_path / "IMG_1.jpg.json").write_text("{}")
    (tmp_path / "IMG_1.mov").write_bytes(b"")
    (tmp_path / "IMG_2.jpg.json").write_text("{}")
    found = beside(photo)
    assert (found.xmp, found.takeout, found.same_stem_video) == (
        tmp_path / "IMG_1.XMP", tmp_path / "IMG_1.jpg.json", tmp_path / "IMG_1.mov",
    )  # fmt: skip
    first = found.stamp()
    assert len(first) == 16 and beside(photo).stamp() == first  # the same files: the same
    os.utime(tmp_path / "IMG_1.jpg.json", ns=(1, 1))  # an edit, as far as stat can tell
    edited = beside(photo).stamp()
    assert edited != first
    (tmp_path / "IMG_1.jpg.xmp").write_text("<x/>")  # a name that wins over IMG_1.XMP
    assert beside(photo).xmp == tmp_path / "IMG_1.jpg.xmp"
    assert beside(photo).stamp() not in (first, edited)


def test_motion_clip_needs_the_bytes_to_agree(tmp_path: Path) -> None:
    primary: xmp.Properties = {
        "Item:Mime": "image/jpeg",
        "Item:Semantic": "Primary",
        "Item:Length": "0",
    }
    video: xmp.Properties = {
        "Item:Mime": "video/mp4",
        "Item:Semantic": "MotionPhoto",
        "Item:Length": "600",
    }
    props: xmp.Properties = {
        "GCamera:MotionPhoto": "1",
        "Container:Directory": [{"Container:Item": primary}, {"Container:Item": video}],
    }
    real = tmp_path / "real.jpg"
    real.write_bytes(b"\xff\xd8" + b"\x00" * 998 + VIDEO.read_bytes()[:600])
    clip = embedded_clip(props, real, real.stat().st_size)
    assert clip is not None and (clip.offset, clip.length) == (1000, 600)
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"\xff\xd8" + b"\x00" * 1598)
    assert embedded_clip(props, fake, 1600) is None
    assert embedded_clip(props, real, 300) is None  # longer than the file


def test_a_folder_is_listed_once_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed: list[str] = []
    real = os.scandir

    def counting(path: str) -> object:
        listed.append(path)
        return real(path)

    monkeypatch.setattr("node.media.beside.os.scandir", counting)
    photos = [tmp_path / f"IMG_{n}.jpg" for n in range(3)]
    (tmp_path / "IMG_1.jpg.json").write_text("{}")
    long_ago = 1_000_000_000_000_000_000  # 2001: settled, so the listing may be kept
    os.utime(tmp_path, ns=(long_ago, long_ago))
    assert [beside(p).takeout for p in photos] == [None, tmp_path / "IMG_1.jpg.json", None]
    assert listed == [str(tmp_path)]  # one listing for the folder's three photos
    (tmp_path / "IMG_2.jpg.json").write_text("{}")  # the folder's mtime moves: listed again
    assert beside(photos[2]).takeout == tmp_path / "IMG_2.jpg.json"
    assert len(listed) == 2
    assert beside(photos[2]).takeout is not None and len(listed) == 3  # changed just now
