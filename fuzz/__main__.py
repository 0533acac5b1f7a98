"""`python -m fuzz TARGET [libFuzzer flags...]`: run one target under atheris.

The target's seeds are written into `.fuzz/corpus/TARGET` (beside what earlier runs found),
crashes into `.fuzz/artifacts/TARGET/`. Roost's packages are instrumented for coverage; the
flags go to libFuzzer as they are (`-runs=N`, `-max_total_time=S`, `-timeout=S`,
`-rss_limit_mb=MB`, `-malloc_limit_mb=MB`).
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from pathlib import Path

import atheris

WORK = Path(__file__).resolve().parent.parent / ".fuzz"


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        raise SystemExit("usage: python -m fuzz TARGET [libFuzzer flags...]")
    name, flags = sys.argv[1], sys.argv[2:]
    with atheris.instrument_imports(include=["node", "protocol", "fuzz"]):
        target = importlib.import_module(f"fuzz.targets.{name}")
    corpus = WORK / "corpus" / name
    artifacts = WORK / "artifacts" / name
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    for seed in target.seeds():
        (corpus / f"seed-{hashlib.sha256(seed).hexdigest()[:16]}").write_bytes(seed)
    argv = [sys.argv[0], *flags, f"-artifact_prefix={artifacts}/", str(corpus)]
    atheris.Setup(argv, target.fuzz_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
