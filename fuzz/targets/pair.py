"""`Pairing.Pair` through its handler: the request a joining device sends to the inviter."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator

from cryptography.hazmat.primitives import serialization
from google.protobuf.message import DecodeError

from fuzz.world import Aborted, FakeContext, MemoryDirectory, world
from node.family.invites import InviteBook
from node.peer.pairing import PairingService
from protocol import pairing
from protocol.gen import roost_pb2
from protocol.identity import key_fingerprint, make_csr, new_key

SECRETS = (0x123456789ABCDEF, 0xFEDCBA987654321)


@functools.cache
def _service() -> PairingService:
    admin = world().admin
    assert admin.ca_key is not None
    book = InviteBook(world().root / "invites.json")
    now = datetime.datetime.now(datetime.UTC)
    for secret in SECRETS:
        book.add(secret, now + datetime.timedelta(days=1), now)
    return PairingService(admin, admin.ca_key, book, world().revocations(admin), MemoryDirectory())


def fuzz_one(data: bytes) -> None:
    try:
        request = roost_pb2.PairRequest.FromString(data)
    except DecodeError:
        return
    try:
        reply = _service().Pair(request, FakeContext(None))
    except Aborted:
        return
    assert reply.ca_certificate and reply.device_certificate


def seeds() -> Iterator[bytes]:
    admin = world().admin
    code = pairing.InviteCode(key_fingerprint(admin.key.public_key())[:10], SECRETS[0])
    for name, secret in (("phone", code.secret), ("laptop", 0x5A5A)):
        csr = make_csr(new_key(), name).public_bytes(serialization.Encoding.DER)
        proof = pairing.proof(secret, admin.device_id, csr)
        yield roost_pb2.PairRequest(csr=csr, proof=proof).SerializeToString()
