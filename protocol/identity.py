"""Device identity and the family certificate authority.

A device *is* its key pair: its id is derived from the public key (Syncthing style), so nothing
can claim an id without holding the matching private key, whatever a certificate's text says.
The family CA vouches that a key belongs to the family; its certificates carry the id (as the
common name and as a DNS name, so TLS hostname checks pin a peer to the id we meant to dial) and
a human device name, which is display-only.

Everything here is pure: no disk, no network. The node decides where keys live.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from protocol.errors import RoostError

PrivateKey = ec.EllipticCurvePrivateKey

CURVE_NAME = "secp256r1"
# The display name travels in the subject as a pseudonym: a nickname the device chose.
DEVICE_NAME_OID = NameOID.PSEUDONYM
MAX_NAME_CHARS = 64
CA_LIFETIME = datetime.timedelta(days=365 * 30)
# Device certificates are renewed by an admin while online (`renew_device_certificate`), from
# RENEW_WITHIN before they expire; so even a revoked device whose list never reached some
# member stops being accepted by it within a year.
DEVICE_LIFETIME = datetime.timedelta(days=365)
RENEW_WITHIN = datetime.timedelta(days=120)
# The pairing listener's certificate is made afresh at each node start; it names only the key.
PAIRING_CERT_LIFETIME = datetime.timedelta(days=365 * 10)
# Certificates start a little in the past so a peer whose clock lags still accepts them.
CLOCK_SKEW = datetime.timedelta(hours=1)


class IdentityError(RoostError):
    """A key, request or certificate that does not meet the family's rules."""


@dataclass(frozen=True)
class Member:
    """Who a verified family certificate says its holder is."""

    id: str
    name: str


def new_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_fingerprint(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """SHA-256 of the DER SubjectPublicKeyInfo: what device ids and pairing pins are cut from."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).digest()


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """The 52-character base32 id of a key: a device id, or the family id for the CA key."""
    return base64.b32encode(key_fingerprint(public_key)).decode("ascii").rstrip("=")


def certificate_fingerprint(cert: x509.Certificate) -> bytes:
    """The fingerprint of a certificate's key (not of the certificate: a key keeps its id)."""
    return key_fingerprint(_p256_public_key(_public_key_of(cert)))


def certificate_id(cert: x509.Certificate) -> str:
    """The id of a certificate's key: a device's id, or the family id for the CA certificate."""
    return key_id(_p256_public_key(_public_key_of(cert)))


def id_fingerprint(device_id: str) -> bytes:
    """Invert `key_id`: the key fingerprint a device id spells out."""
    try:
        fingerprint = base64.b32decode(device_id.upper() + "=" * (-len(device_id) % 8))
    except ValueError as exc:
        raise IdentityError(f"{device_id!r} is not a device id") from exc
    if len(fingerprint) != hashlib.sha256().digest_size:
        raise IdentityError(f"{device_id!r} is not a device id")
    return fingerprint


def dns_name(device_id: str) -> str:
    """The DNS name a device certificate is valid for; peers dial with it as the TLS target."""
    return device_id.lower()


def check_name(name: str) -> str:
    """A device or family name: trimmed, printable, short. Raises `IdentityError` otherwise."""
    cleaned = name.strip()
    if not 1 <= len(cleaned) <= MAX_NAME_CHARS:
        raise IdentityError(f"a name must have 1 to {MAX_NAME_CHARS} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise IdentityError("a name must not contain control characters")
    return cleaned


def create_ca(family_name: str, ca_key: PrivateKey) -> x509.Certificate:
    """The family's self-signed root; it may sign device certificates and nothing deeper."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, check_name(family_name))])
    ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    return (
        _builder(subject, ca_key.public_key(), _now() + CA_LIFETIME)
        .issuer_name(subject)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing_certificates=True), critical=True)
        .add_extension(ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def make_csr(key: PrivateKey, device_name: str) -> x509.CertificateSigningRequest:
    """What a joining device sends: its public key and name, signed by its private key."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, key_id(key.public_key())),
            x509.NameAttribute(DEVICE_NAME_OID, check_name(device_name)),
        ]
    )
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


def issue_device_certificate(
    csr: x509.CertificateSigningRequest,
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    lifetime: datetime.timedelta = DEVICE_LIFETIME,
) -> x509.Certificate:
    """Sign a joining device's request. Only the key and the name are taken from the request;
    the id is recomputed from the key, so a request cannot name itself after another device."""
    public_key = _p256_public_key(_public_key_of(csr))
    if not csr.is_signature_valid:
        raise IdentityError("the certificate request's signature is invalid")
    device_id = key_id(public_key)
    if _attribute(csr.subject, NameOID.COMMON_NAME) != device_id:
        raise IdentityError("the certificate request names an id that is not its key's")
    name = check_name(_attribute(csr.subject, DEVICE_NAME_OID))
    return _sign_device(Member(device_id, name), public_key, ca_cert, ca_key, lifetime)


