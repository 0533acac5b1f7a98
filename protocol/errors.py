"""The one root of every error Roost raises on purpose.

Each module raises its own subclass (a bad query, a refused label edit, a library that cannot be
opened, a peer that did not answer), and its message is written for the person who will read it:
what went wrong and what to do. One root means one `except RoostError` separates refusals from
bugs everywhere (the CLI's exit codes, a peer's error status, the TUI's notifications), and no
broad `except ValueError` can swallow a refusal or mistake a bug for one.

It lives in `protocol` because errors about what two devices say (invite codes, certificates,
revocation lists, queries) are raised here, and `node` builds on `protocol`, never the reverse.
"""

from __future__ import annotations


class RoostError(Exception):
    """A refusal or failure Roost reports with a message; anything else escaping is a bug."""
