"""Every indexing stage Roost knows, in dependency order.

A new stage is one module with a `Stage` subclass and one line here; the run gives it the
photos it has not done at its current version, so adding it to an existing library runs only it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from node.index.faces import FaceStage
from node.index.imports import ImportStage
from node.index.models import Models
from node.index.stage import Stage
from node.index.thumbnails import ThumbnailStage
from node.index.video import VideoStage
from node.library.store import Library, LibraryError, Space
from node.video.analyse import VideoOptions
from node.vision.shared import VisionModels
from node.vision.stages import BodyStage, ClipStage, ObjectStage, SceneLabelStage


@dataclass(frozen=True)
class Context:
    """What a stage may be built with: the library, the embedding space faces go to, the
    model and decoding settings of this run, and the models it shares: the face models
    (`node.index.models`, kept across runs by the node) and this run's vision models
    (`node.vision.shared`), so that no model loads twice for two stages."""

    library: Library
    space: Space
    detect_side: int
    min_face: int
    model_threads: int
    models: Models
    work_side: int  # long side of the working image, for a stage that decodes on its own
    max_pixels: int
    vision: VisionModels


Factory = Callable[[Context], Stage]

REGISTRY: dict[str, Factory] = {
    FaceStage.name: lambda c: FaceStage(
        c.library,
        c.space,
        detect_side=c.detect_side,
        min_face=c.min_face,
        model_threads=c.model_threads,
        models=c.models,
    ),
    ThumbnailStage.name: lambda c: ThumbnailStage(),
    VideoStage.name: lambda c: VideoStage(
        c.library,
        c.space,
        detect_side=c.detect_side,
        model_threads=c.model_threads,
        models=c.models,
        options=VideoOptions(min_face=c.min_face),  # the faces stage's detector, not a second
    ),
    ImportStage.name: lambda c: ImportStage(
        c.library,
        c.space,
        model_threads=c.model_threads,
        work_side=c.work_side,
        max_pixels=c.max_pixels,
    ),
    ObjectStage.name: lambda c: ObjectStage(c.vision),
    SceneLabelStage.name: lambda c: SceneLabelStage(c.vision),
    BodyStage.name: lambda c: BodyStage(c.library, c.vision),
    ClipStage.name: lambda c: ClipStage(c.vision),
}


def build(context: Context, only: Sequence[str] = ()) -> list[Stage]:
    """The stages of a run, in registry order; `only` restricts it to the named ones."""
    unknown = sorted(set(only) - REGISTRY.keys())
    if unknown:
        raise LibraryError(f"unknown stage {', '.join(unknown)}; stages: {', '.join(REGISTRY)}")
    stages = [make(context) for name, make in REGISTRY.items() if not only or name in only]
    order = list(REGISTRY)
    for stage in stages:  # what a stage reads comes before it, also when only it runs
        at = order.index(stage.name)
        late = [s for s in stage.after if s not in order or order.index(s) > at]
        if late:
            raise AssertionError(f"stage {stage.name} reads {late}, not registered before it")
    return stages
