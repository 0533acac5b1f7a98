"""The gate in front of every gRPC method: nothing reaches servicer code unadmitted.

On the family channel, TLS has already checked that the caller's certificate chains to the
family CA. The gate then names the caller by the id derived from the certificate's *key* (never
its text), refuses revoked devices (their certificates still verify), and refuses calls without
a bounded deadline. It wraps every method, whatever its streaming kind, so a method added later
cannot forget to check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import grpc
from cryptography import x509

from node.family.revocations import RevocationStore
from protocol.identity import (
    IdentityError,
    Member,
    certificate_from_pem,
    verify_member,
)
from protocol.wire import MAX_CALL_SECONDS

Admit = Callable[[grpc.ServicerContext], None]

_HANDLER_KINDS = {
    "unary_unary": grpc.unary_unary_rpc_method_handler,
    "unary_stream": grpc.unary_stream_rpc_method_handler,
    "stream_unary": grpc.stream_unary_rpc_method_handler,
    "stream_stream": grpc.stream_stream_rpc_method_handler,
}


class Gate(grpc.ServerInterceptor):  # type: ignore[misc]
    """Runs `admit` before each call; `admit` refuses a call by aborting it."""

    def __init__(self, admit: Admit) -> None:
        self._admit = admit

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        handler = continuation(details)
        if handler is None:
            return None
        for kind, make in _HANDLER_KINDS.items():
            behavior = getattr(handler, kind)
            if behavior is not None:
                return make(
                    self._guard(behavior),
                    request_deserializer=handler.request_deserializer,
                    response_serializer=handler.response_serializer,
                )
        return None

    def _guard(self, behavior: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            self._admit(context)
            return behavior(request, context)

        return guarded


class FamilyAdmission:
    """Admits current, unrevoked family devices calling with a bounded deadline."""

    def __init__(self, ca_certificate: x509.Certificate, revocations: RevocationStore) -> None:
        self._ca = ca_certificate
        self._revocations = revocations

    def __call__(self, context: grpc.ServicerContext) -> None:
        caller = identify(context, self._ca)
        if self._revocations.is_revoked(caller.id):
            refuse(context, grpc.StatusCode.PERMISSION_DENIED, f"device {caller.id} is revoked")
        require_deadline(context)


def identify(context: grpc.ServicerContext, ca_certificate: x509.Certificate) -> Member:
    """The family device on the other end of this call, from its TLS certificate."""
    pems = context.auth_context().get("x509_pem_cert")
    if not pems:
        refuse(context, grpc.StatusCode.UNAUTHENTICATED, "no client certificate")
    try:
        return verify_member(certificate_from_pem(pems[0]), ca_certificate)
    except (ValueError, IdentityError) as exc:  # a malformed certificate, or not a member's
        refuse(context, grpc.StatusCode.UNAUTHENTICATED, f"not a family certificate: {exc}")


def require_deadline(context: grpc.ServicerContext) -> None:
    remaining = context.time_remaining()
    if remaining is None or remaining > MAX_CALL_SECONDS + 1:
        refuse(
            context,
            grpc.StatusCode.INVALID_ARGUMENT,
            f"calls must set a deadline of at most {MAX_CALL_SECONDS:.0f} s",
        )


def refuse(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> NoReturn:
    context.abort(code, message)
    raise AssertionError("ServicerContext.abort returned")  # it always raises
