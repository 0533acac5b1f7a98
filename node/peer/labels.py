"""Label sync over the family channel: both halves of anti-entropy (`Labels` in roost.proto).

One sync with a peer is three calls: pull what this device lacks (`Pull`, with our version
vector; the peer streams batches, each absorbed with one commit), learn the peer's vector
(`Vector`), and push what it lacks (`Push`; it absorbs each batch with one commit). Nothing but
label events travels: subject ids, names, kinds, merges, forgets and face ids, which are
content hashes, never a face crop, an embedding or a photo. Events written by a revoked
device are refused whoever relays them, and a revoked caller never gets this far (the gate).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import grpc
from cryptography import x509

from node.library.store import LibraryBusy
from node.peer import PeerError
from node.peer.device import Device
from node.peer.fanout import Peer
from node.peer.services import Call, rpc
from node.people.events import EventLog
from node.people.state import refresh
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.labels import (
    Accepted,
    LabelEvent,
    LabelWireError,
    VersionVector,
    batches,
    from_wire,
    missing,
    to_wire,
)

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    """What one sync with one peer moved: events sent to it and received from it."""

    sent: int = 0
    received: int = 0
    held: list[str] = field(default_factory=list)  # why some were not taken, on either side


class LabelStore:
    """This device's label log as sync uses it: read, and absorb batches then refresh the
    people state once, under the labels lock (which an index run holds only briefly)."""

    def __init__(self, device: Device) -> None:
        self._device = device

    def log(self) -> EventLog:
        return EventLog(self._device.library)

    def absorb(self, received: Iterable[LabelEvent | LabelWireError]) -> Accepted:
        return self.log().absorb(received, self._device.revocations.is_revoked)

    def settle(self) -> None:
        """Recompute who every face is after absorbing; skipped if the labels stay busy past the
        bounded wait (readers then compute it in memory until the next refresh)."""
        try:
            with self._device.library.labels_lock():
                refresh(self._device.library)
        except LibraryBusy:
            log.info("labels busy; the people state refreshes at the next edit or index run")


class LabelsService(roost_pb2_grpc.LabelsServicer):  # type: ignore[misc]
    def __init__(self, device: Device, absorbed: Callable[[str], None] = lambda _: None) -> None:
        self._device = device
        self._store = LabelStore(device)
        self._absorbed = absorbed  # told the caller's id after a push brought news

    @property
    def ca_certificate(self) -> x509.Certificate:
        return self._device.identity.ca_certificate

    def register(self, server: grpc.Server) -> None:
        roost_pb2_grpc.add_LabelsServicer_to_server(self, server)

    @rpc
    def Vector(self, request: roost_pb2.VectorRequest, call: Call) -> roost_pb2.VersionVector:
        return self._store.log().vector().to_wire()

    @rpc
    def Pull(self, request: roost_pb2.VersionVector, call: Call) -> Iterator[roost_pb2.LabelBatch]:
        have = VersionVector.from_wire(request)
        lacking = missing(self._store.log().read(), have)
        for batch in batches(lacking):
            if not call.active():
                return
            yield roost_pb2.LabelBatch(events=[to_wire(e) for e in batch])

    @rpc
    def Push(self, request: Iterator[roost_pb2.LabelBatch], call: Call) -> roost_pb2.PushReply:
        absorbed, held = 0, []
        for batch in request:
            accepted = self._store.absorb(read_batch(batch))
            absorbed += len(accepted.events)
            held += accepted.held
        if absorbed:
            self._store.settle()
            log.info("absorbed %d label event(s) from %s", absorbed, call.caller.name)
            self._absorbed(call.caller.id)
        return roost_pb2.PushReply(absorbed=absorbed, held=held[:20])


def read_batch(batch: roost_pb2.LabelBatch) -> list[LabelEvent | LabelWireError]:
    """A received batch, each event validated; unreadable ones stay in place as errors."""
    received: list[LabelEvent | LabelWireError] = []
    for message in batch.events:
        try:
            received.append(from_wire(message))
        except LabelWireError as exc:
            received.append(exc)
    return received


def sync_with(device: Device, peer: Peer, deadline: float) -> SyncResult:
    """Pull from `peer` what this device lacks, then push what it lacks. Each received batch is
    one commit, so a sync cut short keeps what it had absorbed and the next one resumes."""
    store = LabelStore(device)
    result = SyncResult()
    client = device.client()

    def pull(stub: roost_pb2_grpc.LabelsStub, timeout: float) -> None:
        for batch in stub.Pull(store.log().vector().to_wire(), timeout=timeout):
            accepted = store.absorb(read_batch(batch))
            result.received += len(accepted.events)
            result.held += accepted.held

    def push(stub: roost_pb2_grpc.LabelsStub, timeout: float) -> None:
        try:
            theirs = VersionVector.from_wire(
                stub.Vector(roost_pb2.VectorRequest(), timeout=timeout)
            )
        except LabelWireError as exc:
            raise PeerError(f"{peer.name} sent a bad version vector: {exc}") from exc
        lacking = missing(store.log().read(), theirs)
        if not lacking:
            return
        stream = (roost_pb2.LabelBatch(events=[to_wire(e) for e in b]) for b in batches(lacking))
        reply = stub.Push(stream, timeout=timeout)
        result.sent += reply.absorbed
        result.held += list(reply.held)

    try:
        client.reach(peer, deadline, roost_pb2_grpc.LabelsStub, pull)
        client.reach(peer, deadline, roost_pb2_grpc.LabelsStub, push)
    finally:
        if result.received:
            store.settle()
    return result
