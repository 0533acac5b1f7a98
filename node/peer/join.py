"""The joiner's side of pairing: from an invite code to a family identity on disk.

1. Find the inviter: `--address`, or the mDNS announcement whose device id matches the pin.
2. Fetch its pairing certificate and check that the key's fingerprint matches the pin (in
   constant time). On a mismatch, stop: nothing has been sent, so an impostor learns nothing.
3. Pair over TLS that trusts only that certificate: send a certificate request for a fresh key
   and an HMAC of it under the code's secret.
4. Check the reply (our certificate carries our key, the inviter's carries the pinned key, both
   signed by the returned CA) and only then write the identity.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization

from node.family import FamilyError, has_identity
from node.family import identity as identity_files
from node.family.directory import Directory
from node.family.identity import Identity
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer import PeerError
from node.peer.client import call, fetch_certificate, pairing_stub, unverified_context
from node.peer.discovery import find_inviter
from protocol import pairing
from protocol.gen import roost_pb2
from protocol.identity import (
    IdentityError,
    certificate_fingerprint,
    certificate_from_der,
    certificate_id,
    key_id,
    make_csr,
    new_key,
    verify_member,
)
from protocol.pairing import CodeError, InviteCode


def join(
    identity_dir: Path,
    directory: Directory,
    code_text: str,
    device_name: str,
    address: str | None,
    discovery_timeout: float,
) -> Identity:
    if has_identity(identity_dir):
        raise FamilyError(f"this device already belongs to a family (see {identity_dir})")
    try:
        code = InviteCode.decode(code_text)
    except CodeError as exc:
        raise FamilyError(str(exc)) from exc
    if address is None:
        address = find_inviter(code, discovery_timeout)
        if address is None:
            raise FamilyError(
                f"the inviter did not answer on this network within {discovery_timeout:.0f} s; "
                "check its node is running, or pass --address HOST:PORT as shown by "
                "`roost family invite`"
            )
    pinned = fetch_certificate(address, unverified_context())
    if not code.pins(certificate_fingerprint(pinned)):
        raise PeerError(
            f"the device at {address} is not the inviter this code names (its key does not "
            "match the code); refusing to pair, nothing was sent"
        )
    inviter_id = certificate_id(pinned)
    key = new_key()
    try:
        csr = make_csr(key, device_name).public_bytes(serialization.Encoding.DER)
    except IdentityError as exc:
        raise FamilyError(str(exc)) from exc
    request = roost_pb2.PairRequest(csr=csr, proof=pairing.proof(code.secret, inviter_id, csr))
    with pairing_stub(address, pinned) as stub:
        try:
            reply: roost_pb2.PairReply = call(address, stub.Pair, request)
        except PeerError as exc:
            raise PeerError(f"the inviter refused to pair: {exc}") from exc
    try:
        ca = certificate_from_der(reply.ca_certificate)
        mine = certificate_from_der(reply.device_certificate)
        inviter = verify_member(certificate_from_der(reply.inviter_certificate), ca)
        if verify_member(mine, ca).id != key_id(key.public_key()) or inviter.id != inviter_id:
            raise IdentityError("the certificates do not match the keys")
    except (ValueError, IdentityError) as exc:  # unreadable certificates, or not a member's
        raise PeerError(f"{address}: the inviter's reply is invalid: {exc}") from exc
    if reply.HasField("revocations"):
        RevocationStore(identity_dir / REVOCATION_FILE, ca).offer(reply.revocations)
    joined = identity_files.save(identity_dir, key, mine, ca)
    directory.record(inviter)
    return joined
