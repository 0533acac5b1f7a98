"""One photo, large, with its faces outlined and named: the answer to "who is that?" and the
context a face alone lacks when a suggestion is hard to judge. A video shows one frame (it is
not played) and, beside each face track, when it is on screen."""

from __future__ import annotations

from typing import ClassVar

from PIL import Image, ImageDraw
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label

from node.media.decode import DecodeError
from node.video.timeline import clock
from tui.data import Photo, PhotoFace, Roost
from tui.screens.base import RoostScreen, Session
from tui.widgets.cards import VIDEO_MARK
from tui.widgets.images import face_image, photo_image

_SIDE = 1024  # pixels on the long side: plenty for a terminal, however it draws images
# Box colours, one per face in order, matched by the marks in the list of names.
_COLOURS = ("#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4")


class PhotoScreen(RoostScreen):
    SUB_TITLE = "Photo"
    HELP = """
    Every face Roost found, outlined, and who it is: a name, a suggestion waiting for the
    review (**?**), or nobody yet.
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]
    DEFAULT_CSS = """
    PhotoScreen .path, PhotoScreen .when { width: 1fr; padding: 0 1; }
    PhotoScreen .path { text-wrap: nowrap; text-overflow: ellipsis; }
    PhotoScreen .photo .image { width: auto; height: 1fr; }
    PhotoScreen .photo .missing { width: 1fr; content-align: center middle; }
    PhotoScreen .faces { width: 34; padding: 0 1; }
    PhotoScreen .face { height: 6; }
    PhotoScreen .face .image { width: 10; height: 5; margin-right: 1; }
    PhotoScreen .face Label { width: 1fr; }
    """

    def __init__(self, session: Session, media_hash: str) -> None:
        super().__init__(session)
        self.media_hash = media_hash

    def body(self) -> ComposeResult:
        photo = self.roost.photo(self.media_hash)
        path = photo.paths[0] if photo.paths else None
        when = photo.taken_at[:16].replace("T", " ")
        about = f"{when} · {photo.place or 'no place'}"
        if photo.video is not None:
            about += f" · {VIDEO_MARK} video {clock(photo.video.duration)}, its frame at "
            about += f"{clock(photo.video.poster)}"
        yield Label(path or "no file points at this photo any more", classes="path", markup=False)
        yield Label(about, classes="when", markup=False)
        with Horizontal():
            with Vertical(classes="photo"):
                yield photo_image(self.session.image_class, _outlined(self.roost, path, photo))
            with VerticalScroll(classes="faces"):
                for n, face in enumerate(photo.faces):
                    with Horizontal(classes="face"):
                        yield face_image(self.session.image_class, face.thumbnail)
                        mark = Text("■ ", style=_COLOURS[n % len(_COLOURS)])
                        yield Label(mark + Text(_who(face) + _when(face)))

    async def show(self) -> None:
        await self.recompose()

    def action_back(self) -> None:
        self.app.pop_screen()


def _outlined(roost: Roost, path: str | None, photo: Photo) -> Image.Image | None:
    """The photo with a coloured box around each face; None if the file cannot be read. A
    video shows its poster frame, with the boxes of the faces whose best frame it is."""
    if path is None:
        return None
    try:
        image = roost.picture(path, _SIDE)
    except DecodeError:
        return None
    scale = image.width / photo.size[0]
    draw = ImageDraw.Draw(image)
    width = max(2, image.width // 150)
    poster = photo.video.poster if photo.video else None
    for n, face in enumerate(photo.faces):
        if poster is not None and (face.on_screen is None or face.on_screen.best_time != poster):
            continue  # a face on another frame of the video
        box = [v * scale for v in face.box]
        draw.rectangle(box, outline=_COLOURS[n % len(_COLOURS)], width=width)
    return image


def _when(face: PhotoFace) -> str:
    """When a video's face is on screen, on its own lines."""
    if face.on_screen is None:
        return ""
    return "".join(f"\n{clock(a)}–{clock(b)}" for a, b in face.on_screen.spans)


def _who(face: PhotoFace) -> str:
    if face.name is not None:
        return face.name
    return f"{face.suggested}?" if face.suggested is not None else "nobody yet"
