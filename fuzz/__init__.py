"""Coverage-guided fuzzing (atheris) of every parser that reads bytes from another device or
from disk.

Each module in `fuzz.targets` is one target: `fuzz_one(data)` feeds the bytes to one parser
(or to an RPC handler, as gRPC would after decoding), lets through only the refusals that
parser is documented to raise, and `seeds()` yields real messages made by Roost's own code
(a real family's certificates, greetings, pairing requests, revocation lists, label events,
and EXIF blocks of the photos in ../shared/testdata). Anything else escaping is a crash.

`python -m fuzz TARGET [libFuzzer flags]` runs one target; `scripts/fuzz` runs them all.
"""
