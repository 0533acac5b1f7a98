"""Import lancedb without the import-time work it does for parts Roost never uses.

`roost people`, `name` and `search` each open the library in a fresh process, and before this
most of their wall time was `import lancedb` (measured with `python -X importtime`). Three
costs in it serve nothing a local library does:

- the REST client of a remote namespace server (`node.library.lazy_rest`);
- about 200 pydantic models (that server's request and response types, embedding-function
  settings) whose validators pydantic builds as each class is defined. While lancedb is
  imported, pydantic's `defer_build` default is on, so each of those models builds its
  validator on first use instead, exactly as one declaring `defer_build=True` would;
- on Python < 3.12, the `overrides` package: its `override` decorator inspects the caller's
  bytecode for each of lancedb's 105 decorated methods. On 3.12 and later lancedb uses
  `typing.override`, which only marks the method, and a plain base class in place of
  `EnforceOverrides` (a check at class definition that every override is marked); while
  lancedb is imported it gets that same pair here.

Both deferrals apply only to the releases they were checked against (any other lancedb or
pydantic is imported unchanged) and only for the duration of the import: anything imported
later gets pydantic's defaults and the real `overrides`.
"""

from __future__ import annotations

import importlib.metadata
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import ModuleType

from node.library import lazy_rest

CHECKED = {"lancedb": "0.40.0", "pydantic": "2.14.4"}

_lock = threading.Lock()


def import_lancedb() -> ModuleType:
    """The `lancedb` module, imported as described above on its first call."""
    with _lock, ExitStack() as deferred:
        if "lancedb" not in sys.modules:
            lazy_rest.install()
            if all(_release(name) == version for name, version in CHECKED.items()):
                deferred.enter_context(_deferred_validators())
                deferred.enter_context(_typing_override())
        import lancedb

        return lancedb


def _release(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@contextmanager
def _deferred_validators() -> Iterator[None]:
    from pydantic._internal._config import config_defaults

    was = config_defaults["defer_build"]
    config_defaults["defer_build"] = True
    try:
        yield
    finally:
        config_defaults["defer_build"] = was


@contextmanager
def _typing_override() -> Iterator[None]:
    if sys.version_info >= (3, 12) or "overrides" in sys.modules:
        yield  # lancedb uses typing's already, or the real package is in use here
        return
    from typing_extensions import override

    stand_in = ModuleType("overrides", "What lancedb imports from `typing` on Python >= 3.12.")
    stand_in.override = override  # type: ignore[attr-defined]
    stand_in.EnforceOverrides = type("EnforceOverrides", (), {})  # type: ignore[attr-defined]
    sys.modules["overrides"] = stand_in
    try:
        yield
    finally:
        sys.modules.pop("overrides", None)
