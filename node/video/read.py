"""Open a video through PyAV within limits, and say plainly why a file cannot be read.

A video is the least trustworthy file a library holds: a copy cut short loses the index that
MP4 writes at its end, a disk error garbles part of the stream, a hostile header claims a frame
of billions of pixels or a container format that pulls in other files. So:

- Only the container formats Roost indexes are tried (QuickTime/MP4/3GP, Matroska/WebM, AVI),
  only the `file` protocol is allowed: a playlist or a reference file named `.mp4` cannot make
  FFmpeg read another file or reach the network.
- The declared frame size is checked before anything is decoded, and the decoder itself is
  told the same pixel limit (FFmpeg's `max_pixels`), so a stream that changes its size midway
  is refused there too.
- Packets that do not decode are counted and skipped (a scratched stream still shows its
  people); a file that yields no frame at all is refused. At most `max_frames` frames are
  decoded per file, whatever the header says about its length.

Every refusal is a `VideoError` whose message a person can act on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

import numpy as np
from PIL import Image

from node.media.decode import DecodeError
from node.video.meta import VideoMeta, read_video_meta

# FFmpeg demuxers allowed to read a file (names as in `ffmpeg -formats`).
_DEMUXERS = "mov,matroska,avi"
_OPTIONS = {"format_whitelist": _DEMUXERS, "protocol_whitelist": "file"}
_GRID = (9, 16)  # rows, columns of the luminance grid scene changes are measured on
# Pixel formats whose first plane is 8-bit luma, readable without a conversion.
_LUMA_FIRST = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
)


class VideoError(DecodeError):
    """The file cannot be used as a video; the message says why."""


@dataclass(frozen=True)
class Limits:
    """What one video may cost at most."""

    max_pixels: int = 50_000_000  # per frame: 8K (33 MP) passes, a 16000x16000 claim does not
    max_frames: int = 20_000  # decoded per file: ~11 min at 30 fps decoded densely


@dataclass(frozen=True)
class VideoInfo:
    """What the container declares about its video, before decoding."""

    format: str  # "MP4", "QuickTime", "3GP", "M4V", "Matroska", "WebM", "AVI"
    codec: str
    width: int  # displayed frame size (coded size with non-square pixels widened), before
    height: int  # the display rotation a frame carries
    pixel_aspect: float  # displayed width of a coded pixel: 1, or e.g. 8/9 for NTSC DV
    duration: float | None  # seconds, as declared
    fps: float | None
    meta: VideoMeta


@dataclass
class Health:
    """What went wrong while decoding, for the run's report."""

    frames: int = 0  # decoded
    bad_packets: int = 0  # packets the decoder refused (skipped)
    bad_at_end: int = 0  # of those, the ones after the last frame (a file cut short)
    stopped_at_limit: bool = False
    last_error: str | None = None
    notes: list[str] = field(default_factory=list)


