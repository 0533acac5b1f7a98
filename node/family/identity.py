"""This device's identity on disk.

`<home>/identity/` (0700) holds PEM files: `device.key` (0600) and `device.crt`, the family's
`ca.crt`, and `ca.key` (0600) only on an admin device, the one that can invite and revoke (the
device that created the family, or one that restored the CA key from a backup). Private keys
are created 0600, encrypted under a secret in the OS keyring where there is one (`keys`), and
never sent anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from node.family import DEVICE_CERT, FamilyError, has_identity, keys
from node.family.keys import Protection
from node.files import write_atomic
from protocol.identity import (
    IdentityError,
    Member,
    PrivateKey,
    cert_to_pem,
    certificate_id,
    create_ca,
    issue_device_certificate,
    key_id,
    key_to_pem,
    make_csr,
    new_key,
    verify_member,
)

DEVICE_KEY = "device.key"
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
    protection: Protection = Protection.PLAIN
    # What `device.key` is encrypted with, for `ssl` contexts that read the file themselves.
    key_password: bytes | None = field(default=None, repr=False)

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
        """The device key, unencrypted, for gRPC credentials in memory."""
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


def load(directory: Path) -> Identity:
    """Read and cross-check the identity files; a mismatch is refused, never repaired."""
    if not has_identity(directory):
        raise FamilyError(
            "this device is in no family yet: run `roost family create NAME` on the first "
            "device, or `roost family join CODE` with a code from `roost family invite`"
        )
    try:
        certificate = x509.load_pem_x509_certificate((directory / DEVICE_CERT).read_bytes())
        ca_certificate = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
        member = verify_member(certificate, ca_certificate)
        key_pem = (directory / DEVICE_KEY).read_bytes()
        key, password = keys.unseal(key_pem, member.id)
        ca_key_file = directory / CA_KEY
        ca_key = (
            keys.unseal(ca_key_file.read_bytes(), member.id)[0] if ca_key_file.exists() else None
        )
    except (OSError, ValueError, IdentityError) as exc:
        raise FamilyError(f"the identity in {directory} is unreadable or damaged: {exc}") from exc
    if member.id != key_id(key.public_key()):
        raise FamilyError(f"{directory}: the device certificate is not for the device key")
    if ca_key is not None and key_id(ca_key.public_key()) != certificate_id(ca_certificate):
        raise FamilyError(f"{directory}: the CA key does not match the CA certificate")
    protection = keys.protection(key_pem)
    return Identity(
        directory, key, certificate, ca_certificate, ca_key, member, protection, password
    )


def replace_certificate(identity: Identity, certificate: x509.Certificate) -> Identity:
    """Install a renewed device certificate (see `check_renewed`)."""
    check_renewed(identity, certificate)
    write_atomic(identity.certificate_path, cert_to_pem(certificate), mode=0o644)
    return load(identity.directory)


def check_renewed(identity: Identity, certificate: x509.Certificate) -> None:
    """A renewed certificate must carry this device's key and name, be issued by the family
    CA, and last longer than the one it replaces."""
    try:
        member = verify_member(certificate, identity.ca_certificate)
    except IdentityError as exc:
        raise FamilyError(f"the renewed certificate is not valid: {exc}") from exc
    if member != identity.member:
        raise FamilyError("the renewed certificate is for another device or name")
    if certificate.not_valid_after_utc <= identity.certificate.not_valid_after_utc:
        raise FamilyError("the renewed certificate expires no later than the current one")


def stamp(directory: Path) -> tuple[tuple[int, int, int] | None, ...]:
    """Changes whenever an identity file is replaced (a renewal, a restored CA key)."""
    stamps: list[tuple[int, int, int] | None] = []
    for name in (DEVICE_CERT, DEVICE_KEY, CA_CERT, CA_KEY):
        try:
            info = os.stat(directory / name)
        except FileNotFoundError:
            stamps.append(None)
        else:
            stamps.append((info.st_ino, info.st_mtime_ns, info.st_size))
    return tuple(stamps)


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
    account = key_id(key.public_key())
    if ca_key is None:
        (directory / CA_KEY).unlink(missing_ok=True)
    else:
        write_atomic(directory / CA_KEY, keys.seal(ca_key, account), mode=0o600)
    write_atomic(directory / DEVICE_KEY, keys.seal(key, account), mode=0o600)
    write_atomic(directory / CA_CERT, cert_to_pem(ca), mode=0o644)
    write_atomic(directory / DEVICE_CERT, cert_to_pem(certificate), mode=0o644)
    return load(directory)


def _refuse_existing(directory: Path) -> None:
    if has_identity(directory):
        raise FamilyError(f"this device already belongs to a family (see {directory})")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
