"""Real `roost` nodes on loopback: a member's aging certificate is renewed by the admin while
its node runs, and when the admin device is lost, a member restored from the backup invites
and revokes in its place."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest

from node.family import identity as identity_files
from node.files import write_atomic
from protocol.identity import DEVICE_LIFETIME, cert_to_pem, issue_device_certificate, make_csr
from tests.integration.nodes import Node, device, roost, roost_here, stop_all, wait_for

pytestmark = pytest.mark.timeout(180)


def expires(home: Path) -> datetime.datetime:
    return identity_files.load(home / "identity").certificate.not_valid_after_utc


def age_certificate(home: Path, admin_home: Path, lifetime: datetime.timedelta) -> None:
    """Replace the device certificate in `home` with one of the family's that ends soon."""
    admin = identity_files.load(admin_home / "identity")
    member = identity_files.load(home / "identity")
    assert admin.ca_key is not None
    csr = make_csr(member.key, member.name)
    short = issue_device_certificate(csr, admin.ca_certificate, admin.ca_key, lifetime=lifetime)
    write_atomic(member.certificate_path, cert_to_pem(short), mode=0o644)


def test_renewal_while_running_and_a_restored_admin_after_loss(tmp_path: Path) -> None:
    alpha_home, beta_home, gamma_home = tmp_path / "alpha", tmp_path / "beta", tmp_path / "gamma"
    assert roost(alpha_home, "family", "create", "Smiths", "--device-name", "alpha").code == 0
    alpha_id = identity_files.load(alpha_home / "identity").device_id
    nodes = [Node(alpha_home, "--no-discovery")]
    alpha = nodes[0]
    try:
        code = roost_here(alpha_home, "family", "invite", "--json").json()["code"]
        join = ("family", "join", code, "--address", alpha.pairing_address, "--device-name")
        assert roost_here(beta_home, *join, "beta").code == 0
        age_certificate(beta_home, alpha_home, datetime.timedelta(days=20))
        nodes.append(Node(beta_home, "--no-discovery", "--peer", alpha.address))
        beta = nodes[1]

        # Renewal: the running node gets a fresh year from alpha and serves with it at once,
        # on the same port.
        soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=21)
        wait_for("beta's renewal", lambda: expires(beta_home) > soon)
        assert expires(beta_home) > soon + DEVICE_LIFETIME - datetime.timedelta(days=30)
        wait_for("beta's restart", lambda: "restarting the listeners" in beta.log())
        state = wait_for("beta's state", lambda: _state(beta_home))
        assert state["port"] == beta.state["port"]
        assert roost_here(alpha_home, "node", "hello", beta.address).code == 0

        # Alpha is backed up, then lost.
        passphrase = tmp_path / "passphrase"
        passphrase.write_text("correct horse battery staple\n")
        saved = tmp_path / "smiths.backup"
        backup = ("family", "backup", str(saved), "--passphrase-file", str(passphrase))
        assert roost_here(alpha_home, *backup).code == 0
        assert alpha.stop() == 0
        shutil.rmtree(alpha_home)

        restore = ("family", "restore", str(saved), "--passphrase-file", str(passphrase))
        assert roost_here(beta_home, *restore).code == 0
        # beta's running node takes the CA key up and opens a pairing listener by itself.
        pairing_port = wait_for("beta to serve pairing", lambda: _pairing_port(beta_home))
        code = roost_here(beta_home, "family", "invite", "--json").json()["code"]
        pairing = f"127.0.0.1:{pairing_port}"
        joined = roost_here(gamma_home, "family", "join", code, "--address", pairing, "--json")
        assert joined.code == 0, joined.err
        revoked = roost_here(beta_home, "family", "revoke", alpha_id, "--json").json()
        assert revoked["revoked"] == alpha_id
        nodes.append(Node(gamma_home, "--no-discovery", "--peer", beta.address))
        # gamma hears of the revocation in its Hello with beta.
        wait_for("gamma to get the list", lambda: device(gamma_home, alpha_id).get("revoked"))
    finally:
        stop_all(node for node in nodes if node.process.poll() is None)


def _state(home: Path) -> dict[str, int | None] | None:
    try:
        state: dict[str, int | None] = json.loads((home / "node.json").read_text())
    except FileNotFoundError:
        return None
    return state


def _pairing_port(home: Path) -> int | None:
    return (_state(home) or {}).get("pairing_port")
