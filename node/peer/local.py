"""`Local`: this device's command line asking its own running node (roost.proto).

`roost search` spends most of its time starting up (the index's database library alone takes
seconds to import), while the node has the index open and the family at hand. So when a node
runs for the home, the command sends it the query text and prints the answer: the same
`node.search.family` search, run where it is cheap. The caller authenticates with this device's
own certificate, and the service refuses every other device, since answers hold local paths.
The command's side is `node.peer.own_node`.
"""

from __future__ import annotations

import json
from datetime import datetime

import grpc
from cryptography import x509

from node.peer.device import Device
from node.peer.services import Call, Refused, rpc
from node.peer.status import Exchange, PeerStatus
from node.search.family import search_family
from node.search.run import parse
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.search import MAX_DEADLINE


class LocalService(roost_pb2_grpc.LocalServicer):  # type: ignore[misc]
    def __init__(self, device: Device) -> None:
        self._device = device

    @property
    def ca_certificate(self) -> x509.Certificate:
        return self._device.identity.ca_certificate

    def register(self, server: grpc.Server) -> None:
        roost_pb2_grpc.add_LocalServicer_to_server(self, server)

    @rpc
    def Search(self, request: roost_pb2.AskRequest, call: Call) -> roost_pb2.AskReply:
        if call.caller.id != self._device.id:
            raise Refused(
                grpc.StatusCode.PERMISSION_DENIED,
                "only this device's own commands may use its node this way",
            )
        if not 0 < request.timeout <= MAX_DEADLINE:
            raise Refused(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"wait above 0 and at most {MAX_DEADLINE:g} s for other devices",
            )
        library = self._device.library
        query = parse(library, request.text, datetime.now())  # a QueryError: INVALID_ARGUMENT
        answer = search_family(
            library,
            query,
            self._device,
            limit=request.limit,
            deadline=request.timeout,
            local=request.local,
        )
        if len(answer.devices) > 1:
            asked = {d.id: d.error for d in answer.devices[1:]}
            PeerStatus(self._device.home.peer_status).record(Exchange.SEARCH, asked)
        return roost_pb2.AskReply(answer=json.dumps(answer.to_json()))
