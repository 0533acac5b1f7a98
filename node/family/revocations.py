"""The newest family revocation list this device holds.

Kept as the signed protobuf, exactly as the CA signed it, in `<home>/identity/revocation.pb`.
The running node and the CLI share the file: a node notices when it changes on disk, so
`roost family revoke` takes effect on the node's very next call, without a restart. A damaged
file fails closed: every check raises, so calls are refused rather than waved through.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from cryptography import x509

from node.family import FamilyError
from node.files import locked, write_atomic
from protocol import revocation
from protocol.gen import roost_pb2
from protocol.identity import PrivateKey
from protocol.revocation import RevocationError, RevocationList

REVOCATION_FILE = "revocation.pb"

log = logging.getLogger(__name__)


class RevocationStore:
    def __init__(self, path: Path, ca_certificate: x509.Certificate) -> None:
        self._path = path
        self._ca = ca_certificate
        self._lock = threading.Lock()
        self._list: RevocationList | None = None
        self._stamp: tuple[int, int, int] | None = None

    def current(self) -> RevocationList | None:
        with self._lock:
            return self._refresh()

    def is_revoked(self, device_id: str) -> bool:
        current = self.current()
        return current is not None and current.revokes(device_id)

    def offer(self, signed: roost_pb2.SignedRevocationList) -> bool:
        """Keep a list a peer sent if the family CA signed it and it is newer than ours."""
        try:
            candidate = revocation.verify(signed, self._ca)
        except RevocationError as exc:
            log.warning("ignoring a revocation list: %s", exc)
            return False
        with locked(self._path), self._lock:
            held = self._refresh()
            if held is not None and candidate.serial <= held.serial:
                return False
            self._store(candidate)
        log.info(
            "revocation list %d accepted: %d device(s) revoked",
            candidate.serial,
            len(candidate.device_ids),
        )
        return True

    def revoke(self, device_id: str, ca_key: PrivateKey) -> RevocationList:
        """Sign and keep the next list, with `device_id` added (admin devices only)."""
        with locked(self._path), self._lock:
            updated = revocation.revoke(self._refresh(), device_id, ca_key)
            self._store(updated)
        return updated

    def _store(self, new: RevocationList) -> None:
        write_atomic(self._path, new.signed.SerializeToString(), mode=0o644)
        self._list = new
        self._stamp = _stamp(self._path)

    def _refresh(self) -> RevocationList | None:
        stamp = _stamp(self._path)
        if stamp != self._stamp:
            self._list = None if stamp is None else self._read()
            self._stamp = stamp
        return self._list

    def _read(self) -> RevocationList:
        try:
            return revocation.from_bytes(self._path.read_bytes(), self._ca)
        except RevocationError as exc:
            raise FamilyError(f"{self._path} is damaged: {exc}") from exc


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)
