"""What every vision model says about itself: which model it is, and what it needs as input."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from node.models.registry import ModelSpec


class Needs(StrEnum):
    """The input a model predicts from."""

    IMAGE = "image"  # the decoded, upright photo
    CROPS = "crops"  # regions of the photo that another model found
    TEXT = "text"  # words of a query


class VisionModel(Protocol):
    spec: ModelSpec
    needs: tuple[Needs, ...]

    @property
    def loaded(self) -> bool:
        """Whether the weights are in memory (they load on the first prediction)."""
        ...
