"""The seam between the family channel and domain code: one small interface per service.

A service of the family channel (Hello, label sync, search, later the federated model) is one
module with one class that implements its generated gRPC servicer and says how it registers
(`PeerService`). The server adds every service it is given; the gate (`node.peer.auth`) has
admitted each call before its method runs. Methods stay thin with `rpc`: it names the caller
from its certificate and turns the domain's refusals into gRPC statuses, so domain code sees a
`Call` and raises ordinary exceptions.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import grpc
from cryptography import x509

from node.peer.auth import identify, refuse
from node.search.errors import QueryError
from protocol.errors import RoostError
from protocol.identity import Member
from protocol.labels import LabelWireError
from protocol.search import SearchWireError

# What a malformed request raises: answered with INVALID_ARGUMENT.
MALFORMED = (LabelWireError, SearchWireError, QueryError)

log = logging.getLogger(__name__)

R = TypeVar("R")


class PeerService(Protocol):
    """One gRPC service on the family channel."""

    def register(self, server: grpc.Server) -> None:
        """Add this service's handlers to `server` (before it starts)."""


@dataclass(frozen=True)
class Call:
    """One admitted call, as a service method sees it."""

    caller: Member
    context: grpc.ServicerContext

    def active(self) -> bool:
        """False once the caller went away or the deadline passed: stop working for it."""
        return bool(self.context.is_active())


class Refused(RoostError):
    """A request a service will not serve; `code` says which gRPC status to answer with."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class Servicer(Protocol):
    @property
    def ca_certificate(self) -> x509.Certificate:
        """The family CA that callers' certificates are checked against."""


S = TypeVar("S", bound=Servicer)
Method = Callable[[S, Any, Call], R]
Handler = Callable[[S, Any, grpc.ServicerContext], R]


def rpc(method: Method[S, R]) -> Handler[S, R]:
    """Decorate a servicer method `(self, request, call)`, plain or a generator (a streaming
    reply), so that it sees a `Call` and may refuse by raising:

    `Refused` answers with its code (PERMISSION_DENIED, NOT_FOUND, ...); a malformed request
    (`MALFORMED`: a `LabelWireError`, `SearchWireError` or `QueryError`) with INVALID_ARGUMENT;
    any other `RoostError` (no library here yet, no family) with FAILED_PRECONDITION. Anything
    else is a bug, and gRPC answers it with UNKNOWN.
    """
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def streaming(self: S, request: Any, context: grpc.ServicerContext) -> Any:
            call = Call(identify(context, self.ca_certificate), context)
            with _refusals(method.__name__, call):
                yield from method(self, request, call)

        return streaming

    @functools.wraps(method)
    def handler(self: S, request: Any, context: grpc.ServicerContext) -> R:
        call = Call(identify(context, self.ca_certificate), context)
        with _refusals(method.__name__, call):
            return method(self, request, call)
        raise AssertionError("unreachable: a refusal aborts the call")

    return handler


@contextlib.contextmanager
def _refusals(name: str, call: Call) -> Iterator[None]:
    try:
        yield
    except Refused as exc:
        code, message = exc.code, str(exc)
    except MALFORMED as exc:
        code, message = grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    except RoostError as exc:
        code, message = grpc.StatusCode.FAILED_PRECONDITION, str(exc)
    else:
        return
    log.info("%s from %s refused: %s", name, call.caller.name, message)
    refuse(call.context, code, message)
