from tests.albums import album

__all__ = ["album"]
