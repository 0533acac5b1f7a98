"""`roost models list|fetch|import`: the models for animals, objects and scenes.

Face models ship with Roost; these do not (70 MB of detector is not something every install
needs), so a user fetches them once from their pinned source, or imports files they have.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from node.cli.commands import command
from node.cli.common import print_json
from node.cli.errors import CommandError
from node.models.registry import KNOWN
from node.models.store import ModelStore
from node.settings import Home
from node.vision.clip import MANIFEST, import_clip


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = command(
        sub,
        "models",
        description="Face models ship with Roost. Detection of animals and objects, scene "
        "labels and pets need the models listed here; a stage whose model is missing is "
        "skipped with a note. Models live in <home>/models, or in $ROOST_MODELS.",
    )
    verbs = models.add_subparsers(dest="verb", metavar="VERB", required=True)
    p = verbs.add_parser("list", help="what is installed, its size, licence and what it enables")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run_list)
    p = verbs.add_parser("fetch", help="download a model from its pinned source (sha256-checked)")
    p.add_argument("name", metavar="NAME", choices=sorted(KNOWN), help=", ".join(sorted(KNOWN)))
    p.add_argument(
        "--mirror", metavar="URL", help="download from URL/NAME/FILE instead (a local mirror)"
    )
    p.set_defaults(run=run_fetch)
    p = verbs.add_parser(
        "import",
        help="install model files you already have, offline",
        description="PATH is a known model's model.onnx (its labels.txt beside it) or its "
        f"folder, recognised by sha256; or a CLIP-style bundle: a folder with {MANIFEST}, "
        "image.onnx, text.onnx and tokens.txt.",
    )
    p.add_argument("path", type=Path, metavar="PATH")
    p.set_defaults(run=run_import)


def run_list(args: argparse.Namespace, home: Home) -> int:
    store = ModelStore.for_home(home)
    rows: list[dict[str, Any]] = [
        {
            "name": entry.spec.name,
            "role": entry.spec.role.value,
            "installed": entry.present,
            "size": entry.spec.size,
            "licence": entry.spec.licence,
            "enables": entry.spec.enables,
            "folder": str(entry.folder),
        }
        for entry in store.listing()
    ]
    if args.json:
        print_json(rows)
        return 0
    print(f"models in {store.root}")
    for row in rows:
        state = "installed" if row["installed"] else "missing  "
        print(f"  {row['name']:<24} {state}  {row['size'] / 1e6:6.1f} MB  {row['licence']}")
        print(f"  {'':<24} {row['enables']}")
    if not all(row["installed"] for row in rows):
        print("install one with `roost models fetch NAME` (or `roost models import PATH`)")
    return 0


def run_fetch(args: argparse.Namespace, home: Home) -> int:
    spec = KNOWN[args.name]
    ModelStore.for_home(home).fetch(spec, mirror=args.mirror)
    print(f"installed {spec.name} ({spec.size / 1e6:.1f} MB, sha256 checked)")
    return 0


def run_import(args: argparse.Namespace, home: Home) -> int:
    store = ModelStore.for_home(home)
    path: Path = args.path
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    if path.is_dir() and (path / MANIFEST).is_file():
        spec = import_clip(store, path)
    else:
        spec = store.import_path(path)
    print(f"installed {spec.name} ({spec.size / 1e6:.1f} MB): {spec.enables}")
    return 0
