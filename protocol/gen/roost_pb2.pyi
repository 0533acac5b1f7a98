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

class LabelEvent(_message.Message):
    __slots__ = ("id", "at", "replica", "op", "subject", "faces", "name", "kind", "into", "source")
    ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    REPLICA_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    FACES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    INTO_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    at: int
    replica: str
    op: str
    subject: str
    faces: _containers.RepeatedScalarFieldContainer[str]
    name: str
    kind: str
    into: str
    source: str
    def __init__(self, id: _Optional[str] = ..., at: _Optional[int] = ..., replica: _Optional[str] = ..., op: _Optional[str] = ..., subject: _Optional[str] = ..., faces: _Optional[_Iterable[str]] = ..., name: _Optional[str] = ..., kind: _Optional[str] = ..., into: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class ReplicaClock(_message.Message):
    __slots__ = ("replica", "at")
    REPLICA_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    replica: str
    at: int
    def __init__(self, replica: _Optional[str] = ..., at: _Optional[int] = ...) -> None: ...

class VersionVector(_message.Message):
    __slots__ = ("replicas",)
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    replicas: _containers.RepeatedCompositeFieldContainer[ReplicaClock]
    def __init__(self, replicas: _Optional[_Iterable[_Union[ReplicaClock, _Mapping]]] = ...) -> None: ...

class VectorRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LabelBatch(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[LabelEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[LabelEvent, _Mapping]]] = ...) -> None: ...

class PushReply(_message.Message):
    __slots__ = ("absorbed", "held")
    ABSORBED_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    absorbed: int
    held: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, absorbed: _Optional[int] = ..., held: _Optional[_Iterable[str]] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("query", "subject_ids", "limit")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    query: str
    subject_ids: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    def __init__(self, query: _Optional[str] = ..., subject_ids: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ("media", "taken_at", "place", "people", "score", "thumbnail")
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    TAKEN_AT_FIELD_NUMBER: _ClassVar[int]
    PLACE_FIELD_NUMBER: _ClassVar[int]
    PEOPLE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    media: str
    taken_at: str
    place: str
    people: _containers.RepeatedScalarFieldContainer[str]
    score: float
    thumbnail: bytes
    def __init__(self, media: _Optional[str] = ..., taken_at: _Optional[str] = ..., place: _Optional[str] = ..., people: _Optional[_Iterable[str]] = ..., score: _Optional[float] = ..., thumbnail: _Optional[bytes] = ...) -> None: ...

class SearchReply(_message.Message):
    __slots__ = ("hits", "done", "total", "notes")
    HITS_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    done: bool
    total: int
    notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ..., done: _Optional[bool] = ..., total: _Optional[int] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...

class AskRequest(_message.Message):
    __slots__ = ("text", "limit", "local", "timeout")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    text: str
    limit: int
    local: bool
    timeout: float
    def __init__(self, text: _Optional[str] = ..., limit: _Optional[int] = ..., local: _Optional[bool] = ..., timeout: _Optional[float] = ...) -> None: ...

class AskReply(_message.Message):
    __slots__ = ("answer",)
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    answer: str
    def __init__(self, answer: _Optional[str] = ...) -> None: ...

class FetchRequest(_message.Message):
    __slots__ = ("media",)
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    media: str
    def __init__(self, media: _Optional[str] = ...) -> None: ...

class FileChunk(_message.Message):
    __slots__ = ("data", "size", "format")
    DATA_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    size: int
    format: str
    def __init__(self, data: _Optional[bytes] = ..., size: _Optional[int] = ..., format: _Optional[str] = ...) -> None: ...

class RenewRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RenewReply(_message.Message):
    __slots__ = ("certificate",)
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    certificate: bytes
    def __init__(self, certificate: _Optional[bytes] = ...) -> None: ...
