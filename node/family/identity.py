"""This device's identity on disk.

`<home>/identity/` (0700) holds PEM files: `device.key` (0600) and `device.crt`, the family's
`ca.crt`, and `ca.key` (0600) only on the device that created the family, the one that can invite
and revoke. Private keys are created 0600 and are never sent anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from node.family import FamilyError
from node.files import write_atomic
from protocol.identity import (
    IdentityError,
    Member,
    PrivateKey,
    cert_to_pem,
    certificate_id,
    create_ca,
    issue_device_certificate,
    key_from_pem,
    key_id,
    key_to_pem,
    make_csr,
    new_key,
    verify_member,
)

DEVICE_KEY = "device.key"
DEVICE_CERT = "device.crt"
CA_CERT = "ca.crt"
CA_KEY = "ca.key"


@dataclass(frozen=True)
class Identity:
    """Everything this device needs to prove who it is and to recognise family members."""

    directory: Path
    key: PrivateKey
    certificate: x509.Certificate
    ca_certificate: x509.Certificate
    ca_key: PrivateKey | None
    member: Member

    @property
    def device_id(self) -> str:
        return self.member.id

    @property
    def name(self) -> str:
        return self.member.name

    @property
    def family_name(self) -> str:
        (attribute,) = self.ca_certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(attribute.value)

    @property
    def family_id(self) -> str:
        return certificate_id(self.ca_certificate)

    @property
    def is_admin(self) -> bool:
        """Holds the CA key, so it can invite devices and revoke them."""
        return self.ca_key is not None

    @property
    def key_path(self) -> Path:
        return self.directory / DEVICE_KEY

    @property
    def certificate_path(self) -> Path:
        return self.directory / DEVICE_CERT

    def key_pem(self) -> bytes:
        return key_to_pem(self.key)

    def certificate_pem(self) -> bytes:
        return cert_to_pem(self.certificate)

    def ca_pem(self) -> bytes:
        return cert_to_pem(self.ca_certificate)

    def summary(self) -> dict[str, str]:
        return {
            "family": self.family_name,
            "family_id": self.family_id,
            "device_id": self.device_id,
            "device_name": self.name,
        }


def exists(directory: Path) -> bool:
    return (directory / DEVICE_CERT).exists()


def load(directory: Path) -> Identity:
    """Read and cross-check the identity files; a mismatch is refused, never repaired."""
    if not exists(directory):
        raise FamilyError(
            "this device is in no family yet: run `roost family create NAME` on the first "
            "device, or `roost family join CODE` with a code from `roost family invite`"
        )
    try:
        key = key_from_pem((directory / DEVICE_KEY).read_bytes())
        certificate = x509.load_pem_x509_certificate((directory / DEVICE_CERT).read_bytes())
        ca_certificate = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
        ca_key_file = directory / CA_KEY
        ca_key = key_from_pem(ca_key_file.read_bytes()) if ca_key_file.exists() else None
        member = verify_member(certificate, ca_certificate)
    except (OSError, ValueError, IdentityError) as exc:
        raise FamilyError(f"the identity in {directory} is unreadable or damaged: {exc}") from exc
    if member.id != key_id(key.public_key()):
        raise FamilyError(f"{directory}: the device certificate is not for the device key")
    if ca_key is not None and key_id(ca_key.public_key()) != certificate_id(ca_certificate):
        raise FamilyError(f"{directory}: the CA key does not match the CA certificate")
    return Identity(directory, key, certificate, ca_certificate, ca_key, member)


def create_family(directory: Path, family_name: str, device_name: str) -> Identity:
    """Make a new family CA and this device's first certificate; this device becomes admin."""
    _refuse_existing(directory)
    ca_key = new_key()
    key = new_key()
    try:
        ca_certificate = create_ca(family_name, ca_key)
        certificate = issue_device_certificate(make_csr(key, device_name), ca_certificate, ca_key)
    except IdentityError as exc:
        raise FamilyError(str(exc)) from exc
    return save(directory, key, certificate, ca_certificate, ca_key)


def save(
    directory: Path,
    key: PrivateKey,
    certificate: x509.Certificate,
    ca: x509.Certificate,
    ca_key: PrivateKey | None = None,
) -> Identity:
    """Write a device's keys and certificates. The device certificate goes last: it marks the
    identity complete, so an interrupted attempt can simply be retried."""
    _refuse_existing(directory)
    if ca_key is None:
        (directory / CA_KEY).unlink(missing_ok=True)
    else:
        write_atomic(directory / CA_KEY, key_to_pem(ca_key), mode=0o600)
    write_atomic(directory / DEVICE_KEY, key_to_pem(key), mode=0o600)
    write_atomic(directory / CA_CERT, cert_to_pem(ca), mode=0o644)
    write_atomic(directory / DEVICE_CERT, cert_to_pem(certificate), mode=0o644)
    return load(directory)


def _refuse_existing(directory: Path) -> None:
    if exists(directory):
        raise FamilyError(f"this device already belongs to a family (see {directory})")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
