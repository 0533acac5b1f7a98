"""What every face model shares: how it reports that its weights are not there, and where
facenet-pytorch's files are."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from protocol.errors import RoostError


class ModelMissing(RoostError):
    """A model's weights are absent or unusable. Roost never substitutes random weights."""


def facenet_folder() -> Path:
    """The installed facenet-pytorch package folder, found without importing the package: its
    `__init__` imports MTCNN helpers that need torchvision, which Roost does not install."""
    spec = importlib.util.find_spec("facenet_pytorch")
    places = list(spec.submodule_search_locations or []) if spec else []
    if not places:
        raise ModelMissing(
            "facenet-pytorch is not installed; run `scripts/setup` "
            "(pip install --no-deps facenet-pytorch==2.6.0)"
        )
    return Path(places[0])


def facenet_module(name: str) -> ModuleType:
    """`facenet_pytorch.<name>` imported with its parent packages as bare namespaces, so that
    none of their `__init__` files (and so no torchvision) runs."""
    root = facenet_folder()
    parts = ["facenet_pytorch", *name.split(".")[:-1]]
    for depth in range(len(parts)):
        package = ".".join(parts[: depth + 1])
        if package not in sys.modules:
            spec = importlib.machinery.ModuleSpec(package, None, is_package=True)
            spec.submodule_search_locations = [str(root.joinpath(*parts[1 : depth + 1]))]
            sys.modules[package] = importlib.util.module_from_spec(spec)
    return importlib.import_module(f"facenet_pytorch.{name}")
