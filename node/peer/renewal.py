"""Device certificates renewed before they expire, while the device is online.

A device certificate lives a year (`protocol.identity.DEVICE_LIFETIME`). From four months
before its expiry (`RENEW_WITHIN`) a node asks for a new one at every check: an admin device
signs its own; a member calls `Admin.Renew` on the family devices it knows, most recently seen
first, until an admin answers. The admin re-signs the key and name of the certificate the
caller presented in the TLS handshake (which proves it holds the key), after the gate has
refused revoked callers, so a revoked device can never renew and its certificate runs out.
The new certificate is checked (this key, this name, the family CA, a later expiry) and
replaces `device.crt`; the running node sees the file change and restarts its listeners
with it (`node/daemon.py`).

A device offline through all four months, or whose family has no admin online in that time,
expires: it then has to join again with a new code.
"""

from __future__ import annotations

import datetime
import logging

import grpc
from cryptography import x509

from node.family import FamilyError
from node.family import identity as identity_files
from node.family.directory import DeviceRecord, Directory
from node.family.identity import Identity
from node.family.revocations import RevocationStore
from node.peer import PeerError
from node.peer.client import PeerClient, call
from node.peer.services import Call, Refused, rpc
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.identity import (
    IdentityError,
    cert_to_der,
    certificate_from_der,
    certificate_from_pem,
    renew_device_certificate,
    renewal_due,
)

log = logging.getLogger(__name__)


class AdminService(roost_pb2_grpc.AdminServicer):  # type: ignore[misc]
    """`Admin.Renew`, answered by devices that hold the CA key and refused by the rest."""

    def __init__(self, identity: Identity) -> None:
        self._identity = identity

    @property
    def ca_certificate(self) -> x509.Certificate:
        return self._identity.ca_certificate

    def register(self, server: grpc.Server) -> None:
        roost_pb2_grpc.add_AdminServicer_to_server(self, server)

    @rpc
    def Renew(self, request: roost_pb2.RenewRequest, call: Call) -> roost_pb2.RenewReply:
        ca_key = self._identity.ca_key
        if ca_key is None:
            raise Refused(grpc.StatusCode.FAILED_PRECONDITION, "this device is not an admin")
        # The gate admitted the caller by this certificate, so it is there and a member's.
        (pem,) = call.context.auth_context()["x509_pem_cert"]
        try:
            certificate = certificate_from_pem(pem)
            renewed = renew_device_certificate(certificate, self.ca_certificate, ca_key)
        except IdentityError as exc:
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, f"cannot renew: {exc}") from exc
        log.info("renewed the certificate of %s (%s)", call.caller.name, call.caller.id)
        return roost_pb2.RenewReply(certificate=cert_to_der(renewed))


class Renewer:
    """Keeps this device's certificate from expiring; `check` is cheap when nothing is due."""

    def __init__(
        self,
        identity: Identity,
        client: PeerClient,
        directory: Directory,
        revocations: RevocationStore,
    ) -> None:
        self._identity = identity
        self._client = client
        self._directory = directory
        self._revocations = revocations

    def check(self, now: datetime.datetime | None = None) -> Identity | None:
        """Renew if due; the identity with the new certificate, or None if nothing changed."""
        if not renewal_due(self._identity.certificate, now):
            return None
        certificate = self._sign_here() or self._ask_an_admin()
        if certificate is None:
            log.warning(
                "this device's certificate expires %s and no admin device answered; will ask again",
                self._identity.certificate.not_valid_after_utc.isoformat(),
            )
            return None
        renewed = identity_files.replace_certificate(self._identity, certificate)
        log.info("certificate renewed until %s", certificate.not_valid_after_utc.isoformat())
        self._identity = renewed
        return renewed

    def _sign_here(self) -> x509.Certificate | None:
        ca_key = self._identity.ca_key
        if ca_key is None:
            return None
        return renew_device_certificate(
            self._identity.certificate, self._identity.ca_certificate, ca_key
        )

    def _ask_an_admin(self) -> x509.Certificate | None:
        for record in sorted(self._directory.all().values(), key=_recent_first):
            if record.id == self._identity.device_id or self._revocations.is_revoked(record.id):
                continue
            for address in record.addresses:
                certificate = self._ask(address, record.id)
                if certificate is not None:
                    return certificate
        return None

    def _ask(self, address: str, device_id: str) -> x509.Certificate | None:
        try:
            with self._client.service(address, device_id, roost_pb2_grpc.AdminStub) as stub:
                reply: roost_pb2.RenewReply = call(address, stub.Renew, roost_pb2.RenewRequest())
            certificate = certificate_from_der(reply.certificate)
            identity_files.check_renewed(self._identity, certificate)
        except (PeerError, IdentityError) as exc:
            log.info("no renewal from %s at %s: %s", device_id, address, exc)
            return None
        except FamilyError as exc:
            log.warning("refusing the certificate %s sent: %s", device_id, exc)
            return None
        return certificate


def _recent_first(record: DeviceRecord) -> tuple[bool, float]:
    seen = record.last_seen
    return (seen is None, -seen.timestamp() if seen else 0.0)
