"""A joining device's certificate request, as the inviter signs it."""

from __future__ import annotations

from collections.abc import Iterator

from cryptography.hazmat.primitives import serialization

from fuzz.world import world
from protocol.identity import (
    IdentityError,
    csr_from_der,
    issue_device_certificate,
    make_csr,
    new_key,
    verify_member,
)


def fuzz_one(data: bytes) -> None:
    admin = world().admin
    assert admin.ca_key is not None
    try:
        csr = csr_from_der(data)
        certificate = issue_device_certificate(csr, admin.ca_certificate, admin.ca_key)
    except IdentityError:
        return
    verify_member(certificate, admin.ca_certificate)


def seeds() -> Iterator[bytes]:
    for name in ("phone", "Grandma's tablet", "x" * 64):
        yield make_csr(new_key(), name).public_bytes(serialization.Encoding.DER)
