"""lancedb imported without its import-time work for parts Roost never uses
(`node.library.light_import`): its pydantic models build on first use and still validate,
`overrides` is not loaded for it, and nothing imported afterwards sees either change."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from pathlib import Path
import pyarrow as pa
from node.library.store import Library
library = Library.open(Path(sys.argv[1]), embedder="probe", dim=4)
probe = library.table("probe", pa.schema([("id", pa.string())]))
probe.add([{"id": "x"}])
from lance_namespace import ListNamespacesResponse as Deferred
built_at_import = Deferred.__pydantic_complete__
answer = Deferred(namespaces=["a"])
overrides_loaded = "overrides" in sys.modules
import pydantic
class Later(pydantic.BaseModel):
    n: int
import overrides
print(json.dumps({
    "rows": library.table("probe", probe.schema).count_rows(),
    "built_at_import": built_at_import,
    "validated": answer.namespaces,
    "built_after_use": Deferred.__pydantic_complete__,
    "later_built_at_once": Later.__pydantic_complete__,
    "overrides_loaded_by_lancedb": overrides_loaded,
    "later_import_of_overrides_is_the_package": hasattr(overrides, "__file__"),
}))
"""


def test_lancedb_s_models_build_on_first_use_and_nothing_imported_later_is_changed(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "library")],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["rows"] == 1
    assert seen["built_at_import"] is False
    assert seen["validated"] == ["a"]
    assert seen["built_after_use"] is True
    assert seen["later_built_at_once"] is True
    if sys.version_info < (3, 12):
        assert seen["overrides_loaded_by_lancedb"] is False
        assert seen["later_import_of_overrides_is_the_package"] is True
