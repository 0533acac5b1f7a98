"""Scene words answered from what the vision stage saw: which photos show "beach" or "dog".

A word (or two adjacent words, "teddy bear") is looked up in the vocabulary
(`node.search.vocabulary`) and matched against the photo's detected objects and its
classifier labels; a photo shows the concept if

- the detector found one of its objects with a score of at least `OBJECT_MIN`, or
- the classifier's scores of its labels add up to at least `LABEL_MIN` (a dog that is 40 %
  beagle and 30 % foxhound is a dog at 0.7).

The evidence (the larger of the two, at most 1) multiplies a hit's rank score. With a CLIP-style
model installed, words the vocabulary does not cover are answered by it instead: photos whose
image embedding lies within the model's threshold of the word's text embedding.

A word that nothing covers is reported in a note and does not filter, like every other part of
a query Roost cannot read; so is a library whose photos were not analysed (models missing).
Thresholds: docs/ARCHITECTURE.md, "Scenes".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np

from node.library.store import Library
from node.models.registry import COCO_SSD, IMAGENET_MOBILENET, Role
from node.models.store import ModelStore
from node.search.vocabulary import Concept, Vocabulary
from node.vision import tables
from node.vision.clip import ClipModel
from node.vision.stages import ObjectStage, SceneLabelStage

OBJECT_MIN = 0.4
LABEL_MIN = 0.3


class Reader(StrEnum):
    """What answered a scene word."""

    VOCABULARY = "vocabulary"  # detected objects and classifier labels, through the vocabulary
    CLIP = "clip"  # a CLIP-style model's image and text embeddings


@dataclass(frozen=True)
class WordMatch:
    word: str  # as typed (two words joined by a space for a phrase)
    photos: dict[str, float]  # media hash → evidence in (0, 1]
    by: Reader


@dataclass
class Scenes:
    matches: list[WordMatch] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def match_scenes(library: Library, words: tuple[str, ...], store: ModelStore) -> Scenes:
    """Which photos show each scene word of a query."""
    return _Matcher(library, store).match(words)


class _Matcher:
    def __init__(self, library: Library, store: ModelStore) -> None:
        self.library, self.store = library, store

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary(self._labels_of(COCO_SSD.name), self._labels_of(IMAGENET_MOBILENET.name))

    def _labels_of(self, model: str) -> list[str]:
        path = self.store.folder(model) / "labels.txt"
        return path.read_text().splitlines() if path.is_file() else []

    @cached_property
    def clip(self) -> ClipModel | None:
        spec = self.store.installed(Role.CLIP)
        return None if spec is None else ClipModel(spec, self.store.folder(spec.name))

    @cached_property
    def analysed(self) -> int:
        """How many photos the object or scene-label stage has run on."""
        stages = f"'{ObjectStage.name}', '{SceneLabelStage.name}'"
        query = self.library.stages.search().where(f"stage IN ({stages})").select(["hash"])
        return len(set(query.limit(None).to_arrow().column("hash").to_pylist()))

    def match(self, words: tuple[str, ...]) -> Scenes:
        scenes = Scenes()
        if not self.analysed and self.clip is None:
            scenes.notes.append(
                f"scene words ({', '.join(words)}) cannot be searched on this device: no photo "
                "here has been analysed for objects and scenes; install the models (`roost "
                "models list`) and run `roost index` again (family devices that have them "
                "answer for their own photos)"
            )
            return scenes
        i = 0
        while i < len(words):
            taken, concept = self._concept_at(words, i)
            phrase = " ".join(words[i : i + taken])
            i += taken
            if concept is not None and self.analysed:
                scenes.matches.append(WordMatch(phrase, self._photos(concept), Reader.VOCABULARY))
                continue
            by_clip = self._by_clip(phrase)
            if by_clip is not None:
                scenes.matches.append(WordMatch(phrase, by_clip, Reader.CLIP))
            else:
                scenes.uncovered.append(phrase)
        scenes.notes += self._notes(scenes)
        return scenes

    def _concept_at(self, words: tuple[str, ...], i: int) -> tuple[int, Concept | None]:
        for length in range(min(self.vocabulary.longest, len(words) - i), 0, -1):
            concept = self.vocabulary.concept(" ".join(words[i : i + length]))
            if concept is not None:
                return length, concept
        return 1, None

    def _photos(self, concept: Concept) -> dict[str, float]:
        found: dict[str, float] = {}
        if concept.objects:
            rows = tables.objects_table(self.library).search()
            labels = ", ".join("'" + o.replace("'", "''") + "'" for o in sorted(concept.objects))
            rows = rows.where(f"label IN ({labels}) AND score >= {OBJECT_MIN}")
            for row in rows.select(["media_hash", "score"]).limit(None).to_arrow().to_pylist():
                found[row["media_hash"]] = max(found.get(row["media_hash"], 0.0), row["score"])
        if concept.labels:
            table = tables.labels_table(self.library).search().limit(None).to_arrow()
            for digest, labels, scores in zip(
                table["hash"].to_pylist(), table["labels"].to_pylist(),
                table["scores"].to_pylist(), strict=True,
            ):  # fmt: skip
                total = sum(s for label, s in zip(labels, scores, strict=True)
                            if label in concept.labels)  # fmt: skip
                if total >= LABEL_MIN:
                    found[digest] = max(found.get(digest, 0.0), min(total, 1.0))
        return {digest: round(score, 4) for digest, score in found.items()}

    def _by_clip(self, phrase: str) -> dict[str, float] | None:
        if self.clip is None:
            return None
        text = self.clip.embed_text(phrase)
        if text is None:
            return None
        model = self.clip.id.replace("'", "''")
        query = tables.clip_table(self.library).search().where(f"model = '{model}'")
        table = query.select(["hash", "embedding"]).limit(None).to_arrow()
        if not table.num_rows:
            return {}
        vectors = np.asarray(table["embedding"].to_pylist(), np.float32)
        similarity = vectors @ text
        return {
            digest: round(float(s), 4)
            for digest, s in zip(table["hash"].to_pylist(), similarity, strict=True)
            if s >= self.clip.manifest.threshold
        }

    def _notes(self, scenes: Scenes) -> list[str]:
        notes = []
        if scenes.uncovered:
            how = "" if self.clip is not None else "; a CLIP model (`roost models import`) would"
            notes.append(
                f"no object or scene Roost can recognise is called {', '.join(scenes.uncovered)}"
                f", so {'it was' if len(scenes.uncovered) == 1 else 'they were'} ignored{how}"
            )
        if scenes.matches:
            photos = len(self.library.media_hashes())
            if self.analysed < photos:
                notes.append(
                    f"only {self.analysed} of {photos} photos have been analysed for objects and "
                    "scenes: "
                    f"install the models (`roost models list`) and run `roost index` again"
                )
        return notes
