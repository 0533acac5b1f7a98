"""A CLIP-style model the user imports: image and text encoders into one space, for words no
vocabulary covers ("lighthouse", "fireworks").

No such model can be pinned by Roost (none is obtainable under a clear licence here), so it is
imported as a folder, checked by loading it, and installed with the pins of its files as
imported (`pins.json`). The folder holds:

- `clip.json`: `{"name", "licence", "image_size", "mean", "std", "context", "start", "end",
  "prompt", "threshold"}` (optionally `"image_input"`, `"text_input"`; default `pixels` and
  `tokens`).
- `image.onnx`: float32 `[1, 3, S, S]` (RGB, scaled to 0–1, then `(x - mean) / std`) → `[1, D]`.
- `text.onnx`: int64 `[1, context]` token ids (start, tokens, end, zeros) → `[1, D]`.
- `tokens.txt`: the token vocabulary, one per line; a token's id is its line number.

Words are tokenized whole: each word of the prompt (e.g. "a photo of a {}") must be one
vocabulary entry, as `word</w>` (CLIP's byte-pair vocabulary holds common words so) or
`word`. A word that would need byte-pair merges is reported as not covered rather than guessed;
a full BPE tokenizer is future work.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from node.faces.models import ModelMissing
from node.models.registry import ModelSpec, Role
from node.models.runtime import OnnxModel, TensorSpec
from node.models.store import ModelRefused, ModelStore, file_pin
from node.vision.model import Needs

MANIFEST = "clip.json"
FILES = (MANIFEST, "image.onnx", "text.onnx", "tokens.txt")
_KEYS = ("name", "licence", "image_size", "mean", "std", "context", "start", "end", "prompt",
         "threshold")  # fmt: skip


@dataclass(frozen=True)
class ClipManifest:
    name: str
    licence: str
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    context: int
    start: int
    end: int
    prompt: str
    threshold: float  # cosine similarity at which a photo shows the word
    image_input: str = "pixels"
    text_input: str = "tokens"

    @classmethod
    def read(cls, path: Path) -> ClipManifest:
        try:
            record = json.loads(path.read_text())
            missing = [k for k in _KEYS if k not in record]
            if missing:
                raise ValueError(f"lacks {', '.join(missing)}")
            manifest = cls(
                name=str(record["name"]),
                licence=str(record["licence"]),
                image_size=int(record["image_size"]),
                mean=_three(record["mean"]),
                std=_three(record["std"]),
                context=int(record["context"]),
                start=int(record["start"]),
                end=int(record["end"]),
                prompt=str(record["prompt"]),
                threshold=float(record["threshold"]),
                image_input=str(record.get("image_input", "pixels")),
                text_input=str(record.get("text_input", "tokens")),
            )
        except (OSError, ValueError, TypeError) as exc:
            raise ModelRefused(f"{path} is not a CLIP manifest Roost reads: {exc}") from exc
        if "{}" not in manifest.prompt or not 8 <= manifest.image_size <= 1024:
            raise ModelRefused(f"{path}: prompt needs '{{}}' and image_size 8–1024")
        return manifest


def _three(value: Any) -> tuple[float, float, float]:
    a, b, c = (float(v) for v in value)
    return a, b, c


class ClipModel:
    needs = (Needs.IMAGE, Needs.TEXT)

    def __init__(self, spec: ModelSpec, folder: Path, *, threads: int = 1) -> None:
        self.spec = spec
        self.manifest = ClipManifest.read(folder / MANIFEST)
        self._folder = folder
        self._image = OnnxModel(
            folder / "image.onnx", [TensorSpec(self.manifest.image_input, "tensor(float)", 4)],
            threads=threads,
        )  # fmt: skip
        self._text = OnnxModel(
            folder / "text.onnx", [TensorSpec(self.manifest.text_input, "tensor(int64)", 2)],
            threads=threads,
        )  # fmt: skip

    @property
    def id(self) -> str:
        """Which model made an embedding: name and the image encoder's pin."""
        return f"{self.spec.name}:{self.spec.file('image.onnx').sha256[:12]}"

    @property
    def loaded(self) -> bool:
        return self._image.loaded or self._text.loaded

    @cached_property
    def _vocabulary(self) -> dict[str, int]:
        lines = (self._folder / "tokens.txt").read_text().splitlines()
        return {token: i for i, token in enumerate(lines)}

    def embed_image(self, image: Image.Image) -> np.ndarray:
        m = self.manifest
        small = image.convert("RGB").resize((m.image_size, m.image_size), Image.Resampling.BICUBIC)
        scaled = np.asarray(small, dtype=np.float32) / np.float32(255.0)
        pixels = (scaled - np.array(m.mean, np.float32)) / np.array(m.std, np.float32)
        feed = {m.image_input: pixels.transpose(2, 0, 1)[None]}
        (out,) = self._image.run(feed, [_first(self._image)])
        return _unit(out)

    def tokens(self, word: str) -> list[int] | None:
        """The token ids of the prompt for `word`, or None if a word is not one token."""
        ids = [self.manifest.start]
        for part in self.manifest.prompt.format(word).lower().split():
            token = self._vocabulary.get(f"{part}</w>", self._vocabulary.get(part))
            if token is None:
                return None
            ids.append(token)
        ids.append(self.manifest.end)
        return ids if len(ids) <= self.manifest.context else None

    def embed_text(self, word: str) -> np.ndarray | None:
        ids = self.tokens(word)
        if ids is None:
            return None
        row = np.zeros((1, self.manifest.context), np.int64)
        row[0, : len(ids)] = ids
        (out,) = self._text.run({self.manifest.text_input: row}, [_first(self._text)])
        return _unit(out)


def _first(model: OnnxModel) -> str:
    """The name of a model's first output (the embedding)."""
    return model.output_names()[0]


def _unit(out: np.ndarray) -> np.ndarray:
    vector = out.reshape(-1).astype(np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-6)


def import_clip(store: ModelStore, folder: Path) -> ModelSpec:
    """Check a CLIP bundle by loading it and encoding a probe, then install it."""
    manifest = ClipManifest.read(folder / MANIFEST)
    blobs = {}
    for name in FILES:
        try:
            blobs[name] = (folder / name).read_bytes()
        except OSError as exc:
            raise ModelRefused(f"a CLIP bundle needs {name}: {exc.strerror or exc}") from exc
    spec = ModelSpec(
        name=_safe_name(manifest.name),
        role=Role.CLIP,
        files=tuple(file_pin(name, data) for name, data in blobs.items()),
        licence=manifest.licence,
        enables="open-vocabulary scene words (CLIP)",
    )
    probe = ClipModel(spec, folder)
    try:
        image = probe.embed_image(Image.new("RGB", (32, 32), (128, 128, 128)))
        text = probe.embed_text("photo")
    except ModelMissing as exc:
        raise ModelRefused(f"{folder} is not a usable CLIP bundle: {exc}") from exc
    if text is not None and text.shape != image.shape:
        raise ModelRefused(
            f"{folder}: image ({image.shape[0]}-d) and text ({text.shape[0]}-d) embeddings differ"
        )
    store.install_unpinned(spec, blobs)
    return spec


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in name.lower()).strip("-.")
    return cleaned or "clip-" + hashlib.sha256(name.encode()).hexdigest()[:8]
