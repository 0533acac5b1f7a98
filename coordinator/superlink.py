"""`flower-superlink` as a supervised child: loopback only, TLS, SuperNode authentication.

Its certificate is issued at every start by the family CA, for 127.0.0.1 only, so SuperNodes
verify it with the family's `ca.crt` through their tunnels (they dial a loopback port of their
own device). It is no device certificate (its common name is no key id) and cannot stand in for
a member on the peer channel. Issuing needs the CA key: the coordinator runs on the family's
admin device.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from node.family.identity import Identity
from node.files import write_atomic
from node.model.flower import (
    dying_with_this_process,
    environment,
    executable,
    free_port,
    stop_group,
)
from protocol.errors import RoostError

LIFETIME = datetime.timedelta(days=30)
START_SECONDS = 60.0

log = logging.getLogger("roost.coordinator")


class CoordinatorError(RoostError):
    """The coordinator cannot start or run a round; the message says what to do."""


@dataclass(frozen=True)
class LinkPaths:
    root: Path  # <home>/coordinator

    @property
    def flwr_home(self) -> Path:
        return self.root / "flwr"

    @property
    def database(self) -> Path:
        return self.root / "superlink.db"

    @property
    def certificate(self) -> Path:
        return self.root / "superlink.crt"

    @property
    def key(self) -> Path:
        return self.root / "superlink.key"

    @property
    def ca(self) -> Path:
        return self.root / "ca.crt"

    @property
    def log(self) -> Path:
        return self.root / "superlink.log"


def issue_certificate(identity: Identity, paths: LinkPaths) -> None:
    """A fresh key and a family-CA certificate for the SuperLink on 127.0.0.1."""
    if identity.ca_key is None:
        raise CoordinatorError(
            "the coordinator runs on the family's admin device (the one that created the family)"
        )
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Roost SuperLink")]))
        .issuer_name(identity.ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(min(now + LIFETIME, identity.ca_certificate.not_valid_after_utc))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(identity.ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_atomic(paths.key, key_pem, mode=0o600)
    write_atomic(paths.certificate, certificate.public_bytes(pem), mode=0o644)
    write_atomic(paths.ca, identity.ca_pem(), mode=0o644)


class SuperLink:
    """One `flower-superlink` process, its port, and a way to stop it with its children."""

    def __init__(self, paths: LinkPaths, identity: Identity) -> None:
        self.paths = paths
        paths.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        issue_certificate(identity, paths)
        self.port = free_port()
        command = [
            executable("flower-superlink"),
            "--ssl-certfile", str(paths.certificate),
            "--ssl-keyfile", str(paths.key),
            "--ssl-ca-certfile", str(paths.ca),
            "--enable-supernode-auth",
            "--disable-runtime-dependency-installation",
            "--database", str(paths.database),
            "--host", "127.0.0.1",
            "--port", str(self.port),
        ]  # fmt: skip
        with open(paths.log, "ab") as out:
            self.process = subprocess.Popen(
                dying_with_this_process(command),
                env=environment(paths.flwr_home),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its SuperExec goes with it (stop_group)
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        context = ssl.create_default_context(cafile=str(self.paths.ca))
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CoordinatorError(
                    f"flower-superlink exited with {self.process.returncode}; see {self.paths.log}"
                )
            try:
                with (
                    socket.create_connection(("127.0.0.1", self.port), 1.0) as raw,
                    context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
                ):
                    tls.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    if tls.recv(64).startswith(b"HTTP/1.1 200"):
                        log.info("SuperLink healthy on 127.0.0.1:%d", self.port)
                        return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise CoordinatorError(f"flower-superlink did not become healthy; see {self.paths.log}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop_group(self.process)
