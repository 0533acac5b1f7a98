"""The people in a video, found like the people in photos: `roost index`, `name`, `search`,
`show`, `confirm` and `reject` as a person runs them, on the real clip and reference photos.

What is known by eye is in tests/video/clips.py: Lin-Manuel Miranda faces the camera in shot 2
(3.580-7.884 s) and stands small in shot 0; the audience fills shot 3 (from 7.884 s)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import roost, roost_json
from tests.video.clips import ALEX, CLIP, CUTS, DURATION, LIN_MANUEL
from tests.video.homes import VideoLibrary, video_library

__all__ = ["video_library"]

pytestmark = pytest.mark.slow


@pytest.fixture
def home(video_library: VideoLibrary, tmp_path: Path) -> Path:
    """A private copy of the indexed home, for a test that labels."""
    return video_library.copy_home(tmp_path / "home")


def _tracks(videos: VideoLibrary, home: Path) -> list[dict[str, Any]]:
    faces: list[dict[str, Any]] = roost_json("show", videos.folder / CLIP.name, home=home)["faces"]
    return faces


def _covered(spans: list[list[float]]) -> float:
    return sum(end - start for start, end in spans)


def test_a_video_is_indexed_with_its_face_tracks(video_library: VideoLibrary) -> None:
    folder, home, summary = video_library.folder, video_library.home, video_library.summary
    assert (summary["indexed"], summary["failed"], summary["notes"]) == (3, [], [])
    shown = roost_json("show", folder / CLIP.name, home=home)
    assert shown["kind"] == "video"
    assert (shown["format"], shown["width"], shown["height"]) == ("MP4", 640, 360)
    assert shown["taken_at_source"] == "file"  # the clip carries no recording date
    video = shown["video"]
    assert video["duration"] == pytest.approx(DURATION, abs=0.02)
    assert video["codec"] == "h264" and video["rotation"] == 0
    assert 10 <= video["samples"] <= 16  # one a second, plus the first frame of each shot
    tracks = shown["faces"]
    assert len(tracks) >= 6  # Miranda, Lacamoire, four in the audience at least
    for track in tracks:
        assert track["spans"], track
        assert all(0 <= start < end <= DURATION + 0.01 for start, end in track["spans"])
    # Four faces of the audience shot, on screen together, and only in it.
    audience = [t for t in tracks if t["spans"][0][0] >= CUTS[2] - 0.01]
    assert len(audience) >= 4
    # Photos are unchanged by it.
    assert roost_json("show", folder / LIN_MANUEL.name, home=home)["kind"] == "photo"


def test_an_unchanged_video_is_not_read_again(video_library: VideoLibrary) -> None:
    folder, home = video_library.folder, video_library.home
    again = roost_json("index", folder, home=home)
    assert (again["unchanged"], again["indexed"], again["models_loaded"]) == (3, 0, [])


def test_naming_him_once_finds_him_in_the_video(video_library: VideoLibrary, home: Path) -> None:
    roost("name", video_library.largest_face(LIN_MANUEL, home), "Lin-Manuel", home=home)

    tracks = {t["id"]: t for t in _tracks(video_library, home)}
    assigned = [t for t in tracks.values() if t["person"] == "Lin-Manuel"]
    suggested = [
        s["face"] for s in roost_json("suggestions", home=home) if s["name"] == "Lin-Manuel"
    ]
    found = [t["spans"] for t in assigned] + [tracks[f]["spans"] for f in suggested if f in tracks]
    assert assigned, "his close-up track is assigned to him"
    # His tracks, assigned or suggested, cover most of the clip, and none is in the audience.
    assert _covered([s for spans in found for s in spans]) > DURATION / 2
    assert all(end <= CUTS[2] + 0.01 for spans in found for _, end in spans)
    # The close-up shot is his, whole.
    close_up = [s for t in assigned for s in t["spans"]]
    assert any(abs(a - CUTS[1]) < 0.3 and abs(b - CUTS[2]) < 0.3 for a, b in close_up)

    answer = roost_json("search", "Lin-Manuel", home=home)
    hits = {Path(h["path"]).name: h for h in answer["hits"]}
    assert set(hits) == {LIN_MANUEL.name, CLIP.name}
    clip = hits[CLIP.name]
    assert clip["kind"] == "video" and clip["duration"] == pytest.approx(DURATION, abs=0.02)
    assert clip["spans"] and all(s["people"] == ["Lin-Manuel"] for s in clip["spans"])
    assert [[s["start"], s["end"]] for s in clip["spans"]] == sorted(close_up)
    assert hits[LIN_MANUEL.name]["kind"] == "photo" and hits[LIN_MANUEL.name]["spans"] == []
    text = roost("search", "Lin-Manuel", home=home).stdout
    assert "video 0:10.0: 0:03.6–0:07.9 Lin-Manuel" in text


@pytest.mark.parametrize("answer", ["confirm", "reject"])
def test_a_video_face_is_confirmed_or_rejected_like_any_other(
    video_library: VideoLibrary, home: Path, answer: str
) -> None:
    roost("name", video_library.largest_face(LIN_MANUEL, home), "Lin-Manuel", home=home)
    tracks = {t["id"]: t for t in _tracks(video_library, home)}
    (suggestion,) = [s for s in roost_json("suggestions", home=home) if s["face"] in tracks]
    track = tracks[suggestion["face"]]  # his small face in the wide opening shot
    assert track["spans"][0][0] == 0.0

    if answer == "confirm":
        roost("confirm", suggestion["face"], home=home)
    else:
        roost("reject", suggestion["face"], "Lin-Manuel", home=home)
    (clip,) = [h for h in roost_json("search", "Lin-Manuel", home=home)["hits"] if h["spans"]]
    starts = [s["start"] for s in clip["spans"]]
    assert (0.0 in starts) == (answer == "confirm")
    after = {t["id"]: t for t in _tracks(video_library, home)}
    assert after[suggestion["face"]]["person"] == ("Lin-Manuel" if answer == "confirm" else None)
    assert suggestion["face"] not in [s["face"] for s in roost_json("suggestions", home=home)]


def test_a_library_indexed_without_videos_gains_them_alone(tmp_path: Path) -> None:
    """A library made while videos were skipped: the next run reads only the video, and the
    photos' rows stay as they were."""
    folder, home = tmp_path / "media", tmp_path / "home"
    folder.mkdir()
    for photo in (LIN_MANUEL, ALEX):
        shutil.copy(photo, folder / photo.name)
    roost_json("index", folder, home=home)
    photos = {p.name: roost_json("show", folder / p.name, home=home) for p in (LIN_MANUEL, ALEX)}

    shutil.copy(CLIP, folder / CLIP.name)
    gained = roost_json("index", folder, home=home)
    assert (gained["indexed"], gained["unchanged"], gained["failed"]) == (1, 2, [])
    assert gained["faces"] == len(roost_json("show", folder / CLIP.name, home=home)["faces"])
    for name, before in photos.items():
        assert roost_json("show", folder / name, home=home) == before


