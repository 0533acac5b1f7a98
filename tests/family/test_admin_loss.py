"""Losing the admin device: a passphrase-protected backup of the family CA key makes another
device an admin, and invites and revocations go on working without the first admin. Real
pairing and a real mutual-TLS channel on loopback."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest

from node.family import FamilyError, backup
from node.family import identity as identity_files
from node.family.directory import Directory
from node.family.identity import Identity
from node.family.invites import InviteBook
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.peer import PeerError
from node.peer.client import PeerClient
from node.peer.hello import Greeter
from node.peer.join import join
from node.peer.pairing import PairingService
from node.peer.server import serve_pairing, serve_peers
from protocol.identity import key_fingerprint, verify_member
from protocol.pairing import InviteCode
from tests.family.families import add_member, new_family
from tests.integration.nodes import roost_here

PASSPHRASE = "correct horse battery staple"


def store(identity: Identity) -> RevocationStore:
    return RevocationStore(identity.directory / REVOCATION_FILE, identity.ca_certificate)


def directory(identity: Identity) -> Directory:
    return Directory(identity.directory.parent / "devices.json")


def greet(caller: Identity, address: str, device_id: str) -> None:
    revocations = store(caller)
    Greeter(caller, revocations, directory(caller)).greet(
        PeerClient(caller, revocations), address, device_id
    )


def invite(admin: Identity) -> str:
    code = InviteCode.generate(key_fingerprint(admin.key.public_key()))
    now = datetime.datetime.now(datetime.UTC)
    InviteBook(admin.directory.parent / "invites.json").add(
        code.secret, now + datetime.timedelta(minutes=10), now
    )
    return code.encode()


def test_after_the_admin_is_gone_a_restored_admin_invites_and_revokes(tmp_path: Path) -> None:
    alpha = new_family(tmp_path, admin="alpha")
    assert alpha.ca_key is not None
    beta = add_member(alpha, tmp_path, "beta")
    gamma = add_member(alpha, tmp_path, "gamma")
    store(alpha).revoke("A" * 52, alpha.ca_key)  # an earlier revocation, to carry over
    saved = tmp_path / "family.backup"
    backup.write(saved, alpha, PASSPHRASE, store(alpha))
    assert PASSPHRASE not in saved.read_text()

    # The admin device is lost: its home is gone. (A thief may still hold a copy of it.)
    thief_copy = tmp_path / "thief"
    shutil.copytree(alpha.directory.parent, thief_copy)
    shutil.rmtree(alpha.directory.parent)
    stolen = identity_files.load(thief_copy / "identity")

    restored = backup.restore(beta.directory, saved, PASSPHRASE, "ignored for a member")
    assert restored.is_admin and restored.device_id == beta.device_id
    assert restored.ca_key is not None
    assert store(restored).is_revoked("A" * 52)

    # beta now invites: a new device joins through beta's pairing listener.
    pairing = PairingService(
        restored,
        restored.ca_key,
        InviteBook(tmp_path / "beta" / "invites.json"),
        store(restored),
        directory(restored),
    )
    pairing_server, pairing_port = serve_pairing("127.0.0.1:0", restored, pairing)
    peers, greeter = serve_peers("127.0.0.1:0", restored, store(restored), directory(restored))
    address = f"127.0.0.1:{greeter.listen_port}"
    try:
        delta_home = tmp_path / "delta"
        delta = join(
            delta_home / "identity",
            Directory(delta_home / "devices.json"),
            invite(restored),
            "delta",
            f"127.0.0.1:{pairing_port}",
            1.0,
        )
        assert verify_member(delta.certificate, gamma.ca_certificate).name == "delta"
        greet(delta, address, restored.device_id)
        greet(stolen, address, restored.device_id)  # still a member, until revoked

        # ...and revokes the lost admin; the list reaches gamma in its next Hello.
        store(restored).revoke(stolen.device_id, restored.ca_key)
        with pytest.raises(PeerError, match="PERMISSION_DENIED"):
            greet(stolen, address, restored.device_id)
        greet(gamma, address, restored.device_id)
        assert store(gamma).is_revoked(stolen.device_id)
        assert store(gamma).is_revoked("A" * 52)
    finally:
        pairing_server.stop(None)
        peers.stop(None)


def test_a_device_in_no_family_restores_as_a_new_admin(tmp_path: Path) -> None:
    alpha = new_family(tmp_path, admin="alpha")
    saved = tmp_path / "family.backup"
    backup.write(saved, alpha, PASSPHRASE, store(alpha))
    fresh = backup.restore(tmp_path / "fresh" / "identity", saved, PASSPHRASE, "new laptop")
    assert fresh.is_admin and fresh.name == "new laptop"
    assert fresh.device_id != alpha.device_id and fresh.family_id == alpha.family_id
    assert verify_member(fresh.certificate, alpha.ca_certificate).id == fresh.device_id


def test_a_backup_refuses_wrong_passphrases_changes_and_other_families(tmp_path: Path) -> None:
    alpha = new_family(tmp_path, admin="alpha")
    beta = add_member(alpha, tmp_path, "beta")
    saved = tmp_path / "family.backup"
    with pytest.raises(FamilyError, match="at least 12"):
        backup.write(saved, alpha, "short", store(alpha))
    with pytest.raises(FamilyError, match="only an admin"):
        backup.write(saved, beta, PASSPHRASE, store(beta))
    backup.write(saved, alpha, PASSPHRASE, store(alpha))
    with pytest.raises(FamilyError, match="wrong passphrase"):
        backup.restore(beta.directory, saved, PASSPHRASE + "!", "beta")
    document = json.loads(saved.read_text())
    tampered = tmp_path / "tampered.backup"
    tampered.write_text(json.dumps({**document, "family": "Joneses"}))
    with pytest.raises(FamilyError, match="wrong passphrase, or the file was changed"):
        backup.restore(beta.directory, tampered, PASSPHRASE, "beta")
    stranger = new_family(tmp_path / "other", family="Joneses")
    with pytest.raises(FamilyError, match="not to the family of this backup"):
        backup.restore(stranger.directory, saved, PASSPHRASE, "x")
    with pytest.raises(FamilyError, match="already holds"):
        backup.restore(alpha.directory, saved, PASSPHRASE, "alpha")
    assert not identity_files.load(beta.directory).is_admin, "nothing was installed"


def test_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    alpha, beta = tmp_path / "alpha", tmp_path / "beta"
    assert roost_here(alpha, "family", "create", "Smiths", "--device-name", "alpha").code == 0
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    saved = tmp_path / "smiths.backup"
    made = roost_here(alpha, "family", "backup", str(saved), "--passphrase-file", str(passphrase))
    assert made.code == 0, made.err
    restored = roost_here(
        beta, "family", "restore", str(saved), "--passphrase-file", str(passphrase), "--json"
    )
    assert restored.json()["admin"] is True
    assert restored.json()["family"] == "Smiths"
    passphrase.write_text("not the passphrase\n")
    again = roost_here(
        tmp_path / "gamma", "family", "restore", str(saved), "--passphrase-file", str(passphrase)
    )
    assert again.code == 2 and "wrong passphrase" in again.err
