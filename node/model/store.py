"""Versioned models on this device: `<library>/model/`.

    current.json      {"current": N, "previous": M | null, "rolled_back": [versions]}
    v000007.npz       one model per version (`PersonalModel.to_bytes`)

A new model from a round is validated on this device's own confirmed faces before it is used;
if it does worse than the current one (fewer of them recognised, or more named wrongly) the
device keeps the current one and remembers the refusal, otherwise the new one becomes current
and the old one is kept as `previous`, so `roll_back` has somewhere to go. Files are written
atomically and `current.json` last, so a crash leaves the old model in use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from node.files import locked, write_atomic
from node.model.personal import PersonalModel

RECALL_SLACK = 0.02  # a new model may recognise this much less of the labels before it is refused
WRONG_SLACK = 0.0  # and may name no more of them wrongly

Validation = dict[str, float]


def worse(new: Validation, old: Validation) -> bool:
    """Whether `new` validates worse than `old` on the same device."""
    if not new.get("faces") or not old.get("faces"):
        return False  # nothing to compare on: a device without labels takes the family's model
    return bool(
        new["recall"] < old["recall"] - RECALL_SLACK or new["wrong"] > old["wrong"] + WRONG_SLACK
    )


class ModelStore:
    def __init__(self, library_root: Path) -> None:
        self.root = library_root / "model"

    def _pointer(self) -> dict[str, Any]:
        try:
            pointer: dict[str, Any] = json.loads((self.root / "current.json").read_text())
        except FileNotFoundError:
            return {"current": None, "previous": None, "rolled_back": []}
        return pointer

    def current_version(self) -> int:
        return int(self._pointer()["current"] or 0)

    def current(self) -> PersonalModel | None:
        return self.load(self._pointer()["current"])

    def previous(self) -> PersonalModel | None:
        return self.load(self._pointer()["previous"])

    def rolled_back(self) -> list[int]:
        return [int(v) for v in self._pointer()["rolled_back"]]

    def load(self, version: int | None) -> PersonalModel | None:
        if not version:
            return None
        return PersonalModel.from_bytes(self._file(version).read_bytes())

    def offer(self, model: PersonalModel, validate: Callable[[PersonalModel], Validation]) -> bool:
        """Adopt `model` unless it validates worse than the current one; True if adopted."""
        with locked(self.root / "current.json"):
            pointer = self._pointer()
            if model.version <= int(pointer["current"] or 0):
                return False  # an old or repeated round
            current = self.load(pointer["current"])
            checked = model.with_validation(validate(model))
            write_atomic(self._file(model.version), checked.to_bytes(), mode=0o600)
            if current is not None and worse(checked.validation, validate(current)):
                pointer["rolled_back"] = [*pointer["rolled_back"], model.version][-10:]
                self._write(pointer)
                return False
            old = pointer["previous"]
            self._write({**pointer, "current": model.version, "previous": pointer["current"]})
            if old and old != model.version:
                self._file(old).unlink(missing_ok=True)
            return True

    def roll_back(self) -> int | None:
        """Go back to the previous model (e.g. by hand); returns the version now current."""
        with locked(self.root / "current.json"):
            pointer = self._pointer()
            if not pointer["previous"]:
                return None
            refused = [*pointer["rolled_back"], pointer["current"]][-10:]
            self._write({"current": pointer["previous"], "previous": None, "rolled_back": refused})
            return int(pointer["previous"])

    def _file(self, version: int) -> Path:
        return self.root / f"v{int(version):06d}.npz"

    def _write(self, pointer: dict[str, Any]) -> None:
        write_atomic(self.root / "current.json", json.dumps(pointer).encode(), mode=0o600)
