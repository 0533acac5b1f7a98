"""A family of devices in this process: real homes, real libraries, real mutual-TLS servers on
loopback, each knowing the others' addresses as `Hello` would have recorded them."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc

from node.library.store import Library
from node.peer.device import Device
from node.peer.fanout import Peer
from node.peer.labels import LabelsService
from node.peer.originals import OriginalsService
from node.peer.search import SearchService
from node.peer.server import serve_peers
from node.peer.services import PeerService
from node.people.events import EventLog
from node.settings import Home
from protocol.labels import Edit, Kind, LabelEvent, Op
from tests.family.families import add_member, new_family

Services = Callable[[Device], Sequence[PeerService]]


def labels_only(device: Device) -> Sequence[PeerService]:
    return (LabelsService(device),)


def owner_services(device: Device) -> Sequence[PeerService]:
    """What a node serves to answer searches and fetches from a real index."""
    return (LabelsService(device), SearchService(device), OriginalsService(device))


@dataclass
class Member:
    device: Device
    address: str = ""
    server: grpc.Server | None = None

    @property
    def peer(self) -> Peer:
        return Peer(self.device.id, self.device.name, (self.address,))

    def log(self) -> EventLog:
        return EventLog(self.device.library)

    def name_new(self, name: str, kind: Kind = Kind.PERSON) -> list[LabelEvent]:
        """Append the events that create a named subject, as `roost name` would."""
        subject = str(uuid.uuid4())
        log = self.log()
        return log.append([Edit(Op.SUBJECT, subject, name=name, kind=kind)], log.read())

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(None)
            self.server = None


def make_device(identity_home: Path) -> Device:
    device = Device.load(Home(identity_home))
    Library.open(device.home.library, embedder="dlib-resnet-v1", dim=128)
    return device


@contextlib.contextmanager
def family(
    root: Path, names: Sequence[str], services: Services = labels_only
) -> Iterator[list[Member]]:
    """Devices `names` (the first is the admin), each serving `services`, each knowing the
    others' addresses."""
    admin = new_family(root, admin=names[0])
    identities = [admin, *(add_member(admin, root, name) for name in names[1:])]
    members = [Member(make_device(i.directory.parent)) for i in identities]
    try:
        for member in members:
            device = member.device
            member.server, greeter = serve_peers(
                "127.0.0.1:0",
                device.identity,
                device.revocations,
                device.directory,
                services(device),
            )
            member.address = f"127.0.0.1:{greeter.listen_port}"
        for member in members:
            for other in members:
                if other is not member:
                    member.device.directory.record(
                        other.device.identity.member, address=other.address
                    )
        yield members
    finally:
        for member in members:
            member.stop()
