"""Private keys at rest: encrypted under a secret kept in the OS keyring, where one exists.

Where the system has a keyring (macOS Keychain, Windows Credential Locker, a Secret Service
such as GNOME Keyring or KWallet in a desktop session), each identity gets a random 256-bit
secret stored there under service `roost`, account = the device id, and its private keys are
written as encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`): the files alone, copied off the disk or
out of a backup, are useless. The keyring unlocks with the user's login.

Where there is none (a headless Linux box has no Secret Service), keys are plain PKCS#8 files,
mode 0600, and every command that shows the identity says so. A passphrase was rejected there:
the node is meant to come back by itself after a power cut, and a secret stored on the same
disk to avoid asking for it would protect nothing. Full-disk encryption is what protects such
a box. The format of each file says how it is protected, so keys written either way load.
"""

from __future__ import annotations

import secrets
from enum import StrEnum

import keyring
import keyring.errors
from keyring.backends import fail, null

from node.family import FamilyError
from protocol.identity import IdentityError, PrivateKey, key_from_pem, key_to_pem

SERVICE = "roost"
_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


class Protection(StrEnum):
    KEYRING = "keyring"  # encrypted; the secret is in the OS keyring
    PLAIN = "plain"  # a 0600 file; no OS keyring on this system


PLAIN_WARNING = (
    "this device's private keys are unencrypted files (mode 0600): no OS keyring is available "
    "here; protect the disk with full-disk encryption"
)


def keyring_available() -> bool:
    """Whether a real OS keyring backend is in use (not keyring's fail or null stand-ins)."""
    return not isinstance(keyring.get_keyring(), fail.Keyring | null.Keyring)


def seal(key: PrivateKey, account: str) -> bytes:
    """The PEM to write for `key`: encrypted under `account`'s keyring secret if there is a
    keyring, else plain."""
    if not keyring_available():
        return key_to_pem(key)
    return key_to_pem(key, password=_secret(account, create=True))


def unseal(pem: bytes, account: str) -> tuple[PrivateKey, bytes | None]:
    """Read a key written by `seal`, whichever way it was protected: the key, and the
    password its file is encrypted with (None for a plain file), for `ssl` to read it too."""
    password = _secret(account, create=False) if protection(pem) is Protection.KEYRING else None
    try:
        return key_from_pem(pem, password=password), password
    except ValueError as exc:  # a wrong secret: another keyring entry than the one it used
        raise FamilyError(
            f"the OS keyring's secret for {account} does not decrypt this device's keys"
        ) from exc
    except IdentityError as exc:
        raise FamilyError(str(exc)) from exc


def protection(pem: bytes) -> Protection:
    return Protection.KEYRING if pem.lstrip().startswith(_ENCRYPTED_PEM) else Protection.PLAIN


def _secret(account: str, *, create: bool) -> bytes:
    try:
        secret = keyring.get_password(SERVICE, account)
        if secret is None and create:
            secret = secrets.token_urlsafe(32)
            keyring.set_password(SERVICE, account, secret)
    except keyring.errors.KeyringError as exc:
        raise FamilyError(f"the OS keyring refused access to Roost's secret: {exc}") from exc
    if secret is None:
        raise FamilyError(
            f"this device's keys are encrypted with a secret in the OS keyring (service "
            f"{SERVICE!r}, account {account}), and the keyring here does not hold it: unlock "
            "or restore that keyring; failing that, this device must rejoin the family (an "
            "admin device can restore its CA key from `roost family backup`)"
        )
    return secret.encode()
