"""Real identities made in-process, for tests that need a family without running `roost`."""

from __future__ import annotations

from pathlib import Path

from node.family import identity as identity_files
from node.family.identity import Identity
from protocol.identity import issue_device_certificate, make_csr, new_key


def new_family(root: Path, family: str = "Testers", admin: str = "admin") -> Identity:
    return identity_files.create_family(root / admin / "identity", family, admin)


def add_member(admin: Identity, root: Path, name: str) -> Identity:
    """A device that joined `admin`'s family (as pairing would leave it), under root/name."""
    assert admin.ca_key is not None
    key = new_key()
    certificate = issue_device_certificate(make_csr(key, name), admin.ca_certificate, admin.ca_key)
    return identity_files.save(root / name / "identity", key, certificate, admin.ca_certificate)
