"""Small per-face artefacts stored beside the vector: a thumbnail and a sharpness score.

The thumbnail is what the TUI shows and what a family peer may receive with a search hit, so
it is deliberately small. Sharpness lets clustering ignore blurred faces, which otherwise glue
different people together.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

THUMB_SIDE = 112


def thumbnail(image: Image.Image, box: tuple[float, float, float, float]) -> bytes:
    """A square JPEG of the face with some context around it."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * 1.3
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    crop = image.crop((round(cx - side / 2), round(cy - side / 2),
                       round(cx + side / 2), round(cy + side / 2)))  # fmt: skip
    crop = crop.resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    crop.save(out, format="JPEG", quality=85)
    return out.getvalue()


def sharpness(image: Image.Image, box: tuple[float, float, float, float]) -> float:
    """Variance of the Laplacian on the face, normalised to a 64 px crop so sizes compare."""
    face = image.crop(box).convert("L").resize((64, 64))
    g = np.asarray(face, dtype=np.float32)
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return float(lap.var())
