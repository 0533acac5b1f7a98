from tests.albums import album
from tests.scenery import seen

__all__ = ["album", "seen"]