def renew_device_certificate(
    cert: x509.Certificate, ca_cert: x509.Certificate, ca_key: PrivateKey
) -> x509.Certificate:
    """A fresh lifetime for a current member's certificate: the same key and the same name.
    Raises `IdentityError` for a certificate the family did not issue or that has expired."""
    member = verify_member(cert, ca_cert)
    return _sign_device(member, _p256_public_key(_public_key_of(cert)), ca_cert, ca_key)


def renewal_due(cert: x509.Certificate, now: datetime.datetime | None = None) -> bool:
    """Whether `cert` is within `RENEW_WITHIN` of its expiry."""
    return cert.not_valid_after_utc - (now or _now()) < RENEW_WITHIN


def self_signed_certificate(key: PrivateKey) -> x509.Certificate:
    """A certificate for the pairing listener, which a joiner pins by the key's fingerprint
    before it has the family CA. It carries the device id and nothing personal."""
    device_id = key_id(key.public_key())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_id)])
    return (
        _builder(subject, key.public_key(), _now() + PAIRING_CERT_LIFETIME)
        .issuer_name(subject)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name(device_id))]), False)
        .sign(key, hashes.SHA256())
    )


def verify_member(cert: x509.Certificate, ca_cert: x509.Certificate) -> Member:
    """Check that `cert` is a current device certificate of the family whose root is `ca_cert`
    and return who it is. The id comes from the key, never from the certificate's text."""
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm) as exc:
        raise IdentityError("the certificate was not issued by this family") from exc
    if not cert.not_valid_before_utc <= _now() <= cert.not_valid_after_utc:
        raise IdentityError("the certificate is not valid at this time")
    device_id = certificate_id(cert)
    if _attribute(cert.subject, NameOID.COMMON_NAME) != device_id:
        raise IdentityError("the certificate's common name is not its key's id")
    return Member(device_id, _attribute(cert.subject, DEVICE_NAME_OID))


def certificate_from_der(data: bytes) -> x509.Certificate:
    """Parse a certificate another device sent; IdentityError for anything unreadable
    (cryptography raises ValueError for most malformed input, InvalidVersion for some)."""
    try:
        return x509.load_der_x509_certificate(data)
    except (ValueError, x509.InvalidVersion) as exc:
        raise IdentityError(f"not a readable certificate: {exc}") from exc


def certificate_from_pem(data: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(data)
    except (ValueError, x509.InvalidVersion) as exc:
        raise IdentityError(f"not a readable certificate: {exc}") from exc


def csr_from_der(data: bytes) -> x509.CertificateSigningRequest:
    try:
        return x509.load_der_x509_csr(data)
    except (ValueError, x509.InvalidVersion) as exc:
        raise IdentityError(f"not a readable certificate request: {exc}") from exc


def cert_to_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def key_to_pem(key: PrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted under `password` (`ENCRYPTED PRIVATE KEY`) when one is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption()
        if password is None
        else serialization.BestAvailableEncryption(password)
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def key_from_pem(data: bytes, password: bytes | None = None) -> PrivateKey:
    """Raises ValueError for a wrong password, IdentityError for anything but a P-256 key."""
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError as exc:  # encrypted without a password given, or the reverse
        raise IdentityError(f"the key file is {'not ' if password else ''}encrypted") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != CURVE_NAME:
        raise IdentityError("not an ECDSA P-256 private key")
    return key


def cert_to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _public_key_of(holder: x509.Certificate | x509.CertificateSigningRequest) -> object:
    """The key a certificate or request carries; IdentityError for a key type nobody knows."""
    try:
        return holder.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise IdentityError(f"unreadable public key: {exc}") from exc


def _p256_public_key(key: object) -> ec.EllipticCurvePublicKey:
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != CURVE_NAME:
        raise IdentityError("only ECDSA P-256 keys can join a family")
    return key


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1 or not isinstance(values[0].value, str):
        raise IdentityError(f"expected exactly one {oid._name} in {name.rfc4514_string()}")
    return values[0].value


def _builder(
    subject: x509.Name, public_key: ec.EllipticCurvePublicKey, not_after: datetime.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .public_key(public_key)
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
        .not_valid_before(_now() - CLOCK_SKEW)
        .not_valid_after(not_after)
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _sign_device(
    member: Member,
    public_key: ec.EllipticCurvePublicKey,
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    lifetime: datetime.timedelta = DEVICE_LIFETIME,
) -> x509.Certificate:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, member.id),
            x509.NameAttribute(DEVICE_NAME_OID, member.name),
        ]
    )
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    # A certificate must not outlive the CA that vouches for it.
    not_after = min(_now() + lifetime, ca_cert.not_valid_after_utc)
    return (
        _builder(subject, public_key, not_after)
        .issuer_name(ca_cert.subject)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name(member.id))]), False)
        .sign(ca_key, hashes.SHA256())
    )


def _key_usage(*, signing_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not signing_certificates,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signing_certificates,
        crl_sign=signing_certificates,
        encipher_only=False,
        decipher_only=False,
    )
