"""`Local.Search`: a node answers its own device's command line, and nobody else."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from node.peer import PeerError
from node.peer.device import Device
from node.peer.local import LocalService
from node.peer.own_node import ask_own_node
from node.peer.services import PeerService
from node.search import QueryError
from protocol.gen import roost_pb2, roost_pb2_grpc
from tests.peer.devices import family


def local(device: Device) -> list[PeerService]:
    return [LocalService(device)]


def test_only_the_device_itself_may_ask_its_node(tmp_path: Path) -> None:
    with family(tmp_path, ["admin", "phone"], services=local) as (admin, phone):
        admin.name_new("Alice")
        answer = ask_own_node(admin.device, admin.address, "Alice", 10, True, 1.0)
        assert answer["query"]["subjects"] == ["Alice"] and answer["hits"] == []
        assert [d["name"] for d in answer["devices"]] == ["admin"]
        request = roost_pb2.AskRequest(text="Alice", limit=10, local=True, timeout=1.0)
        with pytest.raises(PeerError, match=r"PERMISSION_DENIED.*own commands"):
            phone.device.client().reach(
                admin.peer,
                time.monotonic() + 10,
                roost_pb2_grpc.LocalStub,
                lambda stub, timeout: stub.Search(request, timeout=timeout),
            )
        with pytest.raises(QueryError, match="at most 45 s"):
            ask_own_node(admin.device, admin.address, "Alice", 10, True, 90.0)
        with pytest.raises(QueryError, match="or"):
            ask_own_node(admin.device, admin.address, "Alice or Bob", 10, True, 1.0)
