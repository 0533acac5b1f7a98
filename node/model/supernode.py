"""The running node's `flower-supernode`: started, watched, restarted, stopped with the node.

The SuperNode reaches the coordinator only through `node.model.tunnel`'s loopback forwarder;
it authenticates to the SuperLink with its own P-384 key (`<home>/flower/supernode.key`, made
on first start), whose public half the tunnel announces to the coordinator, and verifies the
SuperLink's certificate against the family CA. Its ClientApp reads this home's library through
node config. If it dies it is started again after a pause that grows to a minute, so a crash
loop costs little; stopping the node stops its whole process group. Until a coordinator is
known (`node.model.finder`) no SuperNode runs at all.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from node.family.identity import Identity
from node.family.revocations import RevocationStore
from node.files import write_atomic
from node.model.flower import (
    dying_with_this_process,
    environment,
    executable,
    free_port,
    stop_group,
)
from node.model.tunnel import Forwarder
from node.settings import Home

MAX_PAUSE = 60.0

log = logging.getLogger("roost.model")

Target = Callable[[], tuple[str, str | None] | None]


def supernode_key(directory: Path) -> tuple[Path, Path]:
    """This device's SuperNode key pair (private PEM, OpenSSH public), made once."""
    private, public = directory / "supernode.key", directory / "supernode.pub"
    if not private.exists():
        key = ec.generate_private_key(ec.SECP384R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        ssh = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        write_atomic(public, ssh, mode=0o644)
        write_atomic(private, pem, mode=0o600)
    return private, public


class SuperNodeSupervisor:
    def __init__(
        self,
        home: Home,
        identity: Identity,
        revocations: RevocationStore,
        coordinator: Target,
        two_device_consent: bool,
    ) -> None:
        self._home = home
        self._identity = identity
        self._consent = two_device_consent
        self._coordinator = coordinator
        self._dir = home.root / "flower"
        self._key, public = supernode_key(self._dir)
        self._forwarder = Forwarder(identity, revocations, public, coordinator)
        self._stop = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self.starts = 0
        self._thread = threading.Thread(target=self._watch, name="supernode", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._process is not None:
                stop_group(self._process)
        self._forwarder.close()
        self._thread.join(timeout=15)

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def _command(self) -> list[str]:
        config = (
            f'home="{self._home.root}" device="{self._identity.device_id}" '
            f"two-device-consent={'true' if self._consent else 'false'}"
        )
        return [
            executable("flower-supernode"),
            "--superlink", f"127.0.0.1:{self._forwarder.port}",
            "--root-certificates", str(self._identity.directory / "ca.crt"),
            "--auth-supernode-private-key", str(self._key),
            "--node-config", config,
            "--port", str(free_port()),
        ]  # fmt: skip

    def _watch(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            if self._coordinator() is None:
                self._stop.wait(2.0)  # no coordinator known yet: nothing to connect to
                continue
            with self._lock:
                if self._stop.is_set():
                    return
                with open(self._dir / "supernode.log", "ab") as out:
                    self._process = subprocess.Popen(
                        dying_with_this_process(self._command()),
                        env=environment(self._dir / "flwr"),
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                self.starts += 1
                log.info("flower-supernode started (pid %d)", self._process.pid)
            code = self._process.wait()
            if self._stop.is_set():
                return
            stop_group(self._process, grace=2.0)  # whatever it left behind
            log.warning("flower-supernode exited with %s; restarting in %.0f s", code, pause)
            self._stop.wait(pause)
            pause = min(pause * 2, MAX_PAUSE)
