"""The cards the grids show: a face, a person or cluster with a few of its faces, a photo found.

Each card class states its cell size (`CELL`, columns x rows) once; the grid lays cells out at
that size and the card fills its cell.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label

from tui.widgets.grid import Card
from tui.widgets.images import ImageClass, face_image, photo_image

VIDEO_MARK = "▶"  # marks a video: its card shows one frame, and nothing plays


def _css(card: str, more: str = "") -> str:
    """What every card looks like, under its own type name (Textual scopes a widget's CSS)."""
    common = """
    CARD { width: 1fr; height: 1fr; padding: 0 1; }
    CARD.-selected { background: $success 35%; }
    CARD.-cursor { background: $accent 45%; }
    CARD .image { width: 10; height: 5; }
    CARD Label { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    return (common + more).replace("CARD", card)


class FaceCard(Card):
    """A face and a one-line caption (who it is, or how sure Roost is)."""

    CELL = (12, 7)
    DEFAULT_CSS = _css("FaceCard")

    def __init__(
        self, face: str, thumbnail: bytes | None, caption: str, image_class: ImageClass
    ) -> None:
        super().__init__(face)
        self._thumbnail, self._caption, self._image_class = thumbnail, caption, image_class

    def compose(self) -> ComposeResult:
        yield face_image(self._image_class, self._thumbnail)
        yield Label(self._caption, markup=False)


class SubjectCard(Card):
    """A named person or pet, or an unnamed cluster: what it is and its first faces."""

    CELL = (53, 7)
    FACES = 3  # faces shown per card
    DEFAULT_CSS = _css(
        "SubjectCard",
        """
        CARD > Horizontal { height: 5; }
        CARD .about { width: 18; height: 5; }
        CARD .about Label { width: 18; }
        CARD .about .name { text-style: bold; }
        CARD .image { margin-right: 1; }
        """,
    )

    def __init__(
        self, key: str, lines: Sequence[str], faces: Sequence[bytes | None], image_class: ImageClass
    ) -> None:
        super().__init__(key)
        self._lines, self._faces, self._image_class = lines, faces, image_class

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(classes="about"):
                for n, line in enumerate(self._lines):
                    yield Label(line, markup=False, classes="name" if n == 0 else "")
            for thumbnail in self._faces:
                yield face_image(self._image_class, thumbnail)


class HitCard(Card):
    """A photo or video a search found, with its date, place and who is in it (and for a video,
    when the people asked for are on screen)."""

    CELL = (28, 12)
    PHOTO = (26, 8)  # cells the photo is letterboxed into
    DEFAULT_CSS = _css("HitCard", "CARD .image { width: 26; height: 8; }")

    def __init__(
        self, path: str, photo: Image.Image | None, lines: Sequence[str], image_class: ImageClass
    ) -> None:
        super().__init__(path)
        self._photo, self._lines, self._image_class = photo, lines, image_class

    def compose(self) -> ComposeResult:
        yield photo_image(self._image_class, self._photo, self.PHOTO)
        for line in self._lines:
            yield Label(line, markup=False)
