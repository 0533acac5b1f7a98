"""XMP sidecars: the metadata Lightroom, digiKam and darktable keep beside a photo.

A sidecar is named after the photo with `.xmp` added (`IMG_1.jpg.xmp`, darktable, digiKam) or
replacing its suffix (`IMG_1.xmp`, Lightroom, Capture One). When both exist the one naming the
full file wins, because `IMG_1.xmp` may belong to `IMG_1.cr2` beside `IMG_1.jpg`. Names match
whatever their case. Sidecars are read, never written.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from node.media import xmp

SIDECAR_SUFFIXES = frozenset({".xmp", ".json"})


def find_xmp(photo: Path, names: Collection[str]) -> Path | None:
    """The XMP sidecar of `photo` among the file names `names` of its folder."""
    folded = {n.casefold(): n for n in names}
    for wanted in (f"{photo.name}.xmp", f"{photo.stem}.xmp"):
        found = folded.get(wanted.casefold())
        if found is not None:
            return photo.with_name(found)
    return None


def read_xmp(path: Path) -> xmp.Properties:
    """The properties of an XMP sidecar file (UTF-8 or UTF-16), or `XmpError`."""
    try:
        with open(path, "rb") as f:
            data = f.read(xmp.MAX_PACKET + 1)
    except OSError as exc:
        raise xmp.XmpError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    return xmp.parse(data)
