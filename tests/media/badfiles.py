"""Bad files made on the fly: the shapes of broken input a photo library really contains."""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path


def png_bomb(path: Path, width: int, height: int) -> Path:
    """A valid 1-bit PNG of `width`×`height` zeros: tiny on disk, huge once decoded to RGB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def truncated_copy(source: Path, path: Path, fraction: float = 0.4) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def random_bytes(path: Path, size: int = 50_000, seed: int = 7) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path
