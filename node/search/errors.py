"""The one error a query can raise, so that the CLI can show it without a traceback."""

from __future__ import annotations

from protocol.errors import RoostError


class QueryError(RoostError):
    """A query that cannot be read as asked; the message says what to write instead."""
