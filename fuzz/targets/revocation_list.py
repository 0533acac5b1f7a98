"""A revocation list as a peer sends it in Hello, or as read from `revocation.pb`."""

from __future__ import annotations

from collections.abc import Iterator

from fuzz.world import world
from protocol import revocation
from protocol.revocation import RevocationError


def fuzz_one(data: bytes) -> None:
    try:
        listed = revocation.from_bytes(data, world().admin.ca_certificate)
    except RevocationError:
        return
    assert all(isinstance(device_id, str) for device_id in listed.device_ids)


def seeds() -> Iterator[bytes]:
    admin = world().admin
    assert admin.ca_key is not None
    current = None
    for device_id in ("A" * 52, "B" * 52, world().member.device_id):
        current = revocation.revoke(current, device_id, admin.ca_key)
        yield current.signed.SerializeToString()
