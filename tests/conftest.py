"""Shared test fixtures: the real photos in ../shared/testdata and a way to run `roost`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

# Tests never touch the OS keyring of the machine they run on, nor do the `roost` processes
# they start: keys are plain files unless a test installs its own backend (tests/family/).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

import node  # noqa: F401  # first: pins TLS 1.3 before any test module imports grpc

REPO = Path(__file__).resolve().parent.parent
TESTDATA = Path(os.environ.get("ROOST_TESTDATA", REPO.parent / "shared" / "testdata"))

if not (TESTDATA / "README.md").is_file():
    raise RuntimeError(
        f"real test photos not found at {TESTDATA}; put shared/testdata beside the checkout "
        "or set ROOST_TESTDATA"
    )


def roost_argv(*args: str | os.PathLike[str], home: Path) -> list[str | os.PathLike[str]]:
    """The real `roost` command line in `home`, to run as a process of its own."""
    return [sys.executable, "-m", "node.cli", "--home", home, *args]


def roost(
    *args: str | os.PathLike[str],
    home: Path,
    check: bool = True,
    prefix: Sequence[str] = (),
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    """Run the real `roost` command line in a fresh process (behind `prefix`, e.g. setpriv)."""
    cmd = [*prefix, *roost_argv(*args, home=home)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(
            f"roost {' '.join(map(str, args))} exited {result.returncode}\n{result.stderr}"
        )
    return result


def roost_json(*args: str | os.PathLike[str], home: Path, **kwargs: Any) -> Any:
    return json.loads(roost(*args, "--json", home=home, **kwargs).stdout)


@pytest.fixture(scope="session")
def testdata_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """All of ../shared/testdata indexed once by a real `roost index` run: (home, summary)."""
    home = tmp_path_factory.mktemp("testdata-home")
    summary = roost_json("index", TESTDATA, home=home)
    return home, summary
