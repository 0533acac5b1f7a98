"""Videos made at test time from the real clip in ../shared/testvideo: remuxed with metadata,
rotation or another timeline, and broken in each way a real file breaks.

Remuxing copies the clip's H.264 packets into a new container (no re-encoding), so every file
here holds the real clip's real frames; only what is said about them, or their bytes, changes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tests.conftest import TESTDATA

TESTVIDEO = TESTDATA.parent / "testvideo"
CLIP = TESTVIDEO / "short_hamilton_clip.mp4"
LIN_MANUEL = TESTVIDEO / "lin-manuel-miranda.png"
ALEX = TESTVIDEO / "alex-lacamoire.png"
# Checked by eye, frame by frame (seconds on the player's timeline; the first frame shows at
# 0.84 s): the clip's four shots begin at 0, 1.511, 3.580 and 7.884 s. Shot 0 is a wide shot of
# Lin-Manuel Miranda standing, Alex Lacamoire small at the piano; shot 1 a singer's profile
# close-up turning to the back of his head; shot 2 Miranda singing, facing the camera; shot 3
# the audience, four faces, to the end (10.02 s).
CUTS = (1.511, 3.580, 7.884)
DURATION = 10.02


def remux(
    target: Path,
    *,
    container: str | None = None,
    metadata: Mapping[str, str] | None = None,
    rotation: int | None = None,
    pixel_aspect: Fraction | None = None,
    slower: int = 1,
    options: Mapping[str, str] | None = None,
) -> Path:
    """The clip's video packets in a new file: `metadata` on the container, a display
    `rotation` (degrees counter-clockwise), the container's `pixel_aspect` ratio, each frame
    shown `slower` times as long."""
    with (
        av.open(str(CLIP)) as source,
        av.open(str(target), "w", format=container, options=dict(options or {})) as out,
    ):
        video = source.streams.video[0]
        stream = out.add_stream_from_template(video)
        out.metadata.update(metadata or {})
        if rotation is not None:
            stream.set_display_rotation(rotation)
        if pixel_aspect is not None:
            stream.sample_aspect_ratio = pixel_aspect
        for packet in source.demux(video):
            if packet.dts is None or packet.pts is None:  # the flush packet at the end
                continue
            if slower != 1:
                packet.pts, packet.dts = packet.pts * slower, packet.dts * slower
                packet.duration = (packet.duration or 0) * slower
            packet.stream = stream
            out.mux(packet)
    return target


def truncated(target: Path, fraction: float = 0.5, *, faststart: bool = False) -> Path:
    """The clip cut short: as recorded (its index at the end, so lost), or remuxed with the
    index first (`faststart`), so that the frames before the cut still play."""
    source = CLIP
    if faststart:
        source = remux(target.with_suffix(".whole.mp4"), options={"movflags": "faststart"})
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def corrupted(target: Path, seed: int = 1) -> Path:
    """The clip with runs of random bytes written over its coded frames every 8 KB from the
    first third on, as a failing disk leaves a file."""
    data = bytearray(CLIP.read_bytes())
    rng = random.Random(seed)
    start = data.find(b"mdat") + 200_000
    for offset in range(start, len(data) - 20_000, 7919):
        data[offset : offset + 200] = rng.randbytes(200)
    target.write_bytes(bytes(data))
    return target


def unknown_codec(target: Path) -> Path:
    """The clip with its sample entry's codec renamed to one no decoder knows."""
    data = bytearray(CLIP.read_bytes())
    entry = data.find(b"avc1", data.find(b"moov"))
    data[entry : entry + 4] = b"zq9x"
    target.write_bytes(bytes(data))
    return target


def raw_frames(
    target: Path, frames: int, pixel_format: str = "yuv420p", codec: str = "rawvideo"
) -> Path:
    """The clip's first `frames` frames as uncompressed video, or re-encoded with `codec` (in
    Matroska, WebM or AVI, as `target`'s suffix says)."""
    with av.open(str(CLIP)) as source, av.open(str(target), "w") as out:
        stream = out.add_stream(codec, rate=Fraction(30000, 1001))
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 640, 360, pixel_format
        for n, frame in enumerate(source.decode(video=0)):
            if n == frames:
                break
            raw = frame.reformat(format=pixel_format)
            raw.pts, raw.time_base = n, Fraction(1001, 30000)  # from 0 in either container
            for packet in stream.encode(raw):
                out.mux(packet)
        for packet in stream.encode():  # what an encoder still holds
            out.mux(packet)
    return target


def absurd_resolution(target: Path, side: int = 16000) -> Path:
    """Eight of the clip's frames as raw video in Matroska, whose header then claims a
    `side` x `side` frame (raw video has no bitstream header to contradict it)."""
    raw = raw_frames(target.with_suffix(".raw.mkv"), 8)
    data = bytearray(raw.read_bytes())
    raw.unlink()
    for element, size in ((b"\xb0", 640), (b"\xba", 360)):  # PixelWidth, PixelHeight
        at = data.find(element + b"\x82" + size.to_bytes(2, "big"))
        assert at > 0, "the Matroska header is not laid out as expected"
        data[at + 2 : at + 4] = side.to_bytes(2, "big")
    target.write_bytes(bytes(data))
    return target


def recorded_sideways(target: Path, rotation: int) -> Path:
    """The clip as a phone held sideways records it: every frame stored turned away from
    upright (re-encoded with H.264, at the clip's own timestamps, beside its audio), with the
    display `rotation` (degrees counter-clockwise) that turns it back, which is what players
    and Roost must apply."""
    with av.open(str(CLIP)) as source, av.open(str(target), "w") as out:
        video, audio = source.streams.video[0], source.streams.audio[0]
        stream = out.add_stream("libx264", rate=video.average_rate)
        stream.width, stream.height, stream.pix_fmt = 360, 640, "yuv420p"
        stream.time_base = video.time_base
        stream.options = {"crf": "16", "preset": "veryfast"}
        stream.set_display_rotation(rotation)
        sound = out.add_stream_from_template(audio)
        for packet in source.demux(video, audio):
            if packet.stream is audio:
                if packet.dts is not None:
                    packet.stream = sound
                    out.mux(packet)
                continue
            for frame in packet.decode():
                assert isinstance(frame, av.VideoFrame)
                # numpy's rot90 turns counter-clockwise: stored = upright turned back.
                upright = frame.to_ndarray(format="rgb24")
                turned = np.rot90(upright, k=-rotation // 90)
                stored = av.VideoFrame.from_ndarray(np.ascontiguousarray(turned, np.uint8))
                stored.pts, stored.time_base = frame.pts, frame.time_base
                for encoded in stream.encode(stored):
                    out.mux(encoded)
        for encoded in stream.encode():
            out.mux(encoded)
    return target
