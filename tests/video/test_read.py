"""Opening videos: what the container declares, and a clear refusal for every broken file.

Every bad file is made from the real clip in the test (tests/video/clips.py)."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from node.video.read import Limits, Video, VideoError, upright
from tests.conftest import TESTDATA
from tests.video.clips import (
    CLIP,
    DURATION,
    absurd_resolution,
    corrupted,
    raw_frames,
    remux,
    truncated,
    unknown_codec,
)


def refusal(path: Path, limits: Limits | None = None) -> str:
    """The reason opening and decoding `path` is refused."""
    with pytest.raises(VideoError) as refused, Video(path, limits or Limits()) as video:
        for _ in video.frames():
            pass
    return str(refused.value).lower()


def test_the_clip_declares_what_it_is() -> None:
    with Video(CLIP) as video:
        info = video.info
        frames = sum(1 for _ in video.frames())
    assert (info.format, info.codec, info.width, info.height) == ("MP4", "h264", 640, 360)
    assert info.duration == pytest.approx(DURATION, abs=0.01)
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert frames == 275
    assert video.health.bad_packets == 0


@pytest.mark.parametrize(
    ("container", "suffix", "label"),
    [
        ("mov", ".mov", "QuickTime"),
        ("matroska", ".mkv", "Matroska"),
        ("mp4", ".m4v", "MP4"),
        ("3gp", ".3gp", "3GP"),
    ],
)
def test_container_formats(tmp_path: Path, container: str, suffix: str, label: str) -> None:
    path = remux(tmp_path / f"clip{suffix}", container=container)
    with Video(path) as video:
        assert video.info.format == label
        assert sum(1 for _ in video.frames()) == 275


def test_webm(tmp_path: Path) -> None:
    """WebM carries VP8/VP9, not the clip's H.264: its first second, re-encoded as VP8."""
    path = raw_frames(tmp_path / "clip.webm", 30, codec="libvpx")
    with Video(path) as video:
        assert (video.info.format, video.info.codec) == ("WebM", "vp8")
        assert sum(1 for _ in video.frames()) == 30


def test_non_square_pixels_are_widened_as_players_show_them(tmp_path: Path) -> None:
    path = remux(tmp_path / "anamorphic.mp4", pixel_aspect=Fraction(3, 4))
    with Video(path) as video:
        assert (video.info.width, video.info.height) == (480, 360)
        assert video.info.pixel_aspect == 0.75
        frame = next(video.frames())
        assert upright(frame, 1280, video.info.pixel_aspect).size == (480, 360)
        assert upright(frame, 240, video.info.pixel_aspect).size == (240, 180)


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert "empty file" in refusal(empty)


def test_truncated_copy_names_the_box_it_ends_in(tmp_path: Path) -> None:
    reason = refusal(truncated(tmp_path / "half.mp4"))
    assert "truncated" in reason and "'mdat'" in reason


def test_truncated_with_index_first_still_plays_its_first_half(tmp_path: Path) -> None:
    with Video(truncated(tmp_path / "half.mp4", faststart=True)) as video:
        frames = [video.time_of(f) for f in video.frames()]
    assert 100 < len(frames) < 200  # the first half's frames, then the end of the data
    assert max(frames) < 6.0


def test_corrupt_stream_skips_what_does_not_decode(tmp_path: Path) -> None:
    with Video(corrupted(tmp_path / "scratched.mp4")) as video:
        frames = sum(1 for _ in video.frames())
    assert video.health.bad_packets > 0
    assert 0 < frames < 275
    assert video.health.last_error


def test_unknown_codec(tmp_path: Path) -> None:
    assert "unknown codec" in refusal(unknown_codec(tmp_path / "zq9x.mp4"))


def test_absurd_resolution_is_refused_before_decoding(tmp_path: Path) -> None:
    reason = refusal(absurd_resolution(tmp_path / "huge.mkv"))
    assert "absurd resolution" in reason and "16000x16000" in reason


def test_pixel_limit_is_the_callers(tmp_path: Path) -> None:
    reason = refusal(CLIP, Limits(max_pixels=100_000))
    assert "640x360" in reason


def test_decoded_frames_are_bounded() -> None:
    with Video(CLIP, Limits(max_frames=40)) as video:
        assert sum(1 for _ in video.frames()) == 40
    assert video.health.stopped_at_limit


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("text.mp4", b"holiday list\n" * 20),
        ("random.mov", bytes(range(256)) * 40),
        # A playlist that would make FFmpeg fetch a URL, and a photo that FFmpeg would read
        # as a one-frame video: both are refused by the demuxer and protocol whitelists.
        ("playlist.mp4", b"#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/x.ts\n#EXT-X-ENDLIST\n"),
    ],
)
def test_not_a_video(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert "not a recognisable video" in refusal(path)


def test_a_photo_named_like_a_video_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.mp4"
    shutil.copy(TESTDATA / "faces/id00/img1.jpg", path)
    assert "not a recognisable video" in refusal(path)


def test_audio_only(tmp_path: Path) -> None:
    import av

    path = tmp_path / "sound.m4a.mp4"
    with av.open(str(CLIP)) as source, av.open(str(path), "w") as out:
        audio = source.streams.audio[0]
        stream = out.add_stream_from_template(audio)
        for packet in source.demux(audio):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    assert "no video stream" in refusal(path)
    assert "audio" in refusal(path)
