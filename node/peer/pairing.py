"""The inviter's side of pairing: trade a proven certificate request for a family certificate.

Order matters. The request is checked and a certificate prepared first, so a malformed request
does not burn the code; then the proof is checked against this device's invites and the invite
is marked used on disk; only then does the certificate leave. A wrong proof burns nothing (the
code's secret is 60 bits: guessing online is hopeless), a right one works exactly once.
"""

from __future__ import annotations

import datetime
import logging

import grpc

from node.family.directory import Directory
from node.family.identity import Identity
from node.family.invites import InviteBook, InviteRefused
from node.family.revocations import RevocationStore
from node.peer.auth import refuse
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.identity import (
    IdentityError,
    PrivateKey,
    cert_to_der,
    csr_from_der,
    issue_device_certificate,
    verify_member,
)
from protocol.pairing import proof_matches

log = logging.getLogger(__name__)


class PairingService(roost_pb2_grpc.PairingServicer):  # type: ignore[misc]
    def __init__(
        self,
        identity: Identity,
        ca_key: PrivateKey,
        invites: InviteBook,
        revocations: RevocationStore,
        directory: Directory,
    ) -> None:
        self._identity = identity
        self._ca_key = ca_key
        self._invites = invites
        self._revocations = revocations
        self._directory = directory

    def Pair(
        self, request: roost_pb2.PairRequest, context: grpc.ServicerContext
    ) -> roost_pb2.PairReply:
        ca = self._identity.ca_certificate
        try:
            csr = csr_from_der(request.csr)
            certificate = issue_device_certificate(csr, ca, self._ca_key)
        except (ValueError, IdentityError) as exc:  # a malformed request, or not a member's
            refuse(context, grpc.StatusCode.INVALID_ARGUMENT, f"bad certificate request: {exc}")
        joiner = verify_member(certificate, ca)
        if self._revocations.is_revoked(joiner.id):
            refuse(context, grpc.StatusCode.PERMISSION_DENIED, "this device key is revoked")
        inviter_id = self._identity.device_id
        now = datetime.datetime.now(datetime.UTC)
        try:
            self._invites.redeem(
                lambda secret: proof_matches(secret, inviter_id, request.csr, request.proof), now
            )
        except InviteRefused as exc:
            log.warning("pairing refused from %s: %s", context.peer(), exc)
            refuse(context, grpc.StatusCode.PERMISSION_DENIED, str(exc))
        self._directory.record(joiner, seen=now)
        log.info("paired: %s (%s) joined the family", joiner.name, joiner.id)
        reply = roost_pb2.PairReply(
            device_certificate=cert_to_der(certificate),
            ca_certificate=cert_to_der(ca),
            inviter_certificate=cert_to_der(self._identity.certificate),
        )
        current = self._revocations.current()
        if current is not None:
            reply.revocations.CopyFrom(current.signed)
        return reply
