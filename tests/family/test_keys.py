"""Private keys at rest: encrypted under an OS keyring secret where a keyring exists, plain
0600 files with a warning where none does."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from node.family import FamilyError, keys
from node.family import identity as identity_files
from node.family.directory import Directory
from node.family.keys import Protection
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer.client import PeerClient
from node.peer.server import serve_peers
from tests.family.families import add_member, new_family
from tests.family.memkeyring import MemoryKeyring, installed
from tests.integration.nodes import roost_here


@pytest.fixture
def os_keyring() -> Iterator[MemoryKeyring]:
    with installed() as backend:
        yield backend


def raw_der(path: Path, password: bytes | None) -> bytes:
    key = serialization.load_pem_private_key(path.read_bytes(), password)
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_with_a_keyring_both_private_keys_are_encrypted(
    tmp_path: Path, os_keyring: MemoryKeyring
) -> None:
    admin = new_family(tmp_path)
    assert admin.protection is Protection.KEYRING
    secret = os_keyring.secrets[(keys.SERVICE, admin.device_id)].encode()
    for name in ("device.key", "ca.key"):
        path = admin.directory / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        with pytest.raises(TypeError):  # the file alone, without the keyring, is useless
            serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert raw_der(path, secret) not in path.read_bytes()
    reloaded = identity_files.load(admin.directory)
    assert reloaded.device_id == admin.device_id and reloaded.is_admin
    assert reloaded.key_pem() == admin.key_pem()


def test_a_keyring_that_lost_the_secret_is_a_clear_refusal(
    tmp_path: Path, os_keyring: MemoryKeyring
) -> None:
    admin = new_family(tmp_path)
    os_keyring.secrets.clear()  # another user, another machine, or a wiped keyring
    with pytest.raises(FamilyError, match="keyring here does not hold it"):
        identity_files.load(admin.directory)
    os_keyring.secrets[(keys.SERVICE, admin.device_id)] = "not the secret"
    with pytest.raises(FamilyError, match="does not decrypt"):
        identity_files.load(admin.directory)


def test_an_encrypted_key_still_serves_tls_handshakes(
    tmp_path: Path, os_keyring: MemoryKeyring
) -> None:
    """`ssl` reads the key file itself for `identify`; it gets the keyring's password."""
    admin = new_family(tmp_path)
    phone = add_member(admin, tmp_path, "phone")
    assert phone.protection is Protection.KEYRING
    revocations = RevocationStore(admin.directory / REVOCATION_FILE, admin.ca_certificate)
    server, greeter = serve_peers(
        "127.0.0.1:0", admin, revocations, Directory(tmp_path / "devices.json")
    )
    try:
        client = PeerClient(phone, RevocationStore(tmp_path / "r.pb", phone.ca_certificate))
        assert client.identify(f"127.0.0.1:{greeter.listen_port}") == admin.device_id
    finally:
        server.stop(None)


def test_without_a_keyring_keys_are_plain_0600_files_and_commands_say_so(tmp_path: Path) -> None:
    assert not keys.keyring_available()  # tests/conftest.py: the fail backend
    home = tmp_path / "home"
    created = roost_here(home, "family", "create", "Smiths", "--device-name", "alpha")
    assert created.code == 0
    identity = identity_files.load(home / "identity")
    assert identity.protection is Protection.PLAIN
    pem = (home / "identity" / "device.key").read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE((home / "identity" / "device.key").stat().st_mode) == 0o600
    for args in (("family", "devices"), ("family", "devices", "--json")):
        listed = roost_here(home, *args)
        assert listed.code == 0 and keys.PLAIN_WARNING in listed.err
    with installed():
        encrypted = roost_here(tmp_path / "other", "family", "create", "Joneses")
        assert encrypted.code == 0
        assert keys.PLAIN_WARNING not in roost_here(tmp_path / "other", "family", "devices").err