class Video:
    """An open video file: its declared facts and its frames, decoded within `limits`."""

    def __init__(self, path: Path, limits: Limits = Limits()) -> None:
        self.path = path
        self.limits = limits
        self.health = Health()
        self._container = _open(path)
        try:
            self._stream = _video_stream(self._container)
            self.info = self._declared()
            context = self._stream.codec_context
            # The same ceiling inside the decoder: a stream cannot grow past it midway.
            context.options = {"max_pixels": str(limits.max_pixels)}
        except BaseException:
            self._container.close()
            raise
        self._start = (self._container.start_time or 0) / 1e6  # the timeline players show

    def __enter__(self) -> Video:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def _declared(self) -> VideoInfo:
        stream, container = self._stream, self._container
        context = stream.codec_context
        if context is None:
            raise VideoError("unknown codec: the video stream is in a format FFmpeg cannot decode")
        width, height = int(context.width or 0), int(context.height or 0)
        if width <= 0 or height <= 0:
            raise VideoError("the video stream declares no frame size")
        if width * height > self.limits.max_pixels:
            raise VideoError(
                f"absurd resolution: {width}x{height} is {width * height / 1e6:.0f} megapixels a "
                f"frame, over the limit of {self.limits.max_pixels / 1e6:.0f}"
            )
        rate = stream.average_rate or stream.guessed_rate
        aspect = _pixel_aspect(stream)
        return VideoInfo(
            format=_format_label(container, self.path),
            codec=str(context.name),
            width=max(1, round(width * aspect)),
            height=height,
            pixel_aspect=aspect,
            duration=_duration(container, stream),
            fps=float(rate) if rate else None,
            meta=read_video_meta(dict(container.metadata), dict(stream.metadata)),
        )

    def frames(self, *, keyframes_only: bool = False) -> Iterator[VideoFrame]:
        """Frames in order from the current position (PyAV `VideoFrame`s), skipping packets that
        do not decode. Stops quietly at the end, and with a note at `max_frames`."""
        import av

        context = self._stream.codec_context
        context.skip_frame = "NONKEY" if keyframes_only else "DEFAULT"
        health = self.health
        for packet in self._container.demux(self._stream):
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as exc:
                health.bad_packets += 1
                health.bad_at_end += 1
                health.last_error = _ffmpeg_reason(exc)
                continue
            for frame in decoded:
                if health.frames >= self.limits.max_frames:
                    health.stopped_at_limit = True
                    return
                health.frames += 1
                health.bad_at_end = 0
                yield frame

    def seek(self, seconds: float) -> None:
        """Jump to the keyframe at or before `seconds` on the player's timeline."""
        stream = self._stream
        target = (seconds + self._start) / (stream.time_base or Fraction(1, 1_000_000))
        self._container.seek(int(target), stream=stream, backward=True, any_frame=False)

    def time_of(self, frame: VideoFrame) -> float:
        """Seconds from the start of the player's timeline."""
        time = frame.time
        return 0.0 if time is None else max(0.0, time - self._start)


def frame_at(path: Path, seconds: float, side: int, limits: Limits = Limits()) -> Image.Image:
    """The upright frame shown at `seconds` (a video's poster), at most `side` pixels long:
    a seek to the keyframe before it, then decoding up to it."""
    with Video(path, limits) as video:
        video.seek(seconds)
        chosen = None
        for frame in video.frames():
            if chosen is not None and video.time_of(frame) > seconds + 1e-3:
                break
            chosen = frame
        if chosen is None:
            raise VideoError(f"no frame could be decoded at {seconds:.1f} s")
        return upright(chosen, side, video.info.pixel_aspect)


def upright(frame: VideoFrame, side: int, pixel_aspect: float = 1.0) -> Image.Image:
    """An RGB image of `frame` as it is displayed: non-square pixels widened, turned as the
    display matrix says, at most `side` pixels long."""
    shown = frame.width * pixel_aspect
    scale = min(1.0, side / max(shown, frame.height))
    width, height = max(2, round(shown * scale)), max(2, round(frame.height * scale))
    pixels = frame.reformat(width=width, height=height, format="rgb24").to_ndarray()
    image = Image.fromarray(pixels, "RGB")
    turn = quarter_turns(frame.rotation)
    return image.transpose(_TRANSPOSE[turn]) if turn else image


# Counter-clockwise quarter turns → the PIL transpose that makes them.
_TRANSPOSE = {
    1: Image.Transpose.ROTATE_90,
    2: Image.Transpose.ROTATE_180,
    3: Image.Transpose.ROTATE_270,
}


def quarter_turns(rotation: float) -> int:
    """FFmpeg's display rotation (degrees counter-clockwise) as 0-3 quarter turns."""
    return round(rotation / 90) % 4


