"""What a device keeps on disk: its identity, its invites, the revocation list, its peers."""

from __future__ import annotations

import datetime
import stat
from pathlib import Path

import pytest

from node.family import FamilyError
from node.family import identity as identity_files
from node.family.directory import Directory
from node.family.invites import InviteBook, InviteRefused
from node.family.revocations import REVOCATION_FILE, RevocationStore
from protocol import revocation
from protocol.identity import Member, new_key
from tests.family.families import add_member, new_family

NOW = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_writes_private_keys_0600_and_refuses_a_second_family(tmp_path: Path) -> None:
    admin = new_family(tmp_path)
    assert admin.is_admin and admin.family_name == "Testers" and admin.name == "admin"
    assert mode(admin.directory) == 0o700
    assert mode(admin.directory / "device.key") == 0o600
    assert mode(admin.directory / "ca.key") == 0o600
    reloaded = identity_files.load(admin.directory)
    assert reloaded.device_id == admin.device_id and reloaded.is_admin
    with pytest.raises(FamilyError, match="already belongs"):
        new_family(tmp_path)


def test_a_member_holds_no_ca_key(tmp_path: Path) -> None:
    member = add_member(new_family(tmp_path), tmp_path, "phone")
    assert not member.is_admin
    assert not (member.directory / "ca.key").exists()
    assert mode(member.directory / "device.key") == 0o600


def test_a_key_that_does_not_match_its_certificate_is_refused(tmp_path: Path) -> None:
    admin = new_family(tmp_path)
    member = add_member(admin, tmp_path, "phone")
    (member.directory / "device.key").write_bytes((admin.directory / "device.key").read_bytes())
    with pytest.raises(FamilyError, match="not for the device key"):
        identity_files.load(member.directory)


def test_no_identity_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(FamilyError, match="family create"):
        identity_files.load(tmp_path / "identity")


def test_an_invite_works_once_even_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "invites.json"
    InviteBook(path).add(secret=7, expires=NOW + 10 * MINUTE, now=NOW)
    InviteBook(path).add(secret=8, expires=NOW + 10 * MINUTE, now=NOW)
    assert mode(path) == 0o600
    assert InviteBook(path).redeem(lambda s: s == 7, NOW).used == NOW
    # A fresh book (a restarted node) reads the used mark back from disk.
    with pytest.raises(InviteRefused, match="already used"):
        InviteBook(path).redeem(lambda s: s == 7, NOW + MINUTE)
    assert InviteBook(path).redeem(lambda s: s == 8, NOW + MINUTE).used == NOW + MINUTE


def test_an_invite_expires(tmp_path: Path) -> None:
    book = InviteBook(tmp_path / "invites.json")
    book.add(secret=7, expires=NOW + 10 * MINUTE, now=NOW)
    with pytest.raises(InviteRefused, match="expired"):
        book.redeem(lambda s: s == 7, NOW + 10 * MINUTE)


def test_a_wrong_secret_matches_nothing(tmp_path: Path) -> None:
    book = InviteBook(tmp_path / "invites.json")
    with pytest.raises(InviteRefused, match="wrong"):
        book.redeem(lambda s: s == 7, NOW)
    book.add(secret=7, expires=NOW + MINUTE, now=NOW)
    with pytest.raises(InviteRefused, match="wrong"):
        book.redeem(lambda s: s == 8, NOW)
    assert book.redeem(lambda s: s == 7, NOW).secret == 7


def test_revocation_store_keeps_only_newer_ca_signed_lists(tmp_path: Path) -> None:
    admin = new_family(tmp_path)
    assert admin.ca_key is not None
    path = tmp_path / REVOCATION_FILE
    store = RevocationStore(path, admin.ca_certificate)
    first = revocation.revoke(None, "A" * 52, admin.ca_key)
    second = revocation.revoke(first, "B" * 52, admin.ca_key)
    assert store.offer(second.signed)
    assert not store.offer(first.signed), "an older list must not roll revocations back"
    assert not store.offer(revocation.sign(5, frozenset(), new_key()).signed), "forged"
    assert store.is_revoked("A" * 52) and store.is_revoked("B" * 52)
    assert store.current() is not None and store.current().serial == 2  # type: ignore[union-attr]


def test_a_revocation_made_elsewhere_is_seen_without_restart(tmp_path: Path) -> None:
    admin = new_family(tmp_path)
    assert admin.ca_key is not None
    path = tmp_path / REVOCATION_FILE
    node_view = RevocationStore(path, admin.ca_certificate)
    assert not node_view.is_revoked("A" * 52)
    RevocationStore(path, admin.ca_certificate).revoke("A" * 52, admin.ca_key)  # the CLI
    assert node_view.is_revoked("A" * 52)


def test_a_damaged_revocation_file_fails_closed(tmp_path: Path) -> None:
    admin = new_family(tmp_path)
    path = tmp_path / REVOCATION_FILE
    path.write_bytes(b"not a list")
    with pytest.raises(FamilyError, match="damaged"):
        RevocationStore(path, admin.ca_certificate).is_revoked("A" * 52)


def test_directory_keeps_recent_addresses_first_and_last_seen(tmp_path: Path) -> None:
    directory = Directory(tmp_path / "devices.json")
    phone = Member("P" * 52, "phone")
    directory.record(phone)
    directory.record(phone, address="10.0.0.1:1", seen=NOW)
    directory.record(phone, address="10.0.0.2:1")
    directory.record(phone, address="10.0.0.1:1")
    record = Directory(tmp_path / "devices.json").all()[phone.id]
    assert record.addresses == ("10.0.0.1:1", "10.0.0.2:1")
    assert record.last_seen == NOW and record.name == "phone"
