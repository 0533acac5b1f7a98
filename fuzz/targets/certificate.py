"""Device certificates: from a Hello reply, a pairing reply, the TLS handshake, or the disk
(`verify_member`, and renewal of what verifies)."""

from __future__ import annotations

from collections.abc import Iterator

from fuzz.world import world
from protocol.identity import (
    IdentityError,
    cert_to_der,
    certificate_from_der,
    renew_device_certificate,
    self_signed_certificate,
    verify_member,
)


def fuzz_one(data: bytes) -> None:
    admin = world().admin
    assert admin.ca_key is not None
    try:
        certificate = certificate_from_der(data)
        member = verify_member(certificate, admin.ca_certificate)
        renewed = renew_device_certificate(certificate, admin.ca_certificate, admin.ca_key)
    except IdentityError:
        return
    assert verify_member(renewed, admin.ca_certificate) == member


def seeds() -> Iterator[bytes]:
    w = world()
    yield cert_to_der(w.member.certificate)
    yield cert_to_der(w.admin.certificate)
    yield cert_to_der(w.admin.ca_certificate)
    yield cert_to_der(self_signed_certificate(w.member.key))
