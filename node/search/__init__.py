"""Search: what the user asks and, in time, how the library and family devices answer it.

`parse_query` turns the text of `roost search "..."` into a `protocol.query.Query`. The rules of
the language live in `node.search.parse` (names, places, fields) and `node.search.when` (dates).
"""

from node.search.parse import parse_query
from node.search.when import parse_when
from protocol.query import QueryError

__all__ = ["QueryError", "parse_query", "parse_when"]
