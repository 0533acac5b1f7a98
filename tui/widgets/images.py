"""Photos and faces in the terminal through textual-image: Sixel, Kitty graphics or half blocks,
whichever the terminal supports.

The image class is a parameter of the app, never a choice made on import: importing
`textual_image.widget` queries the terminal (graphics support, cell size), which must happen
before Textual takes the terminal over, must not happen for `roost tui --help`, and is replaced
in tests by `HalfcellImage`, so that snapshots do not depend on the terminal they run in.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from PIL import Image, ImageOps
from textual.widget import Widget
from textual.widgets import Static

from protocol.search import THUMBNAIL_PX, thumbnail_problem

ImageClass = Callable[[Image.Image], Widget]

# A letterboxed photo is this many pixels per terminal cell: cells are about twice as tall as
# wide, so a box of W x H cells is W:2H in shape.
_CELL = (8, 16)
_LETTERBOX = (24, 24, 24)


def terminal_image_class() -> ImageClass:
    """The best image widget for the terminal this process runs in."""
    # Its fallbacks are fine, but a terminal that does not answer the cell-size query would get
    # a warning with a traceback printed under the app by Python's last-resort log handler.
    logging.getLogger("textual_image").addHandler(logging.NullHandler())
    try:
        from textual_image.widget import Image as TerminalImage
    except ZeroDivisionError:
        # textual-image 0.12 divides by the window's column count, which a terminal that was
        # never sized (some CI ptys, `docker exec -t`) reports as 0. Its own default cell size
        # (10 x 20 pixels, a VT340's) is what it would fall back to; give it that and retry.
        from textual_image import _terminal

        _terminal.get_cell_size._result = _terminal.CellSize(10, 20)  # type: ignore[attr-defined]
        from textual_image.widget import Image as TerminalImage

    return TerminalImage


def peer_thumbnail(data: bytes) -> Image.Image | None:
    """A thumbnail another device sent with a hit, decoded now, or None (none sent, or one that
    does not decode). Its header was checked on arrival (`protocol.search.thumbnail_problem`)
    and is checked again, and so is the size the decoder finds before it decodes the body, so
    what is decoded is small whoever built the hit; decoding here, not lazily inside a widget,
    keeps a corrupt body from failing while the screen is drawn."""
    if not data or thumbnail_problem(data):
        return None
    try:
        image = Image.open(io.BytesIO(data), formats=("JPEG", "WEBP"))
        if max(image.size) > THUMBNAIL_PX:
            return None
        image.load()
    except (OSError, Image.DecompressionBombError):
        return None
    return image


def face_image(image_class: ImageClass, jpeg: bytes | None) -> Widget:
    """A face thumbnail (the 112 px JPEG of the faces table), or a gap if it was not loaded."""
    if jpeg is None:
        return Static("", classes="image missing")
    widget = image_class(Image.open(io.BytesIO(jpeg)))
    widget.add_class("image")
    return widget


def photo_image(
    image_class: ImageClass, photo: Image.Image | None, cells: tuple[int, int] | None = None
) -> Widget:
    """A photo, letterboxed into `cells` (columns, rows) when given so that photos of every
    shape line up in a grid; a note if the file could not be read (moved, deleted, or on a
    disk that is not mounted)."""
    if photo is None:
        return Static("photo not readable", classes="image missing")
    if cells is not None:
        photo = ImageOps.pad(photo, (cells[0] * _CELL[0], cells[1] * _CELL[1]), color=_LETTERBOX)
    widget = image_class(photo)
    widget.add_class("image")
    return widget