def test_the_video_stage_alone_adds_the_videos(tmp_path: Path) -> None:
    """`roost index --stage video` on a library whose runs left videos out reads only them."""
    folder, home = tmp_path / "media", tmp_path / "home"
    folder.mkdir()
    for source in (CLIP, LIN_MANUEL, ALEX):
        shutil.copy(source, folder / source.name)
    first = roost_json("index", folder, "--stage", "faces", "--stage", "thumbnail", home=home)
    assert first["indexed"] == 2 and first["stages_run"] == {"faces": 2, "thumbnail": 2}
    assert [Path(f["path"]).name for f in first["failed"]] == [CLIP.name]
    assert "no stage of this run reads a video" in first["failed"][0]["reason"]
    photos = {p.name: roost_json("show", folder / p.name, home=home) for p in (LIN_MANUEL, ALEX)}

    gained = roost_json("index", folder, "--stage", "video", home=home)
    assert (gained["indexed"], gained["unchanged"], gained["failed"]) == (1, 2, [])
    assert gained["stages_run"] == {"video": 1}
    shown = roost_json("show", folder / CLIP.name, home=home)
    assert shown["kind"] == "video" and gained["faces"] == len(shown["faces"]) >= 6
    for name, before in photos.items():
        assert roost_json("show", folder / name, home=home) == before


def test_a_reembed_analyses_videos_again_and_keeps_their_names(
    video_library: VideoLibrary, home: Path
) -> None:
    roost("name", video_library.largest_face(LIN_MANUEL, home), "Lin-Manuel", home=home)
    before = {t["id"]: t for t in _tracks(video_library, home)}
    named = [face for face, t in before.items() if t["person"] == "Lin-Manuel"]
    assert named

    done = roost_json("index", video_library.folder, "--reembed", home=home)
    assert done["reembed_pending"] == 0
    # imports reads the faces stage's rows, so it runs again where faces do
    assert done["stages_run"] == {"faces": 2, "imports": 2, "video": 1}
    meta = json.loads((home / "library" / "library.json").read_text())
    assert meta["faces"] != "faces" and "reembed" not in meta  # switched to the new table
    after = {t["id"]: t for t in _tracks(video_library, home)}
    assert after.keys() == before.keys()
    for face in named:
        assert after[face]["person"] == "Lin-Manuel"
        assert after[face]["spans"] == before[face]["spans"]
