"""Opening the library does not build lancedb's REST client (`node.library.lazy_rest`), and the
client is still there for anything that asks for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from node.library.lazy_rest import CHECKED, PACKAGE, exports

PROBE = """
import json, sys
from pathlib import Path
import pyarrow as pa
from node.library.store import Library
library = Library.open(Path(sys.argv[1]), embedder="probe", dim=4)
probe = library.table("probe", pa.schema([("id", pa.string())]))
probe.add([{"id": "x"}])
built = sorted(m for m in sys.modules if m.startswith("%(package)s.api."))
import %(package)s as client
from %(package)s.api.table_api import TableApi
print(json.dumps({
    "built_before": built,
    "rows": library.table("probe", probe.schema).count_rows(),
    "same_class": client.TableApi is TableApi,
    "version": client.__version__,
}))
"""


def test_the_library_opens_and_writes_without_the_rest_client_which_still_resolves(
    tmp_path: Path,
) -> None:
    probe = PROBE % {"package": PACKAGE}
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "library")],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["built_before"] == []
    assert seen["rows"] == 1
    assert seen["same_class"] is True
    assert seen["version"] == CHECKED


def test_an_init_that_does_more_than_re_export_is_imported_unchanged(tmp_path: Path) -> None:
    plain = tmp_path / "plain.py"
    plain.write_text('"""doc"""\n__version__ = "1.2"\nfrom a.b import C, D\nfrom e import F\n')
    assert exports(plain) == ("1.2", {"C": "a.b", "D": "a.b", "F": "e"})
    for extra in ("x = 1\n", "from a import b as c\n", "from . import rel\n", "def f(): pass\n"):
        odd = tmp_path / "odd.py"
        odd.write_text(plain.read_text() + extra)
        assert exports(odd) == (None, {}), extra
