"""Invite codes this device has issued, and their one-time redemption.

`<home>/invites.json` (0600) lists the invites of the last day: the secret (needed to check a
joiner's proof), when the code expires and when it was used. `roost family invite` adds to it;
the running node redeems from it. Redemption marks the invite used under the file lock and
writes that to disk before any certificate is returned, so neither two racing joiners nor a node
restart can use one code twice.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from node.family import FamilyError
from node.files import locked, write_atomic

# Used and expired invites are kept this long so that presenting one again is answered with
# "already used" or "expired" rather than "wrong code".
RETENTION = datetime.timedelta(days=1)


class InviteRefused(FamilyError):
    """A proof that matches no usable invite; the message says which case, for the joiner."""


@dataclass(frozen=True)
class Invite:
    secret: int
    expires: datetime.datetime
    used: datetime.datetime | None = None


class InviteBook:
    def __init__(self, path: Path) -> None:
        self._path = path

    def add(self, secret: int, expires: datetime.datetime, now: datetime.datetime) -> Invite:
        invite = Invite(secret, expires)
        with locked(self._path):
            self._write([*self._current(now), invite])
        return invite

    def redeem(self, matches: Callable[[int], bool], now: datetime.datetime) -> Invite:
        """Mark the invite whose secret `matches` as used, or say why none can be."""
        with locked(self._path):
            invites = self._current(now)
            found = next((invite for invite in invites if matches(invite.secret)), None)
            if found is None:
                raise InviteRefused("wrong invite code")
            if found.used is not None:
                raise InviteRefused("this invite code was already used; ask for a new one")
            if now >= found.expires:
                raise InviteRefused("this invite code has expired; ask for a new one")
            used = replace(found, used=now)
            self._write([used if invite is found else invite for invite in invites])
        return used

    def _current(self, now: datetime.datetime) -> list[Invite]:
        if not self._path.exists():
            return []
        rows = json.loads(self._path.read_text())
        invites = [
            Invite(
                int(row["secret"], 16),
                datetime.datetime.fromisoformat(row["expires"]),
                datetime.datetime.fromisoformat(row["used"]) if row["used"] else None,
            )
            for row in rows
        ]
        return [invite for invite in invites if invite.expires + RETENTION > now]

    def _write(self, invites: list[Invite]) -> None:
        rows = [
            {
                "secret": f"{invite.secret:x}",
                "expires": invite.expires.isoformat(),
                "used": invite.used.isoformat() if invite.used else None,
            }
            for invite in invites
        ]
        write_atomic(self._path, json.dumps(rows, indent=1).encode(), mode=0o600)
