"""What every face model shares: how it reports that its weights are not there."""

from __future__ import annotations

from protocol.errors import RoostError


class ModelMissing(RoostError):
    """A model's weights are absent or unusable. Roost never substitutes random weights."""
