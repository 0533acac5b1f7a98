"""Open the library without building lancedb's REST client, which Roost never uses.

`import lancedb` imports `lance_namespace`, which takes its model types from the
`lance_namespace_urllib3_client` package. That package's `__init__` also imports its nine REST
API classes, whose pydantic-validated methods take over a second to build: most of what every
`roost` command spent importing lancedb, for a remote namespace server a local library never
talks to.

`install()` puts a finder before the standard ones that gives that one package an `__init__`
whose names resolve on first use (PEP 562), from the same `from MODULE import NAME` lines the
real one holds. So anything that does ask for the REST client still gets it, and every
submodule (the models lancedb needs among them) imports as usual. It applies only to the
release it was checked against; any other release is imported unchanged.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE = "lance_namespace_urllib3_client"
CHECKED = "0.13.0"  # the release whose `__init__` is only re-exports and `__version__`


def install() -> None:
    """Idempotent; to be called before lancedb is first imported."""
    if PACKAGE not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def exports(init: Path) -> tuple[str | None, dict[str, str]]:
    """The `__version__` and the re-exported names (name → module) of a package `__init__`;
    (None, {}) if it does anything else, so that it is imported unchanged."""
    version, names = None, {}
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if any(alias.asname or alias.name == "*" for alias in node.names):
                return None, {}
            names.update({alias.name: node.module for alias in node.names})
        elif (found := _version(node)) is not None:
            version = found
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            return None, {}  # neither a re-export, the version, nor a docstring
    return version, names


def _version(node: ast.stmt) -> str | None:
    """The value of a `__version__ = "..."` line."""
    if (
        isinstance(node, ast.Assign)
        and [getattr(t, "id", None) for t in node.targets] == ["__version__"]
        and isinstance(node.value, ast.Constant)
    ):
        return str(node.value.value)
    return None


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != PACKAGE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None:
            return None
        version, names = exports(Path(spec.origin))
        if version != CHECKED or not names:
            return None  # another release: the standard import
        spec.loader = _LazyInit(version, names)
        return spec


class _LazyInit(importlib.abc.Loader):
    def __init__(self, version: str, names: dict[str, str]) -> None:
        self._version = version
        self._names = names

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module, with the spec's __path__ for the submodules

    def exec_module(self, module: ModuleType) -> None:
        names = self._names

        def __getattr__(name: str) -> Any:
            if name not in names:
                raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
            value = getattr(importlib.import_module(names[name]), name)
            setattr(module, name, value)
            return value

        module.__version__ = self._version  # type: ignore[attr-defined]
        module.__all__ = sorted(names)  # type: ignore[attr-defined]
        module.__getattr__ = __getattr__  # type: ignore[method-assign]
