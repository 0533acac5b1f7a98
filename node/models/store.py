"""Where installed models live, and how they get there: `fetch` from a pinned source, `import`
of a file the user already has, and what `list` shows.

A model is a folder `<models>/<name>/` holding its files. `<models>` is `$ROOST_MODELS` when set
(one folder of models shared by several homes, e.g. a family computer's users, or tests), else
`<home>/models`. A model counts as installed when every one of its files is there with its
pinned size; the sha256 is checked when a file arrives (fetched or imported), not on every start,
because hashing 70 MB costs more than the whole stage does on a photo.

Every file is checked against its pin before it is written, and written atomically, so a failed
or tampered download installs nothing and an interrupted one leaves the old file or none.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from node.faces.models import ModelMissing
from node.files import locked, write_atomic
from node.models.registry import KNOWN, ModelFile, ModelSpec, Role
from node.settings import Home
from protocol.errors import RoostError

MODELS_ENV = "ROOST_MODELS"
PINS = "pins.json"  # in the folder of an imported model Roost has no pins for (a CLIP bundle)
_CHUNK = 1 << 20


class ModelRefused(RoostError):
    """A model file that cannot be installed: unknown, corrupt, tampered or unreachable."""


@dataclass(frozen=True)
class Installed:
    spec: ModelSpec
    present: bool
    folder: Path


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def for_home(cls, home: Home) -> ModelStore:
        chosen = os.environ.get(MODELS_ENV)
        return cls(Path(chosen).expanduser().absolute() if chosen else home.root / "models")

    def folder(self, name: str) -> Path:
        return self.root / name

    # -- what is here ----------------------------------------------------------------------------

    def specs(self) -> list[ModelSpec]:
        """The known models, then the imported ones Roost has no pins of its own for."""
        imported = []
        if self.root.is_dir():
            for pins in sorted(self.root.glob(f"*/{PINS}")):
                imported.append(_read_pins(pins))
        return [*KNOWN.values(), *(s for s in imported if s.name not in KNOWN)]

    def present(self, spec: ModelSpec) -> bool:
        folder = self.folder(spec.name)
        return all(_size(folder / f.name) == f.size for f in spec.files)

    def listing(self) -> list[Installed]:
        return [Installed(s, self.present(s), self.folder(s.name)) for s in self.specs()]

    def installed(self, role: Role) -> ModelSpec | None:
        """The installed model for a role, if any."""
        return next((s for s in self.specs() if s.role == role and self.present(s)), None)

    def require(self, spec: ModelSpec) -> Path:
        """The folder of an installed model, or ModelMissing saying how to install it."""
        if not self.present(spec):
            raise ModelMissing(
                f"model {spec.name} is not installed in {self.root}: run `roost models fetch "
                f"{spec.name}`, or `roost models import PATH` with its files"
            )
        return self.folder(spec.name)

    # -- getting models --------------------------------------------------------------------------

    def fetch(self, spec: ModelSpec, *, mirror: str | None = None, timeout: float = 60) -> None:
        """Download every file of `spec` from its pinned URL (or `mirror`/<name>/<file>)."""
        blobs = {}
        for f in spec.files:
            url = f"{mirror.rstrip('/')}/{spec.name}/{f.name}" if mirror else f.url
            if not url:
                raise ModelRefused(f"{spec.name} has no download source; import its files instead")
            blobs[f.name] = _checked(f, _download(url, f.size, timeout), url)
        self._install(spec, blobs)

    def import_path(self, path: Path) -> ModelSpec:
        """Install a known model from a file (its model.onnx, with companions beside it) or a
        folder holding its files; which model it is follows from the file's sha256."""
        model = path / "model.onnx" if path.is_dir() else path
        try:
            digest = _sha256_file(model)
        except OSError as exc:
            raise ModelRefused(f"cannot read {model}: {exc.strerror or exc}") from exc
        spec = next((s for s in KNOWN.values() if s.files[0].sha256 == digest), None)
        if spec is None:
            raise ModelRefused(
                f"{model} (sha256 {digest[:16]}…) is none of the models Roost knows "
                f"({', '.join(KNOWN)}); a CLIP-style model is imported as a folder with clip.json"
            )
        blobs = {}
        for f in spec.files:
            source = model if f is spec.files[0] else model.parent / f.name
            try:
                data = source.read_bytes()
            except OSError as exc:
                raise ModelRefused(
                    f"{spec.name} needs {f.name} beside {model.name}: {exc.strerror or exc}"
                ) from exc
            blobs[f.name] = _checked(f, data, str(source))
        self._install(spec, blobs)
        return spec

    def install_unpinned(self, spec: ModelSpec, blobs: dict[str, bytes]) -> None:
        """Install a model Roost has no pins for (a user's CLIP bundle), recording the pins of
        the files as imported, so that later loads check against what was installed."""
        self._install(spec, {**blobs, PINS: _pins_json(spec)})

    def _install(self, spec: ModelSpec, blobs: dict[str, bytes]) -> None:
        folder = self.folder(spec.name)
        folder.mkdir(parents=True, exist_ok=True)
        with locked(folder / ".install"):
            for name, data in blobs.items():
                write_atomic(folder / name, data, mode=0o644)


def file_pin(name: str, data: bytes) -> ModelFile:
    return ModelFile(name, len(data), hashlib.sha256(data).hexdigest())


def _checked(pin: ModelFile, data: bytes, source: str) -> bytes:
    if len(data) != pin.size or hashlib.sha256(data).hexdigest() != pin.sha256:
        raise ModelRefused(
            f"{source} is not the pinned {pin.name} ({len(data)} bytes, sha256 "
            f"{hashlib.sha256(data).hexdigest()[:16]}…; expected {pin.size} bytes, "
            f"{pin.sha256[:16]}…): nothing was installed"
        )
    return data


def _download(url: str, size: int, timeout: float) -> bytes:
    """The body at `url`, refusing to read more than `size` + 1 bytes (a wrong file stops early)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            chunks = list(_read_at_most(response, size + 1))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ModelRefused(f"cannot download {url}: {exc}") from exc
    return b"".join(chunks)


def _read_at_most(response: BinaryIO, limit: int) -> Iterator[bytes]:
    total = 0
    while total < limit:
        chunk = response.read(min(_CHUNK, limit - total))
        if not chunk:
            return
        total += len(chunk)
        yield chunk


def _sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _pins_json(spec: ModelSpec) -> bytes:
    record = {
        "name": spec.name,
        "role": spec.role.value,
        "licence": spec.licence,
        "enables": spec.enables,
        "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in spec.files],
    }
    return json.dumps(record, indent=2).encode()


def _read_pins(path: Path) -> ModelSpec:
    record = json.loads(path.read_text())
    files = tuple(ModelFile(f["name"], int(f["size"]), f["sha256"]) for f in record["files"])
    return ModelSpec(
        name=record["name"],
        role=Role(record["role"]),
        files=files,
        licence=record["licence"],
        enables=record["enables"],
    )
