"""The personal model: a residual adapter over the stored descriptors, one prototype per
person, and the calibration that says how close is close enough.

    z = x + W2 · tanh(W1 · x + b1) + b2

The adapter starts as the identity (W2 = 0), so a model that has learned nothing scores like
the descriptors it is given. A prototype is the mean of a person's confirmed descriptors (in
input space, so it does not depend on which adapter was current when a face was labeled); faces
and prototypes are both passed through the adapter before their distance is taken.

On disk a model is one `.npz` (arrays) plus its metadata as JSON inside it: version, round,
participants, subject ids (the prototypes' rows, ids from the family's label registry), and the
validation it had on this device when adopted.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from node.model.calibration import BINS, Calibration

HIDDEN = 32


@dataclass(frozen=True)
class Adapter:
    w1: np.ndarray  # (HIDDEN, dim)
    b1: np.ndarray  # (HIDDEN,)
    w2: np.ndarray  # (dim, HIDDEN)
    b2: np.ndarray  # (dim,)

    @classmethod
    def identity(cls, dim: int, seed: int = 0) -> Adapter:
        """Random first layer, zero second: the identity map, ready to be trained."""
        rng = np.random.default_rng(seed)
        w1 = rng.normal(0.0, 1.0 / np.sqrt(dim), (HIDDEN, dim)).astype(np.float32)
        return cls(w1, np.zeros(HIDDEN, np.float32), np.zeros((dim, HIDDEN), np.float32),
                   np.zeros(dim, np.float32))  # fmt: skip

    def arrays(self) -> list[np.ndarray]:
        return [self.w1, self.b1, self.w2, self.b2]

    @classmethod
    def from_arrays(cls, arrays: list[np.ndarray]) -> Adapter:
        w1, b1, w2, b2 = (np.asarray(a, np.float32) for a in arrays)
        return cls(w1, b1, w2, b2)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32)
        return np.asarray(x + np.tanh(x @ self.w1.T + self.b1) @ self.w2.T + self.b2, np.float32)


@dataclass(frozen=True)
class PersonalModel:
    version: int
    round: int
    participants: tuple[str, ...]
    subjects: tuple[str, ...]  # prototype rows: subject ids from the label registry
    adapter: Adapter
    prototypes: np.ndarray  # (len(subjects), dim): mean confirmed descriptor per subject
    counts: np.ndarray  # (len(subjects),): how many confirmed faces, family-wide
    calibration: Calibration
    secure_aggregation: bool = True
    validation: dict[str, float] = field(default_factory=dict)

    @classmethod
    def initial(cls, dim: int) -> PersonalModel:
        """Version 0: no round yet, nobody known, the identity adapter."""
        return cls(0, 0, (), (), Adapter.identity(dim), np.zeros((0, dim), np.float32),
                   np.zeros(0), Calibration(np.zeros(BINS)))  # fmt: skip

    @property
    def dim(self) -> int:
        return int(self.adapter.b2.shape[0])

    def known(self) -> dict[str, int]:
        """Subject id → prototype row, for subjects with at least one face."""
        return {s: k for k, s in enumerate(self.subjects) if self.counts[k] > 0}

    def with_validation(self, validation: dict[str, float]) -> PersonalModel:
        return replace(self, validation=dict(validation))

    # -- file format ---------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        meta = {
            "format": 1,
            "version": self.version,
            "round": self.round,
            "participants": list(self.participants),
            "subjects": list(self.subjects),
            "secure_aggregation": self.secure_aggregation,
            "validation": self.validation,
        }
        out = io.BytesIO()
        np.savez(
            out,
            meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
            w1=self.adapter.w1, b1=self.adapter.b1, w2=self.adapter.w2, b2=self.adapter.b2,
            prototypes=self.prototypes, counts=self.counts,
            impostors=self.calibration.impostors,
        )  # fmt: skip
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> PersonalModel:
        """Read a model file; raises ValueError on anything malformed."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                meta: dict[str, Any] = json.loads(arrays["meta"].tobytes())
                adapter = Adapter.from_arrays([arrays[k] for k in ("w1", "b1", "w2", "b2")])
                prototypes = np.asarray(arrays["prototypes"], np.float32)
                counts = np.asarray(arrays["counts"], np.float64)
                impostors = np.asarray(arrays["impostors"], np.float64)
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"not a Roost model file: {exc}") from exc
        subjects = tuple(str(s) for s in meta["subjects"])
        if (
            meta.get("format") != 1
            or prototypes.shape != (len(subjects), adapter.b2.shape[0])
            or counts.shape != (len(subjects),)
            or impostors.shape != (BINS,)
            or not all(np.isfinite(a).all() for a in (*adapter.arrays(), prototypes, counts))
        ):
            raise ValueError("not a Roost model file: inconsistent shapes or values")
        return cls(
            int(meta["version"]), int(meta["round"]),
            tuple(str(p) for p in meta["participants"]), subjects, adapter, prototypes, counts,
            Calibration(impostors), bool(meta["secure_aggregation"]),
            {str(k): float(v) for k, v in meta["validation"].items()},
        )  # fmt: skip
