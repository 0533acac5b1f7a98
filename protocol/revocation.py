"""The family's revocation list: which device ids no member may talk to any more.

Revoked certificates stay validly signed by the family CA, so the TLS handshake alone would
still admit them; every member therefore checks this list on every call. The list is signed by
the CA key and numbered: members pass it on to each other (in `Hello`) and keep a received list
only if the CA signed it and its serial is higher than theirs, so a peer can neither forge a
list nor roll one back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf.message import DecodeError

from protocol.errors import RoostError
from protocol.gen import roost_pb2
from protocol.identity import PrivateKey

# Domain separation: the CA key also signs certificates; this prefix keeps the two apart.
_SIGNING_CONTEXT = b"roost revocation list v1\0"


class RevocationError(RoostError):
    """A list that is not signed by the family CA or cannot be read."""


@dataclass(frozen=True)
class RevocationList:
    serial: int
    device_ids: frozenset[str]
    signed: roost_pb2.SignedRevocationList

    def revokes(self, device_id: str) -> bool:
        return device_id in self.device_ids


def sign(serial: int, device_ids: frozenset[str], ca_key: PrivateKey) -> RevocationList:
    body = roost_pb2.RevocationList(
        serial=serial, device_ids=sorted(device_ids), issued_unix=int(time.time())
    ).SerializeToString()
    signature = ca_key.sign(_SIGNING_CONTEXT + body, ec.ECDSA(hashes.SHA256()))
    signed = roost_pb2.SignedRevocationList(body=body, signature=signature)
    return RevocationList(serial, device_ids, signed)


def revoke(current: RevocationList | None, device_id: str, ca_key: PrivateKey) -> RevocationList:
    """The next list: `current` plus `device_id`, with the next serial."""
    if current is None:
        return sign(1, frozenset({device_id}), ca_key)
    return sign(current.serial + 1, current.device_ids | {device_id}, ca_key)


def verify(signed: roost_pb2.SignedRevocationList, ca_cert: x509.Certificate) -> RevocationList:
    """Check the CA's signature, then read the list."""
    ca_public_key = ca_cert.public_key()
    if not isinstance(ca_public_key, ec.EllipticCurvePublicKey):
        raise RevocationError("the family CA key is not an EC key")
    try:
        ca_public_key.verify(
            signed.signature, _SIGNING_CONTEXT + signed.body, ec.ECDSA(hashes.SHA256())
        )
    except InvalidSignature as exc:
        raise RevocationError("the revocation list is not signed by this family's CA") from exc
    body = roost_pb2.RevocationList()
    try:
        body.ParseFromString(signed.body)
    except DecodeError as exc:
        raise RevocationError("the revocation list cannot be read") from exc
    return RevocationList(body.serial, frozenset(body.device_ids), signed)


def from_bytes(data: bytes, ca_cert: x509.Certificate) -> RevocationList:
    signed = roost_pb2.SignedRevocationList()
    try:
        signed.ParseFromString(data)
    except DecodeError as exc:
        raise RevocationError("the revocation list cannot be read") from exc
    return verify(signed, ca_cert)
