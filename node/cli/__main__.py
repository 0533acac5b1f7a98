"""`python -m node.cli`: the same as the `roost` console script."""

import sys

from node.cli import program

sys.exit(program())
