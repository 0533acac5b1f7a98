"""`Admin.Renew` through its handler on an admin device. The request is empty; what the
handler reads is the certificate the caller presented in the TLS handshake, which gRPC hands
over as PEM. The input is that certificate (DER), then the request's bytes after
`SEPARATOR` (unknown fields a newer peer might send)."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterator

from google.protobuf.message import DecodeError

from fuzz.world import Aborted, FakeContext, world
from node.peer.renewal import AdminService
from protocol.gen import roost_pb2
from protocol.identity import (
    cert_to_der,
    certificate_from_der,
    issue_device_certificate,
    make_csr,
    new_key,
    verify_member,
)

SEPARATOR = b"\0ROOST\0"


@functools.cache
def _service() -> AdminService:
    return AdminService(world().admin)


def fuzz_one(data: bytes) -> None:
    der, _, rest = data.partition(SEPARATOR)
    try:
        request = roost_pb2.RenewRequest.FromString(rest)
    except DecodeError:
        return
    # As gRPC hands it over: the handshake's DER certificate, PEM-armoured.
    pem = ssl.DER_cert_to_PEM_cert(der).encode()
    try:
        reply = _service().Renew(request, FakeContext(pem))
    except Aborted:  # not a member's certificate (UNAUTHENTICATED), or not renewable
        return
    # Only a current member is renewed: the same key and name, under the family CA, later.
    presented = certificate_from_der(der)
    renewed = certificate_from_der(reply.certificate)
    ca = world().admin.ca_certificate
    assert verify_member(renewed, ca) == verify_member(presented, ca)
    assert renewed.public_key() == presented.public_key()
    assert renewed.not_valid_after_utc >= presented.not_valid_after_utc


def seeds() -> Iterator[bytes]:
    w = world()
    assert w.admin.ca_key is not None
    other = issue_device_certificate(
        make_csr(new_key(), "laptop"), w.admin.ca_certificate, w.admin.ca_key
    )
    for certificate in (w.member.certificate, w.admin.certificate, other, w.admin.ca_certificate):
        yield cert_to_der(certificate)
        yield cert_to_der(certificate) + SEPARATOR + roost_pb2.RenewRequest().SerializeToString()
