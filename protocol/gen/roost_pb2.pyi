from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Greeting(_message.Message):
    __slots__ = ("device_id", "name", "software_version", "protocol_version", "capabilities", "listen_port", "certificate", "revocations")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOFTWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    LISTEN_PORT_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    REVOCATIONS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    name: str
    software_version: str
    protocol_version: int
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    listen_port: int
    certificate: bytes
    revocations: SignedRevocationList
    def __init__(self, device_id: _Optional[str] = ..., name: _Optional[str] = ..., software_version: _Optional[str] = ..., protocol_version: _Optional[int] = ..., capabilities: _Optional[_Iterable[str]] = ..., listen_port: _Optional[int] = ..., certificate: _Optional[bytes] = ..., revocations: _Optional[_Union[SignedRevocationList, _Mapping]] = ...) -> None: ...

class Echo(_message.Message):
    __slots__ = ("payload",)
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    def __init__(self, payload: _Optional[bytes] = ...) -> None: ...

class PairRequest(_message.Message):
    __slots__ = ("csr", "proof")
    CSR_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    csr: bytes
    proof: bytes
    def __init__(self, csr: _Optional[bytes] = ..., proof: _Optional[bytes] = ...) -> None: ...

class PairReply(_message.Message):
    __slots__ = ("device_certificate", "ca_certificate", "inviter_certificate", "revocations")
    DEVICE_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CA_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    INVITER_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    REVOCATIONS_FIELD_NUMBER: _ClassVar[int]
    device_certificate: bytes
    ca_certificate: bytes
    inviter_certificate: bytes
    revocations: SignedRevocationList
    def __init__(self, device_certificate: _Optional[bytes] = ..., ca_certificate: _Optional[bytes] = ..., inviter_certificate: _Optional[bytes] = ..., revocations: _Optional[_Union[SignedRevocationList, _Mapping]] = ...) -> None: ...

class RevocationList(_message.Message):
    __slots__ = ("serial", "device_ids", "issued_unix")
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    DEVICE_IDS_FIELD_NUMBER: _ClassVar[int]
    ISSUED_UNIX_FIELD_NUMBER: _ClassVar[int]
    serial: int
    device_ids: _containers.RepeatedScalarFieldContainer[str]
    issued_unix: int
    def __init__(self, serial: _Optional[int] = ..., device_ids: _Optional[_Iterable[str]] = ..., issued_unix: _Optional[int] = ...) -> None: ...

class SignedRevocationList(_message.Message):
    __slots__ = ("body", "signature")
    BODY_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    body: bytes
    signature: bytes
    def __init__(self, body: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class RenewRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RenewReply(_message.Message):
    __slots__ = ("certificate",)
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    certificate: bytes
    def __init__(self, certificate: _Optional[bytes] = ...) -> None: ...
