"""`Peer.Hello` through its handler, as a member's greeting arrives after gRPC decoded it."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from google.protobuf.message import DecodeError

from fuzz.world import Aborted, MemoryDirectory, world
from node.peer.hello import Greeter
from node.peer.server import HelloService
from protocol.gen import roost_pb2


@functools.cache
def _service() -> HelloService:
    admin = world().admin
    greeter = Greeter(admin, world().revocations(admin), MemoryDirectory(), listen_port=47470)
    return HelloService(admin, greeter)


def fuzz_one(data: bytes) -> None:
    try:
        request = roost_pb2.Greeting.FromString(data)
    except DecodeError:
        return
    try:
        reply = _service().Hello(request, world().member_context())
    except Aborted:
        return
    assert reply.device_id == world().admin.device_id


def seeds() -> Iterator[bytes]:
    member = world().member
    greeter = Greeter(member, world().revocations(member), MemoryDirectory(), listen_port=4242)
    yield greeter.greeting().SerializeToString()
    bare = greeter.greeting()
    bare.ClearField("revocations")
    yield bare.SerializeToString()
