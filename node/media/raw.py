"""Camera RAW files, through the JPEG preview the camera embedded in them.

rawpy (LibRaw, maintained, the decoder behind darktable's and RawTherapee's file support) opens
every common RAW format. Roost reads the embedded preview rather than demosaicing: it is the
camera's own rendering, usually full size or close (ample for faces at 2048 px), and costs a
JPEG decode instead of a full raw development. A file without a usable preview is refused with
that reason; demosaicing is left out on purpose (seconds per file, and hundreds of megabytes).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageFile

from protocol.errors import RoostError

# LibRaw's `flip` (the camera's orientation) as the EXIF orientation value.
_FLIP_TO_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}


class RawError(RoostError):
    """The RAW file cannot be used; the message says why."""


def open_preview(path: Path) -> tuple[ImageFile.ImageFile, int]:
    """The embedded preview as an opened (not decoded) Pillow image, and the orientation to
    apply when the preview has none of its own."""
    import rawpy

    try:
        with rawpy.imread(str(path)) as raw:
            flip = int(raw.sizes.flip)
            thumb = raw.extract_thumb()
    except rawpy.LibRawNoThumbnailError as exc:
        raise RawError("RAW file has no embedded preview to index") from exc
    except (rawpy.LibRawError, OSError, ValueError) as exc:
        raise RawError(f"not a readable RAW file ({exc})") from exc
    if thumb.format != rawpy.ThumbFormat.JPEG or not isinstance(thumb.data, bytes):
        raise RawError("RAW file's embedded preview is not a JPEG")
    return Image.open(io.BytesIO(thumb.data)), _FLIP_TO_ORIENTATION.get(flip, 1)
