"""The signed, numbered revocation list."""

from __future__ import annotations

import pytest

from protocol import revocation
from protocol.gen import roost_pb2
from protocol.identity import create_ca, new_key
from protocol.revocation import RevocationError


def test_revoking_adds_and_numbers() -> None:
    ca_key = new_key()
    ca = create_ca("Smiths", ca_key)
    first = revocation.revoke(None, "A" * 52, ca_key)
    second = revocation.revoke(first, "B" * 52, ca_key)
    assert (first.serial, second.serial) == (1, 2)
    read = revocation.from_bytes(second.signed.SerializeToString(), ca)
    assert read.serial == 2
    assert read.revokes("A" * 52) and read.revokes("B" * 52) and not read.revokes("C" * 52)


def test_only_the_family_ca_can_sign_a_list() -> None:
    ca_key = new_key()
    ca = create_ca("Smiths", ca_key)
    forged = revocation.sign(99, frozenset({"A" * 52}), new_key())
    with pytest.raises(RevocationError, match="not signed"):
        revocation.verify(forged.signed, ca)


def test_a_tampered_list_is_refused() -> None:
    ca_key = new_key()
    ca = create_ca("Smiths", ca_key)
    signed = revocation.sign(1, frozenset({"A" * 52}), ca_key).signed
    body = roost_pb2.RevocationList()
    body.ParseFromString(signed.body)
    body.device_ids.append("B" * 52)
    tampered = roost_pb2.SignedRevocationList(
        body=body.SerializeToString(), signature=signed.signature
    )
    with pytest.raises(RevocationError):
        revocation.verify(tampered, ca)
    with pytest.raises(RevocationError):
        revocation.from_bytes(b"\xff\xff garbage", ca)
