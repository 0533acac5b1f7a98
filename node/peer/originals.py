"""Originals over the family channel (`Originals.Fetch`): the one way a photo leaves its device,
and only when someone asks for that photo by its content hash.

Trust boundary: the owner decides with a setting (`roost originals never|family`, in
`<home>/sharing.json`). The default is `never`: Roost's promise is that photos stay on the
device that holds them, so sending whole photos to other devices is the owner's explicit
choice, made once on the owning device, not the asker's. Every request is logged on the owner,
served or refused (`<home>/transfers.log`, one JSON object per line). A file that changed since
it was indexed (size or mtime) is not sent, so a path reused for other content never leaks it;
the asker checks the SHA-256 of what arrived against the hash it asked for before keeping it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import grpc
from cryptography import x509

from node.files import locked, write_atomic
from node.peer import PeerError
from node.peer.device import Device
from node.peer.fanout import Peer
from node.peer.services import Call, Refused, rpc
from node.settings import Home
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.search import is_media
from protocol.wire import MAX_CALL_SECONDS

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 << 10
MAX_ORIGINAL_BYTES = 1 << 30
FETCH_SECONDS = MAX_CALL_SECONDS  # the longest call a device accepts

_SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WebP": ".webp", "TIFF": ".tif", "HEIF": ".heic"}


class Sharing(StrEnum):
    NEVER = "never"  # no original leaves this device
    FAMILY = "family"  # any family device may fetch an original it names by hash


DEFAULT_SHARING = Sharing.NEVER


def sharing(home: Home) -> Sharing:
    try:
        return Sharing(json.loads(home.sharing.read_text())["originals"])
    except FileNotFoundError:
        return DEFAULT_SHARING


def set_sharing(home: Home, value: Sharing) -> None:
    home.ensure()
    write_atomic(home.sharing, json.dumps({"originals": value.value}).encode(), mode=0o600)


def _log_transfer(home: Home, caller: Call, media: str, outcome: str, sent: int = 0) -> None:
    entry = {
        "at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "device_id": caller.caller.id,
        "device": caller.caller.name,
        "media": media,
        "outcome": outcome,
        "bytes": sent,
    }
    with locked(home.transfers), open(home.transfers, "a") as out:
        out.write(json.dumps(entry) + "\n")
    log.info("original %s for %s: %s", media[:16], caller.caller.name, outcome)


class OriginalsService(roost_pb2_grpc.OriginalsServicer):  # type: ignore[misc]
    def __init__(self, device: Device) -> None:
        self._device = device

    @property
    def ca_certificate(self) -> x509.Certificate:
        return self._device.identity.ca_certificate

    def register(self, server: grpc.Server) -> None:
        roost_pb2_grpc.add_OriginalsServicer_to_server(self, server)

    @rpc
    def Fetch(self, request: roost_pb2.FetchRequest, call: Call) -> Iterator[roost_pb2.FileChunk]:
        home = self._device.home
        if not is_media(request.media):
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, "a media id is a SHA-256 in hex")
        if sharing(home) is not Sharing.FAMILY:
            _log_transfer(home, call, request.media, "refused: sharing is never")
            raise Refused(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{self._device.name} does not share originals "
                "(its owner can allow it with `roost originals family`)",
            )
        try:
            path, size, fmt = self._locate(request.media)
        except Refused:
            _log_transfer(home, call, request.media, "refused: not here")
            raise
        sent = 0
        try:
            with open(path, "rb") as photo:
                while data := photo.read(CHUNK_BYTES):
                    if not call.active():
                        break
                    first = sent == 0
                    yield roost_pb2.FileChunk(
                        data=data, size=size if first else 0, format=fmt if first else ""
                    )
                    sent += len(data)
        finally:
            outcome = "sent" if sent == size else "cut short"
            _log_transfer(home, call, request.media, outcome, sent)

    def _locate(self, media: str) -> tuple[Path, int, str]:
        """A path holding exactly the indexed content, with its size and format."""
        library = self._device.library
        photo = library.photo(media)
        for name in library.paths_of(media) if photo else []:
            record = library.file(name)
            try:
                stat = os.stat(name)
            except OSError:
                continue
            if record and (record["size"], record["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns):
                if stat.st_size > MAX_ORIGINAL_BYTES:
                    raise Refused(
                        grpc.StatusCode.RESOURCE_EXHAUSTED,
                        f"{media[:16]} is larger than {MAX_ORIGINAL_BYTES} bytes",
                    )
                return Path(name), stat.st_size, str(photo["format"]) if photo else ""
        raise Refused(
            grpc.StatusCode.NOT_FOUND,
            f"{self._device.name} holds no unchanged copy of {media[:16]}",
        )


@dataclass(frozen=True)
class Fetched:
    path: Path
    size: int


def fetch(device: Device, peer: Peer, media: str, out: Path) -> Fetched:
    """Stream `media` from `peer` into `out`, keeping it only if its SHA-256 is `media`."""
    out.mkdir(parents=True, exist_ok=True)

    def receive(stub: roost_pb2_grpc.OriginalsStub, timeout: float) -> Fetched:
        digest = hashlib.sha256()
        size, fmt, got = -1, "", 0
        handle, partial = tempfile.mkstemp(prefix=".fetch-", dir=out)
        try:
            with os.fdopen(handle, "wb") as sink:
                for chunk in stub.Fetch(roost_pb2.FetchRequest(media=media), timeout=timeout):
                    if size < 0:
                        size, fmt = chunk.size, chunk.format
                    got += len(chunk.data)
                    if got > min(size, MAX_ORIGINAL_BYTES):
                        raise PeerError(f"{peer.name} sent more than the {size} bytes announced")
                    digest.update(chunk.data)
                    sink.write(chunk.data)
                sink.flush()
                os.fsync(sink.fileno())
            if got != size or digest.hexdigest() != media:
                raise PeerError(f"{peer.name} sent {got} bytes that are not {media[:16]}…")
            target = out / f"{media[:16]}{_SUFFIXES.get(fmt, '')}"
            os.replace(partial, target)
            return Fetched(target, got)
        finally:
            Path(partial).unlink(missing_ok=True)

    deadline = time.monotonic() + FETCH_SECONDS
    return device.client().reach(peer, deadline, roost_pb2_grpc.OriginalsStub, receive)