def luma_grid(frame: VideoFrame) -> np.ndarray:
    """Mean luminance of a 9x16 grid of blocks: a frame's layout in 144 numbers, cheap enough to
    compute on every frame (read straight from the luma plane when the format allows)."""
    luma: np.ndarray
    if frame.format.name in _LUMA_FIRST:
        plane = frame.planes[0]
        luma = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
        luma = luma[: frame.height, : frame.width]
    else:
        luma = frame.reformat(width=64, height=36, format="gray").to_ndarray()
    rows, cols = _GRID
    h, w = luma.shape[0] // rows * rows, luma.shape[1] // cols * cols
    blocks = luma[:h, :w].reshape(rows, h // rows, cols, w // cols)
    grid: np.ndarray = blocks.mean(axis=(1, 3), dtype=np.float32)
    return grid


def _open(path: Path) -> InputContainer:
    import av

    try:
        size = os.stat(path).st_size
    except PermissionError as exc:
        raise VideoError("permission denied") from exc
    except OSError as exc:
        raise VideoError(f"cannot open: {exc.strerror or exc}") from exc
    if size == 0:
        raise VideoError("empty file: zero bytes")
    try:
        return av.open(str(path), options=_OPTIONS)
    except PermissionError as exc:
        raise VideoError("permission denied") from exc
    except av.error.FFmpegError as exc:
        truncated = truncated_box(path, size)
        if truncated is not None:
            raise VideoError(truncated) from exc
        raise VideoError(
            f"not a recognisable video: no MP4, QuickTime, Matroska or AVI stream could be "
            f"read ({_ffmpeg_reason(exc)})"
        ) from exc
    except OSError as exc:
        raise VideoError(f"cannot open: {exc.strerror or exc}") from exc


def _video_stream(container: InputContainer) -> VideoStream:
    streams = container.streams.video
    if not streams:
        kinds = sorted({s.type for s in container.streams})
        raise VideoError(f"no video stream (the file holds {', '.join(kinds) or 'nothing'})")
    return streams[0]


def truncated_box(path: Path, size: int) -> str | None:
    """If `path` is an ISO-BMFF file (MP4, QuickTime, 3GP) whose top-level boxes run past its
    end, say so: the usual fate of a copy cut short, which loses the index (`moov`) that
    cameras write last. Reads a few bytes per top-level box."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8 or head[4:8] != b"ftyp":
            return None
        offset, boxes = 0, 0
        while offset < size and boxes < 10_000:
            f.seek(offset)
            header = f.read(16)
            if len(header) < 8:
                return f"truncated: the file ends inside a box header at byte {offset}"
            length = int.from_bytes(header[:4], "big")
            kind = header[4:8].decode("latin-1")
            if length == 1 and len(header) == 16:
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:  # runs to the end of the file by definition
                return None
            if length < 8:
                return None  # not a box structure this check understands
            if offset + length > size:
                return (
                    f"truncated: the file ends inside its '{kind}' box ({size} of "
                    f"{offset + length} bytes); the copy was probably cut short"
                )
            offset, boxes = offset + length, boxes + 1
    return None


def _format_label(container: InputContainer, path: Path) -> str:
    name = container.format.name
    if name.startswith("mov"):
        brand = str(container.metadata.get("major_brand", "")).strip().lower()
        if brand == "qt":
            return "QuickTime"
        if brand.startswith("3g"):
            return "3GP"
        return "M4V" if brand.startswith("m4v") else "MP4"
    if name.startswith("matroska"):
        with open(path, "rb") as f:
            return "WebM" if b"webm" in f.read(64) else "Matroska"
    return "AVI"


def _pixel_aspect(stream: VideoStream) -> float:
    """The container's pixel aspect ratio, else the codec's, as FFmpeg's players choose; 1
    when neither says, or when what they say is beyond 4:1 either way (no camera's)."""
    context = stream.codec_context
    for ratio in (stream.sample_aspect_ratio, context.sample_aspect_ratio if context else None):
        if ratio and ratio > 0:
            return float(ratio) if 0.25 <= ratio <= 4 else 1.0
    return 1.0


def _duration(container: InputContainer, stream: VideoStream) -> float | None:
    if container.duration:
        return float(container.duration) / 1e6
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _ffmpeg_reason(exc: Exception) -> str:
    """FFmpeg's error without the path and call it came from."""
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).rstrip(".")
