"""Device ids, the family CA and device certificates."""

from __future__ import annotations

import base64
import datetime
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from protocol.identity import (
    DEVICE_NAME_OID,
    IdentityError,
    PrivateKey,
    certificate_from_der,
    check_name,
    create_ca,
    csr_from_der,
    dns_name,
    id_fingerprint,
    issue_device_certificate,
    key_id,
    make_csr,
    new_key,
    renew_device_certificate,
    renewal_due,
    verify_member,
)

Family = tuple[x509.Certificate, PrivateKey]


@pytest.fixture(scope="module")
def family() -> Family:
    ca_key = new_key()
    return create_ca("Smiths", ca_key), ca_key


def test_device_id_is_base32_sha256_of_the_public_key() -> None:
    key = new_key()
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected = base64.b32encode(hashlib.sha256(spki).digest()).decode().rstrip("=")
    assert key_id(key.public_key()) == expected
    assert len(expected) == 52
    assert id_fingerprint(expected) == hashlib.sha256(spki).digest()
    assert key_id(new_key().public_key()) != expected


@pytest.mark.parametrize("text", ["", "ABC", "1" * 52, "A" * 56])
def test_id_fingerprint_rejects_what_is_not_an_id(text: str) -> None:
    with pytest.raises(IdentityError):
        id_fingerprint(text)


def test_issued_certificate_names_the_key_and_the_device(family: Family) -> None:
    ca, ca_key = family
    key = new_key()
    cert = issue_device_certificate(make_csr(key, "Grandma's tablet"), ca, ca_key)
    member = verify_member(cert, ca)
    assert member.id == key_id(key.public_key())
    assert member.name == "Grandma's tablet"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [dns_name(member.id)]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.not_valid_after_utc <= ca.not_valid_after_utc


def test_a_request_cannot_claim_another_devices_id(family: Family) -> None:
    ca, ca_key = family
    victim = key_id(new_key().public_key())
    attacker = new_key()
    forged = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, victim),
                    x509.NameAttribute(DEVICE_NAME_OID, "phone"),
                ]
            )
        )
        .sign(attacker, hashes.SHA256())
    )
    with pytest.raises(IdentityError, match="not its key"):
        issue_device_certificate(forged, ca, ca_key)


def test_a_certificate_from_another_family_is_not_a_member(family: Family) -> None:
    ca, _ = family
    other_key = new_key()
    other_ca = create_ca("Joneses", other_key)
    stranger = issue_device_certificate(make_csr(new_key(), "x"), other_ca, other_key)
    with pytest.raises(IdentityError, match="not issued by this family"):
        verify_member(stranger, ca)


def test_the_id_comes_from_the_key_not_the_common_name(family: Family) -> None:
    """Even a CA-signed certificate whose CN names another key is refused."""
    ca, ca_key = family
    now = datetime.datetime.now(datetime.UTC)
    lying = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, key_id(new_key().public_key())),
                    x509.NameAttribute(DEVICE_NAME_OID, "liar"),
                ]
            )
        )
        .issuer_name(ca.subject)
        .public_key(new_key().public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(ca_key, hashes.SHA256())
    )
    with pytest.raises(IdentityError, match="common name"):
        verify_member(lying, ca)


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\there", "new\nline"])
def test_names_must_be_short_and_printable(name: str) -> None:
    with pytest.raises(IdentityError):
        check_name(name)


def test_names_are_trimmed() -> None:
    assert check_name("  Kitchen iPad ") == "Kitchen iPad"


def test_renewal_keeps_key_and_name_and_refuses_strangers() -> None:
    ca_key, key = new_key(), new_key()
    ca = create_ca("Testers", ca_key)
    short = issue_device_certificate(
        make_csr(key, "phone"), ca, ca_key, lifetime=datetime.timedelta(days=30)
    )
    assert renewal_due(short) and not renewal_due(
        issue_device_certificate(make_csr(key, "phone"), ca, ca_key)
    )
    renewed = renew_device_certificate(short, ca, ca_key)
    assert verify_member(renewed, ca) == verify_member(short, ca)
    assert renewed.public_key() == short.public_key()
    assert renewed.not_valid_after_utc > short.not_valid_after_utc
    other_key = new_key()
    other_ca = create_ca("Joneses", other_key)
    stranger = issue_device_certificate(make_csr(new_key(), "x"), other_ca, other_key)
    with pytest.raises(IdentityError, match="not issued by this family"):
        renew_device_certificate(stranger, ca, ca_key)


def test_unreadable_certificates_and_requests_are_identity_errors() -> None:
    """Found by fuzzing: a bad version number (cryptography's InvalidVersion, which is not a
    ValueError) and an unknown key type (UnsupportedAlgorithm) must be refusals too."""
    ca_key, key = new_key(), new_key()
    ca = create_ca("Testers", ca_key)
    der = issue_device_certificate(make_csr(key, "phone"), ca, ca_key).public_bytes(
        serialization.Encoding.DER
    )
    version_2 = bytes.fromhex("a003020102")
    assert version_2 in der
    with pytest.raises(IdentityError, match="not a readable certificate"):
        certificate_from_der(der.replace(version_2, bytes.fromhex("a003020122"), 1))
    csr = make_csr(key, "phone").public_bytes(serialization.Encoding.DER)
    ec_public_key = bytes.fromhex("06072a8648ce3d0201")
    assert ec_public_key in csr
    unknown = csr_from_der(csr.replace(ec_public_key, bytes.fromhex("06072a8648ce3d0260"), 1))
    with pytest.raises(IdentityError, match="unreadable public key"):
        issue_device_certificate(unknown, ca, ca_key)
