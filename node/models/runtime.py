"""The one model interface for what is not a face, on ONNX Runtime's CPU provider.

Each model declares the inputs it takes (name, element type, rank) and the outputs it reads.
The session is made on first use, so an index run with nothing to analyse loads nothing, and is
checked against the declaration then: a file that takes other inputs is refused with a message
rather than fed garbage.

An output a model computes but does not publish (a classifier's penultimate features) is
exposed by appending it to the graph's outputs in the serialized model. ONNX files are protobuf,
whose parsers merge a repeated occurrence of a message field into the first one, so appending
`graph { output { name: X } }` adds X to the outputs without any ONNX tooling at run time.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from node.faces.models import ModelMissing

_GRAPH, _GRAPH_OUTPUT, _VALUE_NAME = 7, 12, 1  # ModelProto.graph, GraphProto.output, .name


@dataclass(frozen=True)
class TensorSpec:
    """One declared input: its name, element type (as ONNX Runtime names it) and rank."""

    name: str
    element: str  # e.g. "tensor(uint8)"
    rank: int


class OnnxModel:
    """An ONNX Runtime session over one model file, made on first `run`."""

    def __init__(
        self,
        path: Path,
        inputs: Sequence[TensorSpec],
        *,
        extra_outputs: Sequence[str] = (),
        threads: int = 1,
    ) -> None:
        self.path = path
        self.inputs = tuple(inputs)
        self._extra = tuple(extra_outputs)
        self._threads = threads
        self._loading = threading.Lock()
        self._made: Any = None

    @property
    def loaded(self) -> bool:
        return self._made is not None

    def _session(self) -> Any:
        """The session, made by the first caller: two stages sharing this model (scene labels
        and bodies) may both ask at once, and one load serves them."""
        with self._loading:
            if self._made is None:
                self._made = self._load()
            return self._made

    def _load(self) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: conversions warn about unused initialisers
        try:
            model = self.path.read_bytes()
            for name in self._extra:
                model += with_output(name)
            session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ONNX Runtime raises its own unrelated exception types
            raise ModelMissing(f"{self.path} cannot be loaded by ONNX Runtime: {exc}") from exc
        have = {i.name: (i.type, len(i.shape)) for i in session.get_inputs()}
        for spec in self.inputs:
            if have.get(spec.name) != (spec.element, spec.rank):
                raise ModelMissing(
                    f"{self.path} does not take input {spec.name!r} as {spec.element} of rank "
                    f"{spec.rank} (it takes {have}); is it the right file?"
                )
        return session

    def output_names(self) -> list[str]:
        """The model's outputs, in order (loads the model)."""
        return [o.name for o in self._session().get_outputs()]

    def run(self, feeds: Mapping[str, np.ndarray], outputs: Sequence[str]) -> list[np.ndarray]:
        """The named outputs for one set of inputs (every declared input must be fed)."""
        missing = [spec.name for spec in self.inputs if spec.name not in feeds]
        if missing:
            raise ValueError(f"inputs {missing} not given")
        result: list[np.ndarray] = self._session().run(list(outputs), dict(feeds))
        return result


def with_output(name: str) -> bytes:
    """The serialized `graph { output { name: NAME } }` to append to a ModelProto."""
    value = _field(_VALUE_NAME, name.encode())
    return _field(_GRAPH, _field(_GRAPH_OUTPUT, value))


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)
