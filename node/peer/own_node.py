"""This device's command line handing its query to its own running node (`Local.Search`, served
by `node.peer.local`).

Kept apart from the service so that the command imports only the channel: no index, no search.
"""

from __future__ import annotations

import json
import time
from typing import Any

import grpc

from node.peer.device import Device
from node.peer.fanout import Peer
from node.search.errors import QueryError
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.wire import MAX_CALL_SECONDS

HERE_SECONDS = 10.0  # on top of the family deadline: this device's own search


def ask_own_node(
    device: Device, address: str, text: str, limit: int, local: bool, timeout: float
) -> dict[str, Any]:
    """The running node's answer to `text`: a PeerError if it cannot give one (then search
    here instead), a QueryError if the query cannot be read."""
    own = Peer(device.id, device.name, (address,))
    request = roost_pb2.AskRequest(text=text, limit=limit, local=local, timeout=timeout)
    seconds = min(timeout + HERE_SECONDS, MAX_CALL_SECONDS)

    def search(stub: roost_pb2_grpc.LocalStub, remaining: float) -> dict[str, Any]:
        try:
            reply = stub.Search(request, timeout=remaining)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise QueryError(exc.details()) from None
            raise
        answer: dict[str, Any] = json.loads(reply.answer)
        return answer

    deadline = time.monotonic() + seconds
    return device.client().reach(own, deadline, roost_pb2_grpc.LocalStub, search)
