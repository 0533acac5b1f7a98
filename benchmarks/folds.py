"""Split a folder of identity subfolders in two by identity, for calibrating on one part and
measuring on the other.

`OUT/even` and `OUT/odd` get the identities at even and odd positions of the sorted folder list,
as folders of links to the photos (the photos stay where they are).

    python -m benchmarks.folds --data ../shared/testdata/lfw_dev --out /tmp/folds
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.measure import photo_files

FOLDS = ("even", "odd")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of identity subfolders")
    parser.add_argument("--out", type=Path, required=True, help="where even/ and odd/ go")
    args = parser.parse_args()
    identities = sorted(p for p in args.data.resolve().iterdir() if p.is_dir())
    for n, identity in enumerate(identities):
        target = args.out / FOLDS[n % len(FOLDS)] / identity.name
        target.mkdir(parents=True, exist_ok=True)
        for photo in photo_files(identity):
            link = target / photo.relative_to(identity)
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.is_symlink():
                link.symlink_to(photo)
    for n, fold in enumerate(FOLDS):
        print(f"{args.out / fold}: {len(identities[n :: len(FOLDS)])} identities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
