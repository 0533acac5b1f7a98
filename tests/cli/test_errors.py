"""One way errors reach the user: every refusal is a RoostError, mapped by one table."""

from __future__ import annotations

import pytest

from node.cli.errors import CommandError, exit_codes, explain
from node.faces.models import ModelMissing
from node.family import FamilyError
from node.library.store import LibraryBusy, LibraryError
from node.media.decode import DecodeError
from node.peer import PeerError
from node.people.edits import LabelError
from node.search.errors import QueryError
from protocol.errors import RoostError
from protocol.identity import IdentityError
from protocol.pairing import CodeError
from protocol.revocation import RevocationError


@pytest.mark.parametrize(
    "error",
    [
        ModelMissing, FamilyError, PeerError, LibraryError, LibraryBusy, DecodeError, LabelError,
        QueryError, IdentityError, CodeError, RevocationError, CommandError,
    ],
)  # fmt: skip
def test_every_domain_error_shares_the_root(error: type[Exception]) -> None:
    assert issubclass(error, RoostError)
    assert not issubclass(error, (ValueError, RuntimeError))  # no broad except can take it


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (QueryError("no such month"), 2, "cannot read the query: no such month"),
        (LabelError("Bob is a pet"), 2, "Bob is a pet"),
        (CodeError("typo"), 2, "typo"),
        (PeerError("unreachable"), 2, "unreachable"),
        (CommandError("not indexed"), 2, "not indexed"),
        (LibraryBusy("being written by pid 7"), 1, "being written by pid 7"),
        (ModelMissing("weights missing"), 1, "weights missing"),
        (DecodeError("truncated"), 1, "truncated"),
    ],
)
def test_the_table_gives_message_and_exit_code(error: RoostError, code: int, message: str) -> None:
    assert explain(error) == (message, code)


def test_specific_rows_come_before_their_bases() -> None:
    kinds = [kind for kind, _, _ in exit_codes()]
    for n, kind in enumerate(kinds):
        assert not any(issubclass(kind, earlier) for earlier in kinds[:n]), kind
    assert kinds[-1] is RoostError
