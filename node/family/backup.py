"""A passphrase-protected backup of the family CA key, so losing the admin device loses nothing.

The CA key is the family: whoever holds it can invite and revoke. It never changes, so one
backup, made once and kept off the device (a USB stick, a password manager, paper), restores
the family's admin forever after. `roost family backup FILE` writes:

    {"format": "roost-family-backup", "version": 1, "family": NAME, "family_id": ID,
     "ca_certificate": PEM, "revocations": base64 SignedRevocationList | null,
     "kdf": {"name": "scrypt", "n": 2^17, "r": 8, "p": 1, "salt": base64},
     "nonce": base64, "ciphertext": base64}

The ciphertext is AES-256-GCM of the CA key (PKCS#8 PEM) under a key stretched from the
passphrase by scrypt (128 MiB and about half a second per guess, so a stolen file resists
offline guessing as long as the passphrase is not weak; at least 12 characters are required).
Everything else in the file is public and bound to the ciphertext as associated data: a
changed byte anywhere makes the file unreadable rather than misleading.

`roost family restore FILE` makes this device an admin: a member of the family gains the CA
key; a device in no family gets a new identity signed by it. Either way the family's other
devices trust it already, because they trust the CA.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from google.protobuf.message import DecodeError

from node.family import FamilyError, has_identity, keys
from node.family import identity as identity_files
from node.family.identity import CA_KEY, Identity
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.files import write_atomic
from protocol.gen import roost_pb2
from protocol.identity import (
    IdentityError,
    PrivateKey,
    cert_to_pem,
    certificate_id,
    issue_device_certificate,
    key_from_pem,
    key_id,
    key_to_pem,
    make_csr,
    new_key,
)

FORMAT = "roost-family-backup"
VERSION = 1
MIN_PASSPHRASE_CHARS = 12
_SCRYPT = {"name": "scrypt", "n": 1 << 17, "r": 8, "p": 1}
_AAD_CONTEXT = b"roost family backup v1\0"


def write(path: Path, identity: Identity, passphrase: str, revocations: RevocationStore) -> None:
    """Write the backup of `identity`'s CA key to `path` (0600)."""
    if identity.ca_key is None:
        raise FamilyError(
            "only an admin device (one that holds the family CA key) can make a backup"
        )
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise FamilyError(f"the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters")
    current = revocations.current()
    header: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "family": identity.family_name,
        "family_id": identity.family_id,
        "ca_certificate": cert_to_pem(identity.ca_certificate).decode("ascii"),
        "revocations": _b64(current.signed.SerializeToString()) if current else None,
        "kdf": {**_SCRYPT, "salt": _b64(os.urandom(16))},
    }
    nonce = os.urandom(12)
    secret = key_to_pem(identity.ca_key)
    sealed = AESGCM(_stretch(passphrase, header["kdf"])).encrypt(nonce, secret, _aad(header))
    document = {**header, "nonce": _b64(nonce), "ciphertext": _b64(sealed)}
    write_atomic(path, json.dumps(document, indent=1).encode(), mode=0o600)


def restore(identity_dir: Path, path: Path, passphrase: str, device_name: str) -> Identity:
    """Install the CA key from the backup at `path` on this device, making it an admin."""
    ca_certificate, ca_key, signed_list = _open(path, passphrase)
    if has_identity(identity_dir):
        identity = identity_files.load(identity_dir)
        if identity.family_id != certificate_id(ca_certificate):
            raise FamilyError(
                f"this device belongs to the family {identity.family_name!r}, not to the "
                "family of this backup"
            )
        if identity.is_admin:
            raise FamilyError("this device already holds the family CA key")
        sealed = keys.seal(ca_key, identity.device_id)
        write_atomic(identity_dir / CA_KEY, sealed, mode=0o600)
    else:
        key = new_key()
        certificate = issue_device_certificate(make_csr(key, device_name), ca_certificate, ca_key)
        identity_files.save(identity_dir, key, certificate, ca_certificate, ca_key)
    if signed_list is not None:
        RevocationStore(identity_dir / REVOCATION_FILE, ca_certificate).offer(signed_list)
    return identity_files.load(identity_dir)


def _open(
    path: Path, passphrase: str
) -> tuple[x509.Certificate, PrivateKey, roost_pb2.SignedRevocationList | None]:
    try:
        document = json.loads(path.read_bytes())
        if document.get("format") != FORMAT or document.get("version") != VERSION:
            raise FamilyError(f"{path} is not a Roost family backup (version {VERSION})")
        header = {k: v for k, v in document.items() if k not in ("nonce", "ciphertext")}
        if {k: v for k, v in header["kdf"].items() if k != "salt"} != _SCRYPT:
            raise FamilyError(f"{path}: unexpected key derivation parameters")
        aead = AESGCM(_stretch(passphrase, header["kdf"]))
        pem = aead.decrypt(_unb64(document["nonce"]), _unb64(document["ciphertext"]), _aad(header))
        ca_certificate = x509.load_pem_x509_certificate(header["ca_certificate"].encode())
        ca_key = key_from_pem(pem)
        listed = header["revocations"]
        signed_list = None
        if listed is not None:
            signed_list = roost_pb2.SignedRevocationList()
            signed_list.ParseFromString(_unb64(listed))
    except InvalidTag as exc:
        raise FamilyError(f"{path}: wrong passphrase, or the file was changed") from exc
    except (OSError, ValueError, KeyError, TypeError, AttributeError, DecodeError) as exc:
        raise FamilyError(f"{path} is unreadable or damaged: {exc}") from exc
    except IdentityError as exc:
        raise FamilyError(f"{path}: {exc}") from exc
    # (RevocationStore.offer checks the list's signature against the CA before keeping it.)
    if key_id(ca_key.public_key()) != certificate_id(ca_certificate):
        raise FamilyError(f"{path}: the CA key does not match the CA certificate")
    return ca_certificate, ca_key, signed_list


def _stretch(passphrase: str, kdf: dict[str, Any]) -> bytes:
    scrypt = Scrypt(salt=_unb64(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"])
    return scrypt.derive(passphrase.encode())


def _aad(header: dict[str, Any]) -> bytes:
    return _AAD_CONTEXT + json.dumps(header, sort_keys=True).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
